package model

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/ifprobe/ifprobe/pkg/compute"
	"github.com/ifprobe/ifprobe/pkg/hook"
)

// cacheTol bounds |cached-step logit - full-forward logit| on the tiny models: the
// same f32 operations, but attention over a different number of (masked) keys and
// matrix products over other shapes sum in another order; a few ulps of logits ~1.
const cacheTol = 1e-5

// testBackends are SimpleGo (KV cache written by a select) and, when install.sh
// installed an XLA plugin, the production backend (written by DynamicUpdateSlice
// into a donated buffer).
func testBackends(t *testing.T) map[string]backends.Backend {
	out := map[string]backends.Backend{"go": backendForTest(t)}
	if b, info, err := compute.Default(); err == nil && info.Name != "go" {
		out[info.Name] = b
	}
	return out
}

func TestCachedGenerationMatchesFullForward(t *testing.T) {
	for bname, backend := range testBackends(t) {
		archs, steps := []string{"llama", "gemma3", "gemma2", "qwen2"}, []int{0, 1, 30, 47, 48, 49, 59}
		if bname != "go" { // XLA compiles every forward length anew: check fewer
			archs, steps = []string{"llama", "gemma3"}, []int{0, 59}
		}
		for _, arch := range archs {
			t.Run(bname+"/"+arch, func(t *testing.T) {
				testCachedGeneration(t, backend, arch, steps)
			})
		}
	}
}

func testCachedGeneration(t *testing.T, backend backends.Backend, arch string, checkSteps []int) {
	{
		{
			m := tinyModelOn(t, backend, arch, 1)
			rng := rand.New(rand.NewPCG(4, 0))
			prompts := [][]int{randomTokens(rng, 7, 61), randomTokens(rng, 3, 61)}
			// steps[row, step] are the logits that chose the token; 7+60 tokens need a
			// 128-column cache.
			steps := map[[2]int][]float32{}
			opts := GenerateOptions{MaxTokens: 60, IgnoreStop: true, Temperature: 1, Seed: 9,
				onLogits: func(row, step int, l []float32) { steps[[2]int{row, step}] = slices.Clone(l) }}
			seqs, stats, err := m.Generate(prompts, opts)
			if err != nil {
				t.Fatal(err)
			}
			if stats.GeneratedTokens != 120 {
				t.Fatalf("generated %d tokens, want 120", stats.GeneratedTokens)
			}
			for b, sq := range seqs {
				if len(sq.Tokens) != 60 || sq.Stop != StopMaxTokens {
					t.Fatalf("row %d: %d tokens, stop %q", b, len(sq.Tokens), sq.Stop)
				}
				for _, k := range checkSteps {
					full, err := m.Forward([][]int{append(slices.Clone(sq.Prompt), sq.Tokens[:k]...)}, ForwardOptions{Logits: LastLogits})
					if err != nil {
						t.Fatal(err)
					}
					if d := MaxAbsDiff(full.Logits.At(0, 0), steps[[2]int{b, k}]); !(d <= cacheTol) {
						t.Errorf("row %d step %d: max |cached - full| = %g > %g", b, k, d, cacheTol)
					}
				}
			}
		}
	}
}

func TestCaptureDuringGenerationMatchesForward(t *testing.T) {
	m := tinyModel(t, "gemma3")
	prompts := [][]int{{5, 6, 7, 8, 9}, {10, 11}}
	hooks := []hook.Point{hook.ResidPost(0), hook.AttnOut(2), hook.FinalNorm}
	seqs, _, err := m.Generate(prompts, GenerateOptions{MaxTokens: 6, IgnoreStop: true, Capture: hooks})
	if err != nil {
		t.Fatal(err)
	}
	for b, sq := range seqs {
		all := append(slices.Clone(sq.Prompt), sq.Tokens...)
		full, err := m.Forward([][]int{all}, ForwardOptions{Logits: NoLogits, Capture: hooks})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hooks {
			w := m.Config.width(h)
			got := sq.Captures[h]
			if len(got) != len(all)*w {
				t.Fatalf("row %d %s: %d values, want %d tokens x %d", b, h, len(got), len(all), w)
			}
			for tok := range all {
				if d := MaxAbsDiff(got[tok*w:(tok+1)*w], full.Captures[h].At(0, tok)); !(d <= cacheTol) {
					t.Errorf("row %d %s token %d (step %d): max |generation - forward| = %g", b, h, tok, tok-len(sq.Prompt), d)
				}
			}
		}
	}
}

