package gguf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"runtime"
	"strings"
	"testing"
)

// raw builds GGUF bytes by hand, so tests can write what Write refuses to.
type raw struct{ bytes.Buffer }

func (r *raw) u32(x uint32) *raw { binary.Write(&r.Buffer, binary.LittleEndian, x); return r }
func (r *raw) u64(x uint64) *raw { binary.Write(&r.Buffer, binary.LittleEndian, x); return r }
func (r *raw) str(s string) *raw { r.u64(uint64(len(s))); r.WriteString(s); return r }
func (r *raw) pad(n int) *raw    { r.Write(make([]byte, n)); return r }

// header starts a v3 file with nt tensors and nkv metadata pairs.
func header(nt, nkv uint64) *raw {
	r := &raw{}
	r.WriteString("GGUF")
	return r.u32(3).u64(nt).u64(nkv)
}

// oneTensor is a file with one tensor info and dataBytes of data after alignment.
func oneTensor(name string, dims []uint64, typ GGMLType, offset uint64, dataBytes int) []byte {
	r := header(1, 0).str(name).u32(uint32(len(dims)))
	for _, d := range dims {
		r.u64(d)
	}
	r.u32(uint32(typ)).u64(offset)
	r.pad((32 - r.Len()%32) % 32).pad(dataBytes)
	return r.Bytes()
}

func TestOpenHostile(t *testing.T) {
	f32 := uint32(TypeFloat32)
	for i, c := range []struct {
		name  string
		data  []byte
		want  error
		field string // must appear in the message
	}{
		{"empty", nil, ErrFormat, "magic"},                                                                                                                   // 0
		{"bad magic", append([]byte("GGML"), make([]byte, 20)...), ErrFormat, "magic"},                                                                       // 1
		{"magic only", []byte("GGUF"), ErrFormat, "version"},                                                                                                 // 2
		{"version 1 real", append([]byte("GGUF"), 1, 0, 0, 0), ErrUnsupported, "version"},                                                                    // 3
		{"big-endian", append([]byte("GGUF"), 0, 0, 0, 3), ErrUnsupported, "big-endian"},                                                                     // 4
		{"truncated counts", append([]byte("GGUF"), 3, 0, 0, 0, 1), ErrFormat, "tensor count"},                                                               // 5
		{"lying kv count", header(0, 1<<60).Bytes(), ErrFormat, "metadata count"},                                                                            // 6
		{"lying tensor count", header(1<<60, 0).Bytes(), ErrFormat, "tensor count"},                                                                          // 7
		{"key longer than file", header(0, 1).u64(1 << 40).pad(16).Bytes(), ErrFormat, "metadata key #0"},                                                    // 8
		{"string value longer than file", header(0, 1).str("k").u32(uint32(TypeString)).u64(1 << 50).pad(8).Bytes(), ErrFormat, `"k"`},                       // 9
		{"array count too big", header(0, 1).str("k").u32(uint32(TypeArray)).u32(f32).u64(1 << 58).pad(64).Bytes(), ErrFormat, "cannot fit"},                 // 10
		{"string array too big", header(0, 1).str("k").u32(uint32(TypeArray)).u32(uint32(TypeString)).u64(1 << 40).pad(64).Bytes(), ErrFormat, "cannot fit"}, // 11
		{"unknown value type", header(0, 1).str("k").u32(13).pad(8).Bytes(), ErrFormat, "unknown value type"},                                                // 12
		{"unknown array elem type", header(0, 1).str("k").u32(uint32(TypeArray)).u32(77).u64(1).pad(8).Bytes(), ErrFormat, "element type"},                   // 13
		{"invalid UTF-8 key", header(0, 1).str("k\xff").u32(uint32(TypeUint8)).pad(1).Bytes(), ErrFormat, "UTF-8"},                                           // 14
		{"duplicate key", header(0, 2).str("k").u32(uint32(TypeUint8)).pad(1).str("k").u32(uint32(TypeUint8)).pad(1).Bytes(), ErrFormat, "duplicate"},        // 15
		{"bool byte 2", append(header(0, 1).str("k").u32(uint32(TypeBool)).Bytes(), 2), ErrFormat, "bool"},                                                   // 16
		{"alignment not power of 2", header(0, 1).str("general.alignment").u32(uint32(TypeUint32)).u32(24).Bytes(), ErrFormat, "general.alignment"},          // 17
		{"alignment wrong type", header(0, 1).str("general.alignment").u32(uint32(TypeUint64)).u64(32).Bytes(), ErrFormat, "general.alignment"},              // 18
		{"5 dims", oneTensor("t", []uint64{1, 1, 1, 1, 1}, TypeF32, 0, 4), ErrFormat, "5 dims"},                                                              // 19
		{"element count overflow", oneTensor("t", []uint64{1 << 40, 1 << 40}, TypeF32, 0, 0), ErrFormat, "overflow"},                                         // 20
		{"byte size overflow", oneTensor("t", []uint64{1 << 62}, TypeF32, 0, 0), ErrFormat, "overflow"},                                                      // 21
		{"unknown ggml type", oneTensor("t", []uint64{4}, GGMLType(4), 0, 16), ErrFormat, "unknown ggml type"},                                               // 22
		{"partial block", oneTensor("t", []uint64{31}, TypeQ4_0, 0, 18), ErrFormat, "block size"},                                                            // 23
		{"scalar quantized", oneTensor("t", nil, TypeQ4_0, 0, 18), ErrFormat, "block size"},                                                                  // 24
		{"data beyond EOF", oneTensor("t", []uint64{1000}, TypeF32, 0, 100), ErrFormat, "past the end"},                                                      // 25
		{"huge offset", oneTensor("t", []uint64{1}, TypeF32, 1<<62, 4), ErrFormat, "past the end"},                                                           // 26
		{"offset overflow", oneTensor("t", []uint64{1}, TypeF32, 1<<63, 4), ErrFormat, "offset"},                                                             // 27
		{"unaligned offset", oneTensor("t", []uint64{1}, TypeF32, 4, 64), ErrFormat, "alignment"},                                                            // 28
		{"invalid UTF-8 tensor name", oneTensor("\xc3", []uint64{1}, TypeF32, 0, 4), ErrFormat, "UTF-8"},                                                     // 29
		{"nested arrays too deep", deepArray(100), ErrFormat, "nested"},                                                                                      // 30
	} {
		before := allocated()
		f, err := NewFile(bytes.NewReader(c.data), int64(len(c.data)), "hostile.gguf")
		grew := allocated() - before
		if err == nil {
			t.Errorf("%d %s: opened (%d tensors), want an error", i, c.name, len(f.Tensors()))
			continue
		}
		if !errors.Is(err, c.want) {
			t.Errorf("%d %s: %v, want errors.Is %v", i, c.name, err, c.want)
		}
		if msg := err.Error(); !strings.Contains(msg, "hostile.gguf") || !strings.Contains(msg, c.field) {
			t.Errorf("%d %s: message %q should name the file and %q", i, c.name, msg, c.field)
		}
		if grew > 1<<20 {
			t.Errorf("%d %s: allocated %d bytes for a %d-byte file", i, c.name, grew, len(c.data))
		}
	}
}

