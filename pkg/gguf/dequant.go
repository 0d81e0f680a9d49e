package gguf

import (
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"sync"
)

// qk is QK_K, the number of elements in a k-quant super-block.
const qk = 256

// dequantizers maps each supported type to a function that decodes whole blocks.
// Each follows ggml-quants.c dequantize_row_* and the gguf Python package's
// quants.py, keeping the float32 operation order of both. In a*b+c and a*b-c the
// product is wrapped in an explicit float32 conversion: the Go spec lets a compiler
// fuse the two into one FMA (one rounding instead of two), and the conversion
// forbids that, which keeps results bit-exact on every architecture.
var dequantizers = map[GGMLType]func(raw []byte, dst []float32){
	TypeF32:  dequantF32,
	TypeF16:  dequantF16,
	TypeBF16: dequantBF16,
	TypeF64:  dequantF64,
	TypeI8:   dequantI8,
	TypeI16:  dequantI16,
	TypeI32:  dequantI32,
	TypeQ4_0: dequantQ4_0,
	TypeQ4_1: dequantQ4_1,
	TypeQ5_0: dequantQ5_0,
	TypeQ5_1: dequantQ5_1,
	TypeQ8_0: dequantQ8_0,
	TypeQ2_K: dequantQ2K,
	TypeQ3_K: dequantQ3K,
	TypeQ4_K: dequantQ4K,
	TypeQ5_K: dequantQ5K,
	TypeQ6_K: dequantQ6K,
	TypeQ8_K: dequantQ8K,
}

// CanDequantize reports whether Dequantize supports t.
func CanDequantize(t GGMLType) bool { _, ok := dequantizers[t]; return ok }

// Dequantize decodes n elements of type t from raw into dst[:n]. raw must hold
// exactly t.RowSize(n) bytes and n must be a multiple of t's block size. It returns
// an error wrapping ErrUnsupported for types it cannot decode, and never panics.
func Dequantize(t GGMLType, raw []byte, n int, dst []float32) error {
	if err := dequantize(t, raw, n, dst); err != nil {
		return fmt.Errorf("gguf: %w", err)
	}
	return nil
}

// dequantize is Dequantize with errors that lack the package prefix, for callers
// that add their own context.
func dequantize(t GGMLType, raw []byte, n int, dst []float32) error {
	fn, ok := dequantizers[t]
	if !ok {
		return fmt.Errorf("dequantize %s: %w", t, ErrUnsupported)
	}
	want := t.RowSize(int64(n))
	switch {
	case want < 0:
		return fmt.Errorf("dequantize %s: %d elements is not a multiple of the block size %d", t, n, t.BlockSize())
	case int64(len(raw)) != want:
		return fmt.Errorf("dequantize %s: %d elements need %d bytes, got %d", t, n, want, len(raw))
	case len(dst) < n:
		return fmt.Errorf("dequantize %s: dst holds %d elements, need %d", t, len(dst), n)
	}
	parallelBlocks(fn, raw, dst[:n], t.BlockSize(), t.TypeSize())
	return nil
}

// parallelMin is the element count from which Dequantize splits work over cores.
const parallelMin = 1 << 16

// parallelBlocks runs fn over contiguous ranges of whole blocks on GOMAXPROCS
// goroutines (fn is pure per block, so the result does not depend on the split).
func parallelBlocks(fn func([]byte, []float32), raw []byte, y []float32, blockSize, typeSize int) {
	workers := runtime.GOMAXPROCS(0)
	blocks := len(y) / blockSize
	if len(y) < parallelMin || workers < 2 {
		fn(raw, y)
		return
	}
	var wg sync.WaitGroup
	per := (blocks + workers - 1) / workers
	for b0 := 0; b0 < blocks; b0 += per {
		b1 := min(b0+per, blocks)
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(raw[b0*typeSize:b1*typeSize], y[b0*blockSize:b1*blockSize])
		}()
	}
	wg.Wait()
}

// f16 converts an IEEE 754 half-precision value to float32 exactly.
func f16(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	man := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN, payload kept
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	case exp != 0: // normal
		return math.Float32frombits(sign | (exp+112)<<23 | man<<13)
	case man == 0: // signed zero
		return math.Float32frombits(sign)
	}
	// Subnormal half: normalise into a float32 normal.
	e := uint32(113)
	for man&0x400 == 0 {
		man <<= 1
		e--
	}
	return math.Float32frombits(sign | e<<23 | (man&0x3ff)<<13)
}

func le16(b []byte) uint16 { return binary.LittleEndian.Uint16(b) }
func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }

func dequantF32(raw []byte, y []float32) {
	for i := range y {
		y[i] = math.Float32frombits(le32(raw[4*i:]))
	}
}

