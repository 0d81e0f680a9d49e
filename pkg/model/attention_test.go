package model

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/hook"
)

// withPrompt runs f with m attending prompts block queries at a time; 0 is the
// reference: the whole prompt at once.
func withPrompt(m *Model, block int, f func()) {
	ob := m.attnBlock
	m.attnBlock = block
	defer func() { m.attnBlock = ob }()
	f()
}

// realTokensDiff is the largest |a - b| over the real (non-pad) tokens of every row:
// what a pad query computes (it sees no key) is not part of any result.
func realTokensDiff(a, b *Acts) float64 {
	d := 0.0
	for r := 0; r < a.Batch; r++ {
		for t := 0; t < a.Len(r); t++ {
			d = max(d, MaxAbsDiff(a.At(r, t), b.At(r, t)))
		}
	}
	return d
}

// TestLongPromptPathsEqualWhole: attending a prompt in blocks of queries gives the
// logits, captures, intervention effects and greedy continuations (whose prefill is
// right-padded) of the whole-prompt path, on every backend, for every family, with
// padding, blocks that do not divide the length, and sizes below and above the
// sliding window.
func TestLongPromptPathsEqualWhole(t *testing.T) {
	for name, backend := range testBackends(t) {
		archs, sizes := []string{"llama", "qwen2", "gemma2", "gemma3"}, []int{1, 2, 5, 8, 22}
		if name != "go" { // XLA compiles every block size anew: check fewer
			archs, sizes = []string{"llama", "gemma3"}, []int{5}
		}
		for _, arch := range archs {
			cfg := tinyConfigs()[arch]
			t.Run(name+"/"+arch, func(t *testing.T) {
				if err := cfg.Validate(); err != nil {
					t.Fatal(err)
				}
				w, err := RandomWeights(cfg, 1)
				if err != nil {
					t.Fatal(err)
				}
				m, err := New(backend, cfg, w)
				if err != nil {
					t.Fatal(err)
				}
				comparePromptPaths(t, m, sizes)
			})
		}
	}
}

func comparePromptPaths(t *testing.T, m *Model, sizes []int) {
	rng := rand.New(rand.NewPCG(7, 1))
	seqs := [][]int{randomTokens(rng, 23, 61), randomTokens(rng, 9, 61), randomTokens(rng, 1, 61)}
	steer := make([]float32, m.Config.DModel)
	steer[3] = 2
	opts := ForwardOptions{Capture: []hook.Point{hook.ResidPost(0), hook.AttnHeads(1)},
		Interventions: []Intervention{{Kind: Steer, Hook: hook.ResidPre(1), Vector: steer, Coef: 1,
			At: func(row, pos int) bool { return pos%3 == 1 }}}}
	var whole *Output
	withPrompt(m, 0, func() {
		var err error
		if whole, err = m.Forward(seqs, opts); err != nil {
			t.Fatal(err)
		}
	})
	for _, size := range sizes {
		withPrompt(m, size, func() {
			got, err := m.Forward(seqs, opts)
			if err != nil {
				t.Fatal(err)
			}
			if d := realTokensDiff(got.Logits, whole.Logits); !(d <= batchTol) {
				t.Errorf("size %d: max |logit diff| %g > %g", size, d, batchTol)
			}
			for h, c := range whole.Captures {
				if d := realTokensDiff(got.Captures[h], c); !(d <= batchTol) {
					t.Errorf("size %d: %s: max diff %g", size, h, d)
				}
			}
		})
	}
	gen := func(size int) []Sequence {
		var out []Sequence
		withPrompt(m, size, func() {
			var err error
			if out, _, err = m.Generate(seqs, GenerateOptions{MaxTokens: 6, IgnoreStop: true, Capture: []hook.Point{hook.ResidPost(0)}}); err != nil {
				t.Fatal(err)
			}
		})
		return out
	}
	want, got := gen(0), gen(4)
	for b := range want {
		if !slices.Equal(got[b].Tokens, want[b].Tokens) {
			t.Errorf("row %d: generates %v, whole prefill %v", b, got[b].Tokens, want[b].Tokens)
		}
		h := hook.ResidPost(0)
		if d := MaxAbsDiff(got[b].Captures[h], want[b].Captures[h]); len(got[b].Captures[h]) != len(want[b].Captures[h]) || !(d <= batchTol) {
			t.Errorf("row %d: captures differ (%d vs %d values, max diff %g)", b, len(got[b].Captures[h]), len(want[b].Captures[h]), d)
		}
	}
}

// TestLongPromptRealModel: on SmolLM2-135M, a 400-token prompt attended in the
// default blocks gives the logits of the whole-prompt path.
func TestLongPromptRealModel(t *testing.T) {
	m := realModel(t, "smollm2-135m-instruct")
	prompt := SyntheticPrompts(1, 400, m.Config.VocabSize)
	var whole, parts *Output
	var err error
	withPrompt(m, 0, func() { whole, err = m.Forward(prompt, ForwardOptions{}) })
	if err != nil {
		t.Fatal(err)
	}
	withPrompt(m, defaultAttnBlock, func() { parts, err = m.Forward(prompt, ForwardOptions{}) })
	if err != nil {
		t.Fatal(err)
	}
	// Logits of size ~10-30 after 30 layers: a few ulps of f32 at that scale.
	const tol = 1e-3
	if d := MaxAbsDiff(parts.Logits.Data, whole.Logits.Data); !(d <= tol) {
		t.Errorf("max |logit diff| %g > %g", d, tol)
	}
}

// TestGenerateMemoryGrowsLinearly: the estimate of a generation is linear in the
// batch and, with blocked prompt attention, in the prompt length (the whole-prompt
// path's is quadratic), so a bound on it turns into a bound on each.
func TestGenerateMemoryGrowsLinearly(t *testing.T) {
	m := tinyModel(t, "llama")
	caps := []hook.Point{hook.ResidPost(0), hook.ResidPost(1)}
	one := m.GenerateMemory(1, 64, 32, caps)
	if got := m.GenerateMemory(8, 64, 32, caps); got != 8*one {
		t.Errorf("batch 8: %g, want 8 × %g", got, one)
	}
	m.attnBlock = 256
	ratio := m.GenerateMemory(1, 8192, 0, nil) / m.GenerateMemory(1, 4096, 0, nil)
	if ratio < 1.5 || ratio > 2.5 {
		t.Errorf("blocked: 8k/4k estimate ratio %.2f, want about 2", ratio)
	}
	m.attnBlock = 0
	if ratio := m.GenerateMemory(1, 8192, 0, nil) / m.GenerateMemory(1, 4096, 0, nil); ratio < 3 {
		t.Errorf("whole prompt: 8k/4k ratio %.2f, want the quadratic term to show", ratio)
	}
}
