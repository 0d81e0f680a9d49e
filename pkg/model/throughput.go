package model

import (
	"fmt"
	"slices"
	"time"
)

// SyntheticPrompts returns batch prompts of n token ids for throughput
// measurements: row i, position j holds 200 + (131i + 17j) mod 40000, folded into
// the vocabulary when it is smaller. The peers in BENCHMARKS.md
// (scripts/fixtures/model/bench_hf.py, bench_llamacpp.mjs) use the same recipe on
// SmolLM2's 49,152-token vocabulary: change them together.
func SyntheticPrompts(batch, n, vocab int) [][]int {
	base, span := 200, 40000
	if vocab-base < span {
		span = vocab - base
	}
	if span <= 0 {
		base, span = 0, vocab
	}
	out := make([][]int, batch)
	for i := range out {
		out[i] = make([]int, n)
		for j := range out[i] {
			out[i][j] = base + (i*131+j*17)%span
		}
	}
	return out
}

// Throughput is one MeasureThroughput result.
type Throughput struct {
	Batch        int     `json:"batch"`
	PromptTokens int     `json:"prompt_tokens"`        // per row
	GenTokens    int     `json:"gen_tokens"`           // per row, the first from the prefill's logits
	Prefill      float64 `json:"prefill_tokens_per_s"` // batch*PromptTokens over one Forward (last-position logits)
	Decode       float64 `json:"decode_tokens_per_s"`  // batch*(GenTokens-1) over the decode steps
	KVCacheMiB   float64 `json:"kv_cache_mib"`         // the decode's KV cache on the backend
}

// MeasureThroughput times m on SyntheticPrompts: the prefill of batch prompts of
// promptTokens (Forward with LastLogits, no cache kept), and greedy generation of
// genTokens per row after prompts of the same length, never stopping early (so the
// weights' values do not change the work). Each is run once untimed (compilation),
// then reps times; the median is reported. These are the workloads of the
// SmolLM2 benchmarks in BENCHMARKS.md.
func (m *Model) MeasureThroughput(batch, promptTokens, genTokens, reps int) (Throughput, error) {
	if batch < 1 || promptTokens < 1 || genTokens < 2 || reps < 1 {
		return Throughput{}, fmt.Errorf("model: MeasureThroughput(batch %d, prompt %d, gen %d, reps %d): want batch, prompt, reps >= 1 and gen >= 2",
			batch, promptTokens, genTokens, reps)
	}
	t := Throughput{Batch: batch, PromptTokens: promptTokens, GenTokens: genTokens}
	prompts := SyntheticPrompts(batch, promptTokens, m.Config.VocabSize)
	prefill := func() (time.Duration, error) {
		t0 := time.Now()
		_, err := m.Forward(prompts, ForwardOptions{Logits: LastLogits})
		return time.Since(t0), err
	}
	decode := func() (time.Duration, error) {
		_, st, err := m.Generate(prompts, GenerateOptions{MaxTokens: genTokens, IgnoreStop: true})
		return st.Decode, err
	}
	p, err := medianRun(prefill, reps)
	if err != nil {
		return t, err
	}
	d, err := medianRun(decode, reps)
	if err != nil {
		return t, err
	}
	t.Prefill = float64(batch*promptTokens) / p.Seconds()
	t.Decode = float64(batch*(genTokens-1)) / d.Seconds()
	t.KVCacheMiB = float64(m.kvCacheBytes(batch, cacheColumns(promptTokens, genTokens, m.Config.ContextLength))) / (1 << 20)
	return t, nil
}

// medianRun runs f once untimed, then reps times, and returns the median duration.
func medianRun(f func() (time.Duration, error), reps int) (time.Duration, error) {
	if _, err := f(); err != nil {
		return 0, err
	}
	ds := make([]time.Duration, reps)
	for i := range ds {
		d, err := f()
		if err != nil {
			return 0, err
		}
		ds[i] = d
	}
	slices.Sort(ds)
	return ds[reps/2], nil
}