// f16Table holds f16(h) for every half h: a 256 KiB lookup beats the branches of
// f16 on whole F16 tensors.
var f16Table = sync.OnceValue(func() *[1 << 16]float32 {
	var t [1 << 16]float32
	for h := range t {
		t[h] = f16(uint16(h))
	}
	return &t
})

func dequantF16(raw []byte, y []float32) {
	tab := f16Table()
	for i := range y {
		y[i] = tab[le16(raw[2*i:])]
	}
}

func dequantBF16(raw []byte, y []float32) {
	for i := range y {
		y[i] = math.Float32frombits(uint32(le16(raw[2*i:])) << 16)
	}
}

func dequantF64(raw []byte, y []float32) {
	for i := range y {
		y[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:])))
	}
}

func dequantI8(raw []byte, y []float32) {
	for i := range y {
		y[i] = float32(int8(raw[i]))
	}
}

func dequantI16(raw []byte, y []float32) {
	for i := range y {
		y[i] = float32(int16(le16(raw[2*i:])))
	}
}

func dequantI32(raw []byte, y []float32) {
	for i := range y {
		y[i] = float32(int32(le32(raw[4*i:])))
	}
}

// Q4_0: d (f16), qs[16]; x = (nibble - 8) * d, low nibbles first.
func dequantQ4_0(raw []byte, y []float32) {
	for b := 0; b < len(y)/32; b++ {
		blk, out := raw[b*18:], y[b*32:]
		d := f16(le16(blk))
		for j := range 16 {
			q := blk[2+j]
			out[j] = d * float32(int8(q&0xf)-8)
			out[j+16] = d * float32(int8(q>>4)-8)
		}
	}
}

// Q4_1: d, m (f16), qs[16]; x = nibble*d + m.
func dequantQ4_1(raw []byte, y []float32) {
	for b := 0; b < len(y)/32; b++ {
		blk, out := raw[b*20:], y[b*32:]
		d, m := f16(le16(blk)), f16(le16(blk[2:]))
		for j := range 16 {
			q := blk[4+j]
			out[j] = float32(d*float32(q&0xf)) + m
			out[j+16] = float32(d*float32(q>>4)) + m
		}
	}
}

// Q5_0: d (f16), qh (u32, fifth bits), qs[16]; x = (5-bit value - 16) * d.
func dequantQ5_0(raw []byte, y []float32) {
	for b := 0; b < len(y)/32; b++ {
		blk, out := raw[b*22:], y[b*32:]
		d, qh := f16(le16(blk)), le32(blk[2:])
		for j := range 16 {
			q := blk[6+j]
			x0 := int8((q&0xf)|uint8((qh>>j)<<4)&0x10) - 16
			x1 := int8((q>>4)|uint8((qh>>(j+16))<<4)&0x10) - 16
			out[j] = d * float32(x0)
			out[j+16] = d * float32(x1)
		}
	}
}

// Q5_1: d, m (f16), qh (u32), qs[16]; x = 5-bit value * d + m.
func dequantQ5_1(raw []byte, y []float32) {
	for b := 0; b < len(y)/32; b++ {
		blk, out := raw[b*24:], y[b*32:]
		d, m, qh := f16(le16(blk)), f16(le16(blk[2:])), le32(blk[4:])
		for j := range 16 {
			q := blk[8+j]
			x0 := (q & 0xf) | uint8((qh>>j)<<4)&0x10
			x1 := (q >> 4) | uint8((qh>>(j+16))<<4)&0x10
			out[j] = float32(d*float32(x0)) + m
			out[j+16] = float32(d*float32(x1)) + m
		}
	}
}

// Q8_0: d (f16), qs[32] int8; x = q * d.
func dequantQ8_0(raw []byte, y []float32) {
	for b := 0; b < len(y)/32; b++ {
		blk, out := raw[b*34:], y[b*32:]
		d := f16(le16(blk))
		for j := range 32 {
			out[j] = float32(int8(blk[2+j])) * d
		}
	}
}

// Q2_K: scales[16] (4-bit scale | 4-bit min), qs[64] (2-bit), d, dmin (f16).
func dequantQ2K(raw []byte, y []float32) {
	for b := 0; b < len(y)/qk; b++ {
		blk, out := raw[b*84:], y[b*qk:]
		scales, qs := blk[:16], blk[16:80]
		d, dmin := f16(le16(blk[80:])), f16(le16(blk[82:]))
		// Sub-block s (16 elements) takes bits 2*(s/2%4) of qs[32*(s/8) + 16*(s%2) + l].
		for s := range 16 {
			dl := d * float32(scales[s]&0xf)
			ml := dmin * float32(scales[s]>>4)
			shift := uint(2 * (s / 2 % 4))
			q := qs[32*(s/8)+16*(s%2):]
			for l := range 16 {
				out[16*s+l] = float32(dl*float32((q[l]>>shift)&3)) - ml
			}
		}
	}
}