// deepArray is a file whose only value nests arrays depth levels deep.
func deepArray(depth int) []byte {
	r := header(0, 1).str("k").u32(uint32(TypeArray))
	for range depth {
		r.u32(uint32(TypeArray)).u64(1)
	}
	return r.u32(uint32(TypeUint8)).u64(0).Bytes()
}

func allocated() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// TestOpenTruncatedEverywhere cuts a valid file at every length: each prefix must be
// rejected with ErrFormat (or, for prefixes that end after the last tensor's data
// when padding is missing, opened), never panic.
func TestOpenTruncatedEverywhere(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, sampleMeta(), []WriteTensor{F32Tensor("w", []int{2, 3}, make([]float32, 6))}); err != nil {
		t.Fatal(err)
	}
	full := buf.Bytes()
	for n := range len(full) {
		_, err := NewFile(bytes.NewReader(full[:n]), int64(n), "cut.gguf")
		if err == nil {
			// Only the trailing alignment padding may be missing.
			if n < len(full)-DefaultAlignment {
				t.Errorf("prefix of %d/%d bytes opened", n, len(full))
			}
			continue
		}
		if !errors.Is(err, ErrFormat) {
			t.Errorf("prefix of %d bytes: %v, want ErrFormat", n, err)
		}
	}
}

// TestVersion2 checks that v2 files (same layout as v3, little-endian) open.
func TestVersion2(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, sampleMeta(), nil); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	binary.LittleEndian.PutUint32(b[4:], 2)
	f, err := NewFile(bytes.NewReader(b), int64(len(b)), "v2.gguf")
	if err != nil || f.Version != 2 {
		t.Fatalf("v2: %v", err)
	}
}

func TestCustomAlignment(t *testing.T) {
	meta := []KV{{"general.alignment", MustValueOf(uint32(64))}}
	f := writeSample(t, meta, []WriteTensor{
		F32Tensor("a", []int{3}, []float32{1, 2, 3}),
		F32Tensor("b", []int{2}, []float32{4, 5}),
	})
	if f.Alignment != 64 || f.DataStart%64 != 0 {
		t.Fatalf("alignment %d data start %d", f.Alignment, f.DataStart)
	}
	if b, _ := f.Tensor("b"); b.Offset != 64 {
		t.Errorf("offset of b = %d, want 64", b.Offset)
	}
	if got, _, err := f.ReadF32("b"); err != nil || got[1] != 5 {
		t.Errorf("ReadF32(b) = %v, %v", got, err)
	}
}

func TestWriteRejects(t *testing.T) {
	var buf bytes.Buffer
	for i, c := range []struct {
		meta    []KV
		tensors []WriteTensor
	}{
		{[]KV{{"general.alignment", MustValueOf(uint32(3))}}, nil},                                    // 0
		{nil, []WriteTensor{{Name: "t", Dims: []uint64{31}, Type: TypeQ4_0, Data: make([]byte, 18)}}}, // 1
		{nil, []WriteTensor{{Name: "t", Dims: []uint64{2}, Type: TypeF32, Data: make([]byte, 4)}}},    // 2
		{[]KV{{"zero", Value{}}}, nil}, // 3: a zero Value has no Go value
	} {
		if err := Write(&buf, c.meta, c.tensors); err == nil {
			t.Errorf("%d: Write succeeded, want an error", i)
		}
	}
	if _, err := ValueOf(struct{}{}); err == nil {
		t.Error("ValueOf(struct{}{}) succeeded")
	}
}
