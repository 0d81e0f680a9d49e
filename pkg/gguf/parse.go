package gguf

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"unicode/utf8"
)

// Magic is the first four bytes of every GGUF file.
const Magic = "GGUF"

// DefaultAlignment is the tensor data alignment when general.alignment is absent.
const DefaultAlignment = 32

const (
	maxDims       = 4  // GGML_MAX_DIMS
	maxArrayDepth = 16 // nesting of arrays of arrays; real files use 1
	maxNameLen    = 1 << 16
)

// decoder reads the header sequentially and checks every length against the bytes
// left in the file before allocating.
type decoder struct {
	r    *bufio.Reader
	pos  int64 // bytes consumed
	size int64 // file size
	name string
	buf  [8]byte
}

func (d *decoder) left() int64 { return d.size - d.pos }

// errorf returns an ErrFormat error naming the file and field.
func (d *decoder) errorf(field, format string, args ...any) error {
	return fmt.Errorf("gguf: %s: %s: %s: %w", d.name, field, fmt.Sprintf(format, args...), ErrFormat)
}

func (d *decoder) read(field string, n int) ([]byte, error) {
	if int64(n) > d.left() {
		return nil, d.errorf(field, "truncated at byte %d: need %d bytes, %d left", d.pos, n, d.left())
	}
	if _, err := io.ReadFull(d.r, d.buf[:n]); err != nil {
		return nil, d.errorf(field, "read at byte %d: %v", d.pos, err)
	}
	d.pos += int64(n)
	return d.buf[:n], nil
}

