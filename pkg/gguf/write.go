package gguf

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// KV is one metadata key-value pair for Write; a slice of them keeps file order.
type KV struct {
	Key   string
	Value Value
}

// WriteTensor is one tensor for Write. Dims are in GGUF order (Dims[0] fastest);
// Data holds exactly Type.RowSize(elements) bytes.
type WriteTensor struct {
	Name string
	Dims []uint64
	Type GGMLType
	Data []byte
}

// F32Tensor returns a WriteTensor of type F32 from row-major data with the given
// shape (the shape ReadF32 returns).
func F32Tensor(name string, shape []int, data []float32) WriteTensor {
	dims := make([]uint64, len(shape))
	for i, s := range shape {
		dims[len(shape)-1-i] = uint64(s)
	}
	raw := make([]byte, 4*len(data))
	for i, x := range data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(x))
	}
	return WriteTensor{Name: name, Dims: dims, Type: TypeF32, Data: raw}
}

// Write writes a GGUF version 3 file holding meta and tensors, in that order, with
// the alignment given by a uint32 "general.alignment" in meta (32 if absent). It is
// the inverse of Open: tests and tools use it to make small models.
func Write(w io.Writer, meta []KV, tensors []WriteTensor) error {
	align := uint64(DefaultAlignment)
	for _, kv := range meta {
		if kv.Key == "general.alignment" {
			a, ok := kv.Value.Interface().(uint32)
			if !ok || a == 0 || a&(a-1) != 0 {
				return fmt.Errorf("gguf: Write: general.alignment must be a power-of-two uint32, got %s %v", kv.Value.Type(), kv.Value)
			}
			align = uint64(a)
		}
	}
	offsets := make([]uint64, len(tensors))
	var off uint64
	for i, t := range tensors {
		n := int64(1)
		for _, d := range t.Dims {
			n *= int64(d)
		}
		if want := t.Type.RowSize(n); want < 0 || int64(len(t.Data)) != want {
			return fmt.Errorf("gguf: Write: tensor %q: %s dims %v need %d bytes, got %d", t.Name, t.Type, t.Dims, want, len(t.Data))
		}
		offsets[i] = off
		off = (off + uint64(len(t.Data)) + align - 1) / align * align
	}
	e := &encoder{w: bufio.NewWriter(w)}
	e.bytes([]byte(Magic))
	e.u32(3)
	e.u64(uint64(len(tensors)))
	e.u64(uint64(len(meta)))
	for _, kv := range meta {
		e.str(kv.Key)
		e.u32(uint32(kv.Value.Type()))
		if err := e.value(kv.Value); err != nil {
			return fmt.Errorf("gguf: Write: metadata %q: %w", kv.Key, err)
		}
	}
	for i, t := range tensors {
		e.str(t.Name)
		e.u32(uint32(len(t.Dims)))
		for _, d := range t.Dims {
			e.u64(d)
		}
		e.u32(uint32(t.Type))
		e.u64(offsets[i])
	}
	e.pad(align)
	for _, t := range tensors {
		e.bytes(t.Data)
		e.pad(align)
	}
	if e.err != nil {
		return fmt.Errorf("gguf: Write: %w", e.err)
	}
	if err := e.w.Flush(); err != nil {
		return fmt.Errorf("gguf: Write: %w", err)
	}
	return nil
}

// encoder writes little-endian values and keeps the first error.
type encoder struct {
	w   *bufio.Writer
	n   uint64
	err error
}

func (e *encoder) bytes(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
		e.n += uint64(len(b))
	}
}

func (e *encoder) u8(x uint8) { e.bytes([]byte{x}) }
func (e *encoder) u16(x uint16) {
	e.bytes(binary.LittleEndian.AppendUint16(nil, x))
}
func (e *encoder) u32(x uint32) { e.bytes(binary.LittleEndian.AppendUint32(nil, x)) }
func (e *encoder) u64(x uint64) { e.bytes(binary.LittleEndian.AppendUint64(nil, x)) }
func (e *encoder) str(s string) { e.u64(uint64(len(s))); e.bytes([]byte(s)) }

func (e *encoder) pad(align uint64) {
	if r := e.n % align; r != 0 {
		e.bytes(make([]byte, align-r))
	}
}

func (e *encoder) value(v Value) error {
	if v.typ == TypeArray {
		e.u32(uint32(v.elem))
		e.u64(uint64(v.Len()))
		for i := range v.Len() {
			el := v.index(i)
			if el.typ != v.elem {
				return fmt.Errorf("array element %d is a %s, the array holds %s", i, el.typ, v.elem)
			}
			if err := e.value(el); err != nil {
				return err
			}
		}
		return nil
	}
	switch x := v.v.(type) {
	case uint8:
		e.u8(x)
	case int8:
		e.u8(uint8(x))
	case bool:
		if x {
			e.u8(1)
		} else {
			e.u8(0)
		}
	case uint16:
		e.u16(x)
	case int16:
		e.u16(uint16(x))
	case uint32:
		e.u32(x)
	case int32:
		e.u32(uint32(x))
	case float32:
		e.u32(math.Float32bits(x))
	case uint64:
		e.u64(x)
	case int64:
		e.u64(uint64(x))
	case float64:
		e.u64(math.Float64bits(x))
	case string:
		e.str(x)
	default:
		return fmt.Errorf("invalid value (zero Value or unsupported %T)", v.v)
	}
	return nil
}
