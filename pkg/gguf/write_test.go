package gguf

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

// sampleMeta has one value of every type, including an array of arrays.
func sampleMeta() []KV {
	return []KV{
		{"general.architecture", MustValueOf("llama")},
		{"u8", MustValueOf(uint8(200))},
		{"i8", MustValueOf(int8(-100))},
		{"u16", MustValueOf(uint16(60000))},
		{"i16", MustValueOf(int16(-30000))},
		{"u32", MustValueOf(uint32(4000000000))},
		{"i32", MustValueOf(int32(-2000000000))},
		{"f32", MustValueOf(float32(0.25))},
		{"bool", MustValueOf(true)},
		{"str", MustValueOf("héllo")},
		{"u64", MustValueOf(uint64(math.MaxUint64))},
		{"i64", MustValueOf(int64(math.MinInt64))},
		{"f64", MustValueOf(-1.5)},
		{"tokens", MustValueOf([]string{"a", "", "ü"})},
		{"ids", MustValueOf([]int32{1, -2, 3})},
		{"scores", MustValueOf([]float32{0.5, -1})},
		{"flags", MustValueOf([]bool{true, false})},
		{"nested", MustValueOf([]Value{MustValueOf([]uint8{1, 2}), MustValueOf([]string{"x"})})},
		{"empty", MustValueOf([]uint64{})},
	}
}

func writeSample(t *testing.T, meta []KV, tensors []WriteTensor) *File {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, meta, tensors); err != nil {
		t.Fatal(err)
	}
	f, err := NewFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "sample.gguf")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestWriteOpenRoundTrip(t *testing.T) {
	meta := sampleMeta()
	data := []float32{1, 2, 3, 4, 5, 6}
	f := writeSample(t, meta, []WriteTensor{
		F32Tensor("w", []int{2, 3}, data),
		F32Tensor("b", []int{3}, data[:3]),
	})
	if f.Version != 3 || f.Alignment != DefaultAlignment {
		t.Errorf("version %d alignment %d, want 3 and %d", f.Version, f.Alignment, DefaultAlignment)
	}
	if got := f.Keys(); len(got) != len(meta) {
		t.Fatalf("%d keys, want %d", len(got), len(meta))
	}
	for i, kv := range meta {
		if f.Keys()[i] != kv.Key {
			t.Errorf("key %d = %q, want %q", i, f.Keys()[i], kv.Key)
		}
		got, _ := f.Meta(kv.Key)
		if got.Type() != kv.Value.Type() || !reflect.DeepEqual(got.Interface(), kv.Value.Interface()) {
			t.Errorf("%s = %v (%s), want %v (%s)", kv.Key, got, got.Type(), kv.Value, kv.Value.Type())
		}
	}
	got, shape, err := f.ReadF32("w")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, data) || !reflect.DeepEqual(shape, []int{2, 3}) {
		t.Errorf("ReadF32(w) = %v %v, want %v [2 3]", got, shape, data)
	}
	if ti, _ := f.Tensor("w"); !reflect.DeepEqual(ti.Dims, []uint64{3, 2}) {
		t.Errorf("dims %v, want GGUF order [3 2]", ti.Dims)
	}
	if ti, _ := f.Tensor("b"); ti.Offset%f.Alignment != 0 {
		t.Errorf("offset %d not aligned", ti.Offset)
	}
}

func TestAccessors(t *testing.T) {
	f := writeSample(t, sampleMeta(), nil)
	if f.Arch() != "llama" {
		t.Errorf("Arch = %q", f.Arch())
	}
	if u, err := f.Uint("u16"); err != nil || u != 60000 {
		t.Errorf("Uint(u16) = %d, %v", u, err)
	}
	if i, err := f.Int("i8"); err != nil || i != -100 {
		t.Errorf("Int(i8) = %d, %v", i, err)
	}
	if _, err := f.Uint("i8"); !errors.Is(err, ErrType) {
		t.Errorf("Uint of a negative int8: err = %v, want ErrType", err)
	}
	if _, err := f.Int("u64"); !errors.Is(err, ErrType) {
		t.Errorf("Int of MaxUint64: err = %v, want ErrType", err)
	}
	if x, err := f.Float("f32"); err != nil || x != 0.25 {
		t.Errorf("Float(f32) = %v, %v", x, err)
	}
	if s, err := f.Strings("tokens"); err != nil || len(s) != 3 {
		t.Errorf("Strings = %v, %v", s, err)
	}
	if _, err := f.Strings("ids"); !errors.Is(err, ErrType) {
		t.Errorf("Strings(ids): err = %v, want ErrType", err)
	}
	if _, err := f.String("missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("String(missing): err = %v, want ErrNotFound", err)
	}
	if _, _, err := f.ReadF32("missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadF32(missing): err = %v, want ErrNotFound", err)
	}
}

func TestReadF32Unsupported(t *testing.T) {
	f := writeSample(t, nil, []WriteTensor{{Name: "iq", Dims: []uint64{32}, Type: TypeIQ4_NL, Data: make([]byte, 18)}})
	raw, err := f.ReadRaw("iq")
	if err != nil || len(raw) != 18 {
		t.Errorf("ReadRaw = %d bytes, %v", len(raw), err)
	}
	_, _, err = f.ReadF32("iq")
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), `sample.gguf: tensor "iq"`) {
		t.Errorf("ReadF32 of IQ4_NL: %v, want ErrUnsupported naming file and tensor", err)
	}
	if err := f.ReadF32To(make([]float32, 3), "iq"); err == nil {
		t.Error("ReadF32To with a wrong dst length succeeded")
	}
}
