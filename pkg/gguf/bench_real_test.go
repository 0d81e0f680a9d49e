package gguf_test

import (
	"testing"

	"github.com/ifprobe/ifprobe/pkg/gguf"
	"github.com/ifprobe/ifprobe/pkg/registry"
)

// BenchmarkReadF32Model reads and dequantizes every tensor of the installed default
// model smollm2-135m-instruct (Q4_1 + Q8_0 + F32). Its peer is gguf-py's numpy
// dequantizer on the same file, timed by scripts/fixtures/gguf/bench_peer.sh in the
// same run.
func BenchmarkReadF32Model(b *testing.B) {
	path, err := registry.Path("smollm2-135m-instruct")
	if err != nil {
		b.Skip(err)
	}
	f, err := gguf.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var elems int64
	for _, t := range f.Tensors() {
		elems += t.Elements()
	}
	b.ResetTimer()
	for range b.N {
		for _, t := range f.Tensors() {
			if _, _, err := f.ReadF32(t.Name); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(elems)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Melem/s")
}
