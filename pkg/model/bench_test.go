package model

import (
	"testing"

	"github.com/ifprobe/ifprobe/pkg/hook"
)

// Throughput of the default model (SmolLM2-135M) on the backend chosen by
// $IFPROBE_BACKEND (compute.Default otherwise). BENCHMARKS.md "Model throughput"
// compares them with HF transformers and llama.cpp on the same file, the same
// token ids and the same workloads, all in one run of
// scripts/fixtures/model/bench.sh:
//
//	IFPROBE_BACKEND=xla:cpu go test -run '^$' -bench 'SmolLM2' -benchtime 3x ./pkg/model/

// benchPrompts are SyntheticPrompts on SmolLM2's vocabulary (the peers'
// recipe).
func benchPrompts(b, n int) [][]int { return SyntheticPrompts(b, n, 49152) }

func benchmarkPrefill(b *testing.B, batch, tokens int) {
	m := benchModel(b)
	prompts := benchPrompts(batch, tokens)
	if _, err := m.Forward(prompts, ForwardOptions{Logits: LastLogits}); err != nil { // compile
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := m.Forward(prompts, ForwardOptions{Logits: LastLogits}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(batch*tokens*b.N)/b.Elapsed().Seconds(), "tokens/s")
}

func benchmarkDecode(b *testing.B, batch, gen int, capture bool) {
	m := benchModel(b)
	prompts := benchPrompts(batch, 32)
	opts := GenerateOptions{MaxTokens: gen, IgnoreStop: true}
	if capture { // every layer's resid_post at every token, as the dataset step does
		for l := 0; l < m.Config.NLayers; l++ {
			opts.Capture = append(opts.Capture, hook.ResidPost(l))
		}
	}
	if _, _, err := m.Generate(prompts, opts); err != nil { // compile
		b.Fatal(err)
	}
	b.ResetTimer()
	var decode float64
	for range b.N {
		_, st, err := m.Generate(prompts, opts)
		if err != nil {
			b.Fatal(err)
		}
		decode += st.Decode.Seconds()
	}
	// Each row generates gen tokens; the first comes from the prefill logits.
	b.ReportMetric(float64(batch*(gen-1)*b.N)/decode, "gen_tokens/s")
}

func BenchmarkSmolLM2Prefill1x64(b *testing.B)    { benchmarkPrefill(b, 1, 64) }
func BenchmarkSmolLM2Prefill8x64(b *testing.B)    { benchmarkPrefill(b, 8, 64) }
func BenchmarkSmolLM2Decode1(b *testing.B)        { benchmarkDecode(b, 1, 32, false) }
func BenchmarkSmolLM2Decode8(b *testing.B)        { benchmarkDecode(b, 8, 32, false) }
func BenchmarkSmolLM2Decode8Capture(b *testing.B) { benchmarkDecode(b, 8, 32, true) }
