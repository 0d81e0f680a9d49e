package tokenizer

import (
	"os"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/registry/registrytest"
)

// benchText is the text the tokenizer benchmarks encode: the corpus repeated
// to about 64 KB (scripts/fixtures/tokenizer/bench.sh feeds the same text to
// llama.cpp and HF tokenizers).
func benchText(b *testing.B) string {
	data, err := os.ReadFile("testdata/bench.txt")
	if err != nil {
		b.Fatal(err)
	}
	return string(data)
}

func benchmarkEncode(b *testing.B, model string) {
	m, err := OpenGGUF(registrytest.Model(b, model))
	if err != nil {
		b.Fatal(err)
	}
	benchmarkEncodeText(b, m)
}

// benchmarkEncodeText times m.Encode on testdata/bench.txt.
func benchmarkEncodeText(b *testing.B, m *Model) {
	text := benchText(b)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		ids, _ := m.Encode(text, EncodeOptions{})
		n += len(ids)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "tokens/s")
}

func BenchmarkEncodeSmolLM2(b *testing.B) { benchmarkEncode(b, "smollm2-135m-instruct") }
func BenchmarkEncodeGemma3(b *testing.B)  { benchmarkEncode(b, "gemma3-270m") }

func BenchmarkDecodeSmolLM2(b *testing.B) {
	m, err := OpenGGUF(registrytest.Model(b, "smollm2-135m-instruct"))
	if err != nil {
		b.Fatal(err)
	}
	ids, _ := m.Encode(benchText(b), EncodeOptions{})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = m.Decode(ids)
	}
	b.ReportMetric(float64(len(ids)*b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkEncodeGemma3HFJSON encodes the bench text with the real Gemma 3
// tokenizer.json (IFPROBE_HF_GEMMA3, see TestHFGemma3Real);
// scripts/fixtures/tokenizer/bench_hf.sh runs it beside HF tokenizers.
func BenchmarkEncodeGemma3HFJSON(b *testing.B) {
	dir := os.Getenv("IFPROBE_HF_GEMMA3")
	if dir == "" {
		b.Skip("IFPROBE_HF_GEMMA3 is not set (see TestHFGemma3Real)")
	}
	m, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	benchmarkEncodeText(b, m)
}