func (d *decoder) u8(field string) (uint8, error) {
	b, err := d.read(field, 1)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

func (d *decoder) u16(field string) (uint16, error) {
	b, err := d.read(field, 2)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint16(b), nil
}

func (d *decoder) u32(field string) (uint32, error) {
	b, err := d.read(field, 4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (d *decoder) u64(field string) (uint64, error) {
	b, err := d.read(field, 8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

// str reads a length-prefixed string whose length is bounded by the file.
func (d *decoder) str(field string) (string, error) {
	n, err := d.u64(field + " length")
	if err != nil {
		return "", err
	}
	if n > uint64(d.left()) {
		return "", d.errorf(field, "string length %d exceeds the %d bytes left in the file", n, d.left())
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(d.r, b); err != nil {
		return "", d.errorf(field, "read string at byte %d: %v", d.pos, err)
	}
	d.pos += int64(n)
	return string(b), nil
}

// ident reads a key or tensor name: a string that must be valid UTF-8 and short.
func (d *decoder) ident(field string) (string, error) {
	s, err := d.str(field)
	if err != nil {
		return "", err
	}
	if len(s) > maxNameLen {
		return "", d.errorf(field, "name of %d bytes (at most %d)", len(s), maxNameLen)
	}
	if !utf8.ValidString(s) {
		return "", d.errorf(field, "name %q is not valid UTF-8", s)
	}
	return s, nil
}

// value reads a metadata value of type t.
func (d *decoder) value(field string, t ValueType, depth int) (Value, error) {
	switch t {
	case TypeUint8:
		x, err := d.u8(field)
		return Value{typ: t, v: x}, err
	case TypeInt8:
		x, err := d.u8(field)
		return Value{typ: t, v: int8(x)}, err
	case TypeBool:
		x, err := d.u8(field)
		if err == nil && x > 1 {
			err = d.errorf(field, "bool byte is %d, want 0 or 1", x)
		}
		return Value{typ: t, v: x == 1}, err
	case TypeUint16:
		x, err := d.u16(field)
		return Value{typ: t, v: x}, err
	case TypeInt16:
		x, err := d.u16(field)
		return Value{typ: t, v: int16(x)}, err
	case TypeUint32:
		x, err := d.u32(field)
		return Value{typ: t, v: x}, err
	case TypeInt32:
		x, err := d.u32(field)
		return Value{typ: t, v: int32(x)}, err
	case TypeFloat32:
		x, err := d.u32(field)
		return Value{typ: t, v: math.Float32frombits(x)}, err
	case TypeUint64:
		x, err := d.u64(field)
		return Value{typ: t, v: x}, err
	case TypeInt64:
		x, err := d.u64(field)
		return Value{typ: t, v: int64(x)}, err
	case TypeFloat64:
		x, err := d.u64(field)
		return Value{typ: t, v: math.Float64frombits(x)}, err
	case TypeString:
		s, err := d.str(field)
		return Value{typ: t, v: s}, err
	case TypeArray:
		return d.array(field, depth)
	}
	return Value{}, d.errorf(field, "unknown value type %d", uint32(t))
}

// array reads an array: element type, count, elements. The count is checked against
// the bytes left before anything is allocated.
func (d *decoder) array(field string, depth int) (Value, error) {
	if depth >= maxArrayDepth {
		return Value{}, d.errorf(field, "arrays nested deeper than %d", maxArrayDepth)
	}
	et, err := d.u32(field + " element type")
	if err != nil {
		return Value{}, err
	}
	elem := ValueType(et)
	if !elem.valid() {
		return Value{}, d.errorf(field, "unknown array element type %d", et)
	}
	n, err := d.u64(field + " count")
	if err != nil {
		return Value{}, err
	}
	if n > uint64(d.left()/elem.minSize()) {
		return Value{}, d.errorf(field, "array of %d %s elements cannot fit in the %d bytes left", n, elem, d.left())
	}
	v := Value{typ: TypeArray, elem: elem}
	count := int(n)
	switch elem {
	case TypeUint8:
		v.v, err = readScalars(d, field, count, func(b []byte) uint8 { return b[0] })
	case TypeInt8:
		v.v, err = readScalars(d, field, count, func(b []byte) int8 { return int8(b[0]) })
	case TypeBool:
		v.v, err = d.bools(field, count)
	case TypeUint16:
		v.v, err = readScalars(d, field, count, func(b []byte) uint16 { return binary.LittleEndian.Uint16(b) })
	case TypeInt16:
		v.v, err = readScalars(d, field, count, func(b []byte) int16 { return int16(binary.LittleEndian.Uint16(b)) })
	case TypeUint32:
		v.v, err = readScalars(d, field, count, func(b []byte) uint32 { return binary.LittleEndian.Uint32(b) })
	case TypeInt32:
		v.v, err = readScalars(d, field, count, func(b []byte) int32 { return int32(binary.LittleEndian.Uint32(b)) })
	case TypeFloat32:
		v.v, err = readScalars(d, field, count, func(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) })
	case TypeUint64:
		v.v, err = readScalars(d, field, count, func(b []byte) uint64 { return binary.LittleEndian.Uint64(b) })
	case TypeInt64:
		v.v, err = readScalars(d, field, count, func(b []byte) int64 { return int64(binary.LittleEndian.Uint64(b)) })
	case TypeFloat64:
		v.v, err = readScalars(d, field, count, func(b []byte) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b)) })
	case TypeString:
		ss := make([]string, count)
		for i := range ss {
			if ss[i], err = d.str(fmt.Sprintf("%s[%d]", field, i)); err != nil {
				return Value{}, err
			}
		}
		v.v = ss
	case TypeArray:
		vs := make([]Value, count)
		for i := range vs {
			if vs[i], err = d.array(fmt.Sprintf("%s[%d]", field, i), depth+1); err != nil {
				return Value{}, err
			}
		}
		v.v = vs
	}
	return v, err
}

// readScalars reads n fixed-size little-endian elements, decoding each with conv.
func readScalars[T any](d *decoder, field string, n int, conv func([]byte) T) ([]T, error) {
	var zero T
	size := int(binary.Size(zero))
	out := make([]T, n)
	for i := range out {
		b, err := d.read(field, size)
		if err != nil {
			return nil, err
		}
		out[i] = conv(b)
	}
	return out, nil
}

func (d *decoder) bools(field string, n int) ([]bool, error) {
	out := make([]bool, n)
	for i := range out {
		b, err := d.u8(field)
		if err != nil {
			return nil, err
		}
		if b > 1 {
			return nil, d.errorf(fmt.Sprintf("%s[%d]", field, i), "bool byte is %d, want 0 or 1", b)
		}
		out[i] = b == 1
	}
	return out, nil
}