// Q3_K: hmask[32], qs[64] (2-bit), scales[12] (6-bit, signed by -32), d (f16).
func dequantQ3K(raw []byte, y []float32) {
	for b := 0; b < len(y)/qk; b++ {
		blk, out := raw[b*110:], y[b*qk:]
		hmask, qs, sc := blk[:32], blk[32:96], blk[96:108]
		d := f16(le16(blk[108:]))
		for s := range 16 {
			lo := sc[s%8] >> (4 * uint(s/8)) & 0xf
			hi := sc[8+s%4] >> (2 * uint(s/4)) & 3
			dl := d * float32(int8(lo|hi<<4)-32)
			// Sub-block s: 2-bit field s/2%4 of qs[32*(s/8) + 16*(s%2) + l], high bit
			// s/2 of hmask[16*(s%2) + l]; a clear high bit subtracts 4.
			shift, hbit := uint(2*(s/2%4)), uint(s/2)
			q, hm := qs[32*(s/8)+16*(s%2):], hmask[16*(s%2):]
			for l := range 16 {
				// Branch-free: subtract 4 when the high bit is clear.
				v := int8((q[l]>>shift)&3) - 4 + int8((hm[l]>>hbit)&1)<<2
				out[16*s+l] = dl * float32(v)
			}
		}
	}
}

// scaleMinK4 unpacks the 6-bit scale and min of sub-block j from the 12 packed
// bytes of Q4_K and Q5_K (get_scale_min_k4 in ggml-quants.c).
func scaleMinK4(j int, q []byte) (sc, m uint8) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return (q[j+4] & 0xf) | (q[j-4]>>6)<<4, (q[j+4] >> 4) | (q[j]>>6)<<4
}

// Q4_K: d, dmin (f16), scales[12], qs[128]; 8 sub-blocks of 32, x = d*sc*q - dmin*m.
func dequantQ4K(raw []byte, y []float32) {
	for b := 0; b < len(y)/qk; b++ {
		blk, out := raw[b*144:], y[b*qk:]
		d, dmin := f16(le16(blk)), f16(le16(blk[2:]))
		scales, qs := blk[4:16], blk[16:144]
		for s := range 8 {
			sc, m := scaleMinK4(s, scales)
			d1, m1 := d*float32(sc), dmin*float32(m)
			q, shift := qs[32*(s/2):], uint(4*(s%2))
			for l := range 32 {
				out[32*s+l] = float32(d1*float32((q[l]>>shift)&0xf)) - m1
			}
		}
	}
}

// Q5_K: d, dmin (f16), scales[12], qh[32], qs[128]; like Q4_K with a fifth bit
// (bit s of qh[l] for sub-block s).
func dequantQ5K(raw []byte, y []float32) {
	for b := 0; b < len(y)/qk; b++ {
		blk, out := raw[b*176:], y[b*qk:]
		d, dmin := f16(le16(blk)), f16(le16(blk[2:]))
		scales, qh, qs := blk[4:16], blk[16:48], blk[48:176]
		for s := range 8 {
			sc, m := scaleMinK4(s, scales)
			d1, m1 := d*float32(sc), dmin*float32(m)
			q, shift := qs[32*(s/2):], uint(4*(s%2))
			for l := range 32 {
				v := (q[l]>>shift)&0xf | ((qh[l]>>uint(s))&1)<<4
				out[32*s+l] = float32(d1*float32(v)) - m1
			}
		}
	}
}

// Q6_K: ql[128] (low 4 bits), qh[64] (high 2 bits), scales[16] int8, d (f16);
// x = d*scale*(6-bit value - 32).
func dequantQ6K(raw []byte, y []float32) {
	for b := 0; b < len(y)/qk; b++ {
		blk, out := raw[b*210:], y[b*qk:]
		ql, qh, scales := blk[:128], blk[128:192], blk[192:208]
		d := f16(le16(blk[208:]))
		for h := range 2 { // two halves of 128 elements
			l4, h2, o := ql[64*h:], qh[32*h:], out[128*h:]
			for k := range 4 { // quarter k of the half: 32 elements, two scales
				lshift, hshift := uint(4*(k/2)), uint(2*k)
				lo := l4[32*(k%2):]
				for half := range 2 {
					sc := d * float32(int8(scales[8*h+2*k+half]))
					for l := 16 * half; l < 16*half+16; l++ {
						v := int8((lo[l]>>lshift)&0xf|((h2[l]>>hshift)&3)<<4) - 32
						o[32*k+l] = sc * float32(v)
					}
				}
			}
		}
	}
}

// Q8_K: d (f32), qs[256] int8, bsums[16] int16 (unused here); x = d * q.
func dequantQ8K(raw []byte, y []float32) {
	for b := 0; b < len(y)/qk; b++ {
		blk, out := raw[b*292:], y[b*qk:]
		d := math.Float32frombits(le32(blk))
		for j := range qk {
			out[j] = d * float32(int8(blk[4+j]))
		}
	}
}
