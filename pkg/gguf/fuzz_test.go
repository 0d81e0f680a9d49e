package gguf

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// fuzzSeeds are small valid GGUFs: every value type, plain and quantized tensors,
// a custom alignment, and a vocab-only file with no tensors. The same files are
// committed under testdata/fuzz/FuzzOpen (regenerate with
// IFPROBE_WRITE_FUZZ_SEEDS=1 go test -run TestFuzzSeeds ./pkg/gguf).
func fuzzSeeds() [][]byte {
	rng := rand.New(rand.NewPCG(1, 2)) // fixed seed: the corpus must not change
	rnd := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		for i := 0; i+1 < n; i += 2 { // keep f16 fields finite-ish: clear exponent top bit
			b[i+1] &= 0x3f
		}
		return b
	}
	build := func(meta []KV, tensors []WriteTensor) []byte {
		var buf bytes.Buffer
		if err := Write(&buf, meta, tensors); err != nil {
			panic(err)
		}
		return buf.Bytes()
	}
	return [][]byte{
		build(sampleMeta(), []WriteTensor{F32Tensor("w", []int{2, 3}, []float32{1, 2, 3, 4, 5, 6})}),
		build([]KV{{"general.architecture", MustValueOf("llama")}}, []WriteTensor{
			{Name: "q4", Dims: []uint64{32, 2}, Type: TypeQ4_0, Data: rnd(36)},
			{Name: "q4k", Dims: []uint64{256}, Type: TypeQ4_K, Data: rnd(144)},
			{Name: "f16", Dims: []uint64{4}, Type: TypeF16, Data: rnd(8)},
		}),
		build([]KV{{"general.alignment", MustValueOf(uint32(64))}}, []WriteTensor{
			{Name: "q6k", Dims: []uint64{256}, Type: TypeQ6_K, Data: rnd(210)},
			{Name: "q8", Dims: []uint64{32}, Type: TypeQ8_0, Data: rnd(34)},
		}),
		build([]KV{
			{"tokenizer.ggml.tokens", MustValueOf([]string{"<s>", "a", "b"})},
			{"tokenizer.ggml.scores", MustValueOf([]float32{0, -1, -2})},
		}, nil),
	}
}

// FuzzOpen checks that no input makes NewFile, the accessors or ReadF32 panic, and
// that whatever opens can be read back.
func FuzzOpen(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		gf, err := NewFile(bytes.NewReader(data), int64(len(data)), "fuzz.gguf")
		if err != nil {
			return
		}
		for _, k := range gf.Keys() {
			v, _ := gf.Meta(k)
			_ = v.String()
			gf.Strings(k)
			gf.Uint(k)
		}
		_ = gf.Arch()
		for _, ti := range gf.Tensors() {
			if ti.Size() > int64(len(data)) {
				t.Fatalf("tensor %q claims %d bytes in a %d-byte file", ti.Name, ti.Size(), len(data))
			}
			if CanDequantize(ti.Type) {
				if _, _, err := gf.ReadF32(ti.Name); err != nil {
					t.Fatalf("tensor %q opened but does not read: %v", ti.Name, err)
				}
			}
		}
	})
}

// TestFuzzSeeds checks that the committed corpus equals fuzzSeeds (or rewrites it
// when IFPROBE_WRITE_FUZZ_SEEDS=1) and that every seed opens.
func TestFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzOpen")
	for i, s := range fuzzSeeds() {
		if _, err := NewFile(bytes.NewReader(s), int64(len(s)), "seed"); err != nil {
			t.Errorf("seed %d does not open: %v", i, err)
		}
		path := filepath.Join(dir, fmt.Sprintf("seed-%d", i))
		want := []byte(fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s))
		if os.Getenv("IFPROBE_WRITE_FUZZ_SEEDS") == "1" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is missing or stale (err %v): rerun with IFPROBE_WRITE_FUZZ_SEEDS=1", path, err)
		}
	}
}
