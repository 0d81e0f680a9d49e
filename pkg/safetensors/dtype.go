package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
)

// DType is a safetensors element type, spelled as in the file header ("F32", "BF16", ...).
type DType string

// The element types of the safetensors format. Size reports their width in bytes.
const (
	Bool   DType = "BOOL"
	U8     DType = "U8"
	I8     DType = "I8"
	F8E4M3 DType = "F8_E4M3"
	F8E5M2 DType = "F8_E5M2"
	I16    DType = "I16"
	U16    DType = "U16"
	F16    DType = "F16"
	BF16   DType = "BF16"
	I32    DType = "I32"
	U32    DType = "U32"
	F32    DType = "F32"
	F64    DType = "F64"
	I64    DType = "I64"
	U64    DType = "U64"
)

// Size is the width of one element in bytes, or 0 for a type this package does not know.
func (d DType) Size() int {
	switch d {
	case Bool, U8, I8, F8E4M3, F8E5M2:
		return 1
	case I16, U16, F16, BF16:
		return 2
	case I32, U32, F32:
		return 4
	case F64, I64, U64:
		return 8
	}
	return 0
}

// convertible reports whether DecodeFloat32 accepts d.
func (d DType) convertible() bool {
	return d.Size() > 0 && d != F8E4M3 && d != F8E5M2
}

// DecodeFloat32 converts little-endian elements of type dt in src to float32, writing
// them to dst (grown when too short; nil means allocate) and returning dst[:n].
// F16 and BF16 convert exactly; F64 and the integer types round to the nearest float32.
// len(src) must be a multiple of dt.Size().
func DecodeFloat32(dst []float32, src []byte, dt DType) ([]float32, error) {
	size := dt.Size()
	if !dt.convertible() {
		return dst, fmt.Errorf("safetensors: decode %s to float32: %w", dt, ErrDType)
	}
	if len(src)%size != 0 {
		return dst, fmt.Errorf("safetensors: decode %s: %d bytes is not a multiple of %d: %w", dt, len(src), size, ErrFormat)
	}
	n := len(src) / size
	if cap(dst) < n {
		dst = make([]float32, n)
	}
	dst = dst[:n]
	le := binary.LittleEndian
	switch dt {
	case F32:
		for i := range dst {
			dst[i] = math.Float32frombits(le.Uint32(src[4*i:]))
		}
	case F16:
		for i := range dst {
			dst[i] = Float16ToFloat32(le.Uint16(src[2*i:]))
		}
	case BF16:
		for i := range dst {
			dst[i] = math.Float32frombits(uint32(le.Uint16(src[2*i:])) << 16)
		}
	case F64:
		for i := range dst {
			dst[i] = float32(math.Float64frombits(le.Uint64(src[8*i:])))
		}
	case Bool, U8:
		for i := range dst {
			dst[i] = float32(src[i])
		}
	case I8:
		for i := range dst {
			dst[i] = float32(int8(src[i]))
		}
	case I16:
		for i := range dst {
			dst[i] = float32(int16(le.Uint16(src[2*i:])))
		}
	case U16:
		for i := range dst {
			dst[i] = float32(le.Uint16(src[2*i:]))
		}
	case I32:
		for i := range dst {
			dst[i] = float32(int32(le.Uint32(src[4*i:])))
		}
	case U32:
		for i := range dst {
			dst[i] = float32(le.Uint32(src[4*i:]))
		}
	case I64:
		for i := range dst {
			dst[i] = float32(int64(le.Uint64(src[8*i:])))
		}
	case U64:
		for i := range dst {
			dst[i] = float32(le.Uint64(src[8*i:]))
		}
	}
	return dst, nil
}

// EncodeFloat32 appends src to dst as little-endian elements of type dt, which must be
// F32, F16 (round to nearest even, like numpy's astype(float16)) or BF16 (round to
// nearest even, NaN kept NaN).
func EncodeFloat32(dst []byte, src []float32, dt DType) ([]byte, error) {
	le := binary.LittleEndian
	n := len(dst)
	switch dt {
	case F32:
		dst = slices.Grow(dst, 4*len(src))[:n+4*len(src)]
		out := dst[n:]
		for i, v := range src {
			le.PutUint32(out[4*i:], math.Float32bits(v))
		}
	case F16:
		dst = slices.Grow(dst, 2*len(src))[:n+2*len(src)]
		out := dst[n:]
		for i, v := range src {
			le.PutUint16(out[2*i:], Float32ToFloat16(v))
		}
	case BF16:
		dst = slices.Grow(dst, 2*len(src))[:n+2*len(src)]
		out := dst[n:]
		for i, v := range src {
			le.PutUint16(out[2*i:], Float32ToBFloat16(v))
		}
	default:
		return dst, fmt.Errorf("safetensors: encode float32 as %s: %w", dt, ErrDType)
	}
	return dst, nil
}

// Float16ToFloat32 converts IEEE 754 binary16 bits to float32 exactly.
func Float16ToFloat32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch exp {
	case 0: // zero or subnormal: mant × 2⁻²⁴, exact in float32
		v := float32(mant) * (1.0 / (1 << 24))
		return math.Float32frombits(math.Float32bits(v) | sign)
	case 0x1f: // Inf or NaN, payload kept
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// Float32ToFloat16 converts f to IEEE 754 binary16 bits, rounding to nearest even;
// values beyond ±65504 (after rounding) become ±Inf, as numpy's astype(float16) does.
func Float32ToFloat16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff {
		if mant == 0 {
			return sign | 0x7c00
		}
		m := uint16(mant >> 13) // keep the payload's top bits, but never turn NaN into Inf
		if m == 0 {
			m = 1
		}
		return sign | 0x7c00 | m
	}
	e := exp - 127 + 15
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 { // subnormal half (or zero)
		if e < -10 {
			return sign // below half the smallest subnormal: rounds to zero
		}
		m := mant | 0x800000
		shift := uint(14 - e)
		return sign | uint16(roundShift(m, shift))
	}
	h := uint32(e)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && h&1 == 1) {
		h++ // may carry into the exponent, and up to Inf: both correct
	}
	return sign | uint16(h)
}

// roundShift returns m >> shift rounded to nearest, ties to even.
func roundShift(m uint32, shift uint) uint32 {
	h := m >> shift
	rem := m & (1<<shift - 1)
	half := uint32(1) << (shift - 1)
	if rem > half || (rem == half && h&1 == 1) {
		h++
	}
	return h
}

// Float32ToBFloat16 converts f to bfloat16 bits, rounding to nearest even.
func Float32ToBFloat16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7f800000 == 0x7f800000 && b&0x7fffff != 0 {
		return uint16(b>>16) | 0x40 // NaN: keep it a (quiet) NaN after truncation
	}
	return uint16(roundShift(b, 16)) // a carry into the sign bit cannot happen: max finite rounds to Inf
}