func TestGenerateStopsAndSamples(t *testing.T) {
	m := tinyModel(t, "llama")
	prompt := [][]int{{1, 2, 3}}
	greedy, _, err := m.Generate(prompt, GenerateOptions{MaxTokens: 5, IgnoreStop: true})
	if err != nil {
		t.Fatal(err)
	}
	// Stop on the second greedy token: the response ends there, stop token included.
	stopAt := greedy[0].Tokens[1]
	stopped, _, err := m.Generate(prompt, GenerateOptions{MaxTokens: 5, Stop: []int{stopAt}})
	if err != nil {
		t.Fatal(err)
	}
	want := greedy[0].Tokens[:slices.Index(greedy[0].Tokens, stopAt)+1]
	if !slices.Equal(stopped[0].Tokens, want) || stopped[0].Stop != StopToken {
		t.Errorf("stopped: %v (%s), want %v (stop_token)", stopped[0].Tokens, stopped[0].Stop, want)
	}
	// top-k 1 is greedy whatever the temperature.
	k1, _, _ := m.Generate(prompt, GenerateOptions{MaxTokens: 5, IgnoreStop: true, Temperature: 5, TopK: 1, Seed: 3})
	if !slices.Equal(k1[0].Tokens, greedy[0].Tokens) {
		t.Errorf("top-k 1: %v, greedy %v", k1[0].Tokens, greedy[0].Tokens)
	}
	// Same seed, same draw; another seed differs (61-token vocabulary, temperature 5).
	a, _, _ := m.Generate(prompt, GenerateOptions{MaxTokens: 20, IgnoreStop: true, Temperature: 5, Seed: 1})
	b, _, _ := m.Generate(prompt, GenerateOptions{MaxTokens: 20, IgnoreStop: true, Temperature: 5, Seed: 1})
	c, _, _ := m.Generate(prompt, GenerateOptions{MaxTokens: 20, IgnoreStop: true, Temperature: 5, Seed: 2})
	if !slices.Equal(a[0].Tokens, b[0].Tokens) || slices.Equal(a[0].Tokens, c[0].Tokens) {
		t.Errorf("seeded sampling: seed 1 %v / %v, seed 2 %v", a[0].Tokens, b[0].Tokens, c[0].Tokens)
	}
	// Streaming sees every token in order.
	var streamed []int
	s, _, _ := m.Generate(prompt, GenerateOptions{MaxTokens: 5, IgnoreStop: true, OnToken: func(row, step, tok int) { streamed = append(streamed, tok) }})
	if !slices.Equal(streamed, s[0].Tokens) {
		t.Errorf("streamed %v, returned %v", streamed, s[0].Tokens)
	}
	for i, o := range []GenerateOptions{{MaxTokens: -1}, {Temperature: -1}, {TopP: 1.5}, {TopK: -2}, {Stop: []int{99}}} {
		if _, _, err := m.Generate(prompt, o); !errors.Is(err, ErrBadInput) {
			t.Errorf("options %d: err %v, want ErrBadInput", i, err)
		}
	}
}

func TestSampleLogitsTopP(t *testing.T) {
	// probabilities ∝ exp(logit): 0.5, 0.3, 0.2 (logits ln of them). top-p 0.6 keeps
	// {0, 1}; token 2 must never be drawn; with top-p 0.5 only token 0.
	logits := []float32{-0.6931472, -1.2039728, -1.6094379}
	rng := rand.New(rand.NewPCG(1, 2))
	count := [3]int{}
	for range 2000 {
		count[sampleLogits(logits, 1, 0, 0.6, rng)]++
	}
	if count[2] != 0 || count[0] == 0 || count[1] == 0 {
		t.Errorf("top-p 0.6 counts %v", count)
	}
	for range 100 {
		if tok := sampleLogits(logits, 1, 0, 0.5, rng); tok != 0 {
			t.Fatalf("top-p 0.5 drew %d", tok)
		}
	}
}
