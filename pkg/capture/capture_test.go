package capture_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/acts"
	"github.com/ifprobe/ifprobe/pkg/capture"
	"github.com/ifprobe/ifprobe/pkg/compute"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/lm"
	"github.com/ifprobe/ifprobe/pkg/model"
)

// tinyLM is a 3-layer random-weight Llama-style model on SimpleGo, wrapped as an LM
// without tokenizer: prompts carry their token ids.
func tinyLM(t testing.TB) *lm.LM {
	t.Helper()
	cfg := model.Config{Arch: "llama", VocabSize: 61, DModel: 32, NLayers: 3, NHeads: 4, NKVHeads: 2, FFDim: 48,
		RMSEps: 1e-5, BOS: -1}
	w, err := model.RandomWeights(cfg, 7)
	if err != nil {
		t.Fatal(err)
	}
	backend, _, err := compute.Open("go")
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(backend, cfg, w)
	if err != nil {
		t.Fatal(err)
	}
	return &lm.LM{Name: "tiny", Model: m}
}

// tokenPrompts are n prompts of 3..9 random tokens, seeded.
func tokenPrompts(n int, seed uint64) []capture.Prompt {
	rng := rand.New(rand.NewPCG(seed, 1))
	ps := make([]capture.Prompt, n)
	for i := range ps {
		toks := make([]int, 3+rng.IntN(7))
		for j := range toks {
			toks[j] = rng.IntN(61)
		}
		ps[i] = capture.Prompt{ID: "p" + string(rune('a'+i)), Tokens: toks, Task: "t", Label: i % 2}
	}
	return ps
}

func allLayers(kind func(int) hook.Point, n int) []hook.Point {
	hs := make([]hook.Point, n)
	for l := range hs {
		hs[l] = kind(l)
	}
	return hs
}

// A forward-mode cache holds exactly what one plain Forward over the same batch
// returns (same backend, same shapes: bit-identical), at the right tokens.
func TestForwardCacheEqualsForward(t *testing.T) {
	m := tinyLM(t)
	ps := tokenPrompts(5, 1)
	hooks := append(allLayers(hook.ResidPost, 3), hook.AttnOut(1), hook.FinalNorm)
	c, st, err := capture.Run(context.Background(), m, ps, capture.Options{Hooks: hooks,
		Positions: []hook.Position{hook.PromptLast, hook.AllPositions}, Batch: len(ps)})
	if err != nil {
		t.Fatal(err)
	}
	if st.Captured != 5 || c.Len() != 5 || len(c.Keys()) != len(hooks)*2 {
		t.Fatalf("captured %d, cache %d examples, %d keys", st.Captured, c.Len(), len(c.Keys()))
	}
	seqs := make([][]int, len(ps))
	for i, p := range ps {
		seqs[i] = p.Tokens
	}
	out, err := m.Model.Forward(seqs, model.ForwardOptions{Capture: hooks})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hooks {
		last, err := c.Get(h, hook.PromptLast)
		if err != nil {
			t.Fatal(err)
		}
		all, err := c.Get(h, hook.AllPositions)
		if err != nil {
			t.Fatal(err)
		}
		if last.N != len(ps) || last.D != 32 {
			t.Fatalf("%s@prompt_last: %d×%d", h, last.N, last.D)
		}
		row := 0
		for b, s := range seqs {
			if last.IDs[b] != ps[b].ID || last.Tokens[b] != len(s)-1 {
				t.Fatalf("%s row %d: id %s token %d", h, b, last.IDs[b], last.Tokens[b])
			}
			if !slices.Equal(last.Row(b), out.Captures[h].At(b, len(s)-1)) {
				t.Errorf("%s@prompt_last row %d differs from Forward", h, b)
			}
			for tok := range s {
				if all.IDs[row] != ps[b].ID || all.Tokens[row] != tok || !slices.Equal(all.Row(row), out.Captures[h].At(b, tok)) {
					t.Errorf("%s@all row %d (example %d token %d) differs from Forward", h, row, b, tok)
				}
				row++
			}
		}
		if row != all.N {
			t.Errorf("%s@all: %d rows, want %d", h, all.N, row)
		}
	}
}

// genTol bounds |generation-time capture - full forward| on the tiny model: the
// decode step reads the KV cache (other shapes, other summation order) where the
// forward recomputes; pkg/model's cacheTol (1e-5 on logits ~1) with residual
// values of a few units: 1e-4.
const genTol = 1e-4

// The state captured at generated step k equals a forward over prompt + the first
// k+1 tokens (the token read at step k is the last).
func TestGenerateStepEqualsForward(t *testing.T) {
	m := tinyLM(t)
	ps := tokenPrompts(3, 2)
	const steps = 5
	positions := []hook.Position{hook.PromptLast}
	for k := range steps {
		positions = append(positions, hook.Step(k))
	}
	positions = append(positions, hook.Frac(0.5), hook.EOS)
	hooks := allLayers(hook.ResidPost, 3)
	c, st, err := capture.Run(context.Background(), m, ps, capture.Options{Hooks: hooks, Positions: positions,
		Generate: true, MaxTokens: steps, IgnoreStop: true, Batch: 2})
	if err != nil {
		t.Fatal(err)
	}
	if st.GeneratedTokens != steps*len(ps) {
		t.Fatalf("generated %d tokens, want %d", st.GeneratedTokens, steps*len(ps))
	}
	for i, ex := range c.Examples() {
		if len(ex.Response) != steps || ex.Stop != model.StopMaxTokens {
			t.Fatalf("example %s: %d tokens, stop %s", ex.ID, len(ex.Response), ex.Stop)
		}
		full := append(slices.Clone(ex.Prompt), ex.Response...)
		out, err := m.Model.Forward([][]int{full}, model.ForwardOptions{Capture: hooks, Logits: model.NoLogits})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hooks {
			for k := range steps {
				a, err := c.Get(h, hook.Step(k))
				if err != nil {
					t.Fatal(err)
				}
				if a.IDs[i] != ex.ID || a.Tokens[i] != len(ex.Prompt)+k {
					t.Fatalf("%s@step:%d row %d: id %s token %d", h, k, i, a.IDs[i], a.Tokens[i])
				}
				if d := model.MaxAbsDiff(a.Row(i), out.Captures[h].At(0, len(ex.Prompt)+k)); !(d <= genTol) {
					t.Errorf("%s %s@step:%d: max |generate - forward| = %g > %g", ex.ID, h, k, d, genTol)
				}
			}
			// A response cut by MaxTokens has no eos; frac:0.5 is step 2 of 5.
			eos, _ := c.Get(h, hook.EOS)
			frac, _ := c.Get(h, hook.Frac(0.5))
			mid, _ := c.Get(h, hook.Step(2))
			if eos.N != 0 || !slices.Equal(frac.Row(i), mid.Row(i)) {
				t.Errorf("%s %s: %d eos rows of cut responses, or frac:0.5 is not step 2", ex.ID, h, eos.N)
			}
		}
	}
}

// Capturing every hook does not change what the model generates (its logits pick
// the same greedy tokens), and a no-op intervention (steer by 0) leaves every
// captured value bit-identical.
func TestCaptureAndNoOpInterventionChangeNothing(t *testing.T) {
	m := tinyLM(t)
	ps := tokenPrompts(4, 3)
	ctx := context.Background()
	base := capture.Options{Hooks: allLayers(hook.ResidPost, 3), Positions: []hook.Position{hook.PromptLast, hook.Step(3)},
		Generate: true, MaxTokens: 6, IgnoreStop: true, Batch: 4}
	c, _, err := capture.Run(ctx, m, ps, base)
	if err != nil {
		t.Fatal(err)
	}
	seqs := make([][]int, len(ps))
	for i, p := range ps {
		seqs[i] = p.Tokens
	}
	plain, _, err := m.Model.Generate(seqs, model.GenerateOptions{MaxTokens: 6, IgnoreStop: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, ex := range c.Examples() {
		if !slices.Equal(ex.Response, plain[i].Tokens) {
			t.Errorf("%s: with capture %v, without %v", ex.ID, ex.Response, plain[i].Tokens)
		}
	}
	noop := base
	noop.Interventions = []model.Intervention{{Kind: model.Steer, Hook: hook.ResidPost(1), Vector: make([]float32, 32), Coef: 0}}
	c2, _, err := capture.Run(ctx, m, ps, noop)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range c.Keys() {
		a, _ := c.Get(k.Point, k.Position)
		b, err := c2.Get(k.Point, k.Position)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a.Data, b.Data) {
			t.Errorf("%s: a no-op intervention changed the values (max diff %g)", k, model.MaxAbsDiff(a.Data, b.Data))
		}
	}
}

func TestCacheIndexing(t *testing.T) {
	m := tinyLM(t)
	ps := tokenPrompts(3, 4)
	hooks := append(allLayers(hook.ResidPost, 3), hook.ResidPre(0))
	c, _, err := capture.Run(context.Background(), m, ps, capture.Options{Hooks: hooks, Positions: []hook.Position{hook.PromptLast}})
	if err != nil {
		t.Fatal(err)
	}
	byName, err := c.GetName("blocks.2.resid_post", "prompt_last")
	if err != nil {
		t.Fatal(err)
	}
	byLayer, err := c.Layer(hook.KindResidPost, -1, hook.PromptLast)
	if err != nil {
		t.Fatal(err)
	}
	if byName != byLayer {
		t.Error(`GetName("blocks.2.resid_post") and Layer("resid_post", -1) differ on a 3-layer model`)
	}
	st, err := c.Stack(hook.KindResidPost, hook.PromptLast)
	if err != nil {
		t.Fatal(err)
	}
	if st.N != 3 || st.D != 32 || len(st.Data) != 3*3*32 || !slices.Equal(st.Labels, []string{"blocks.0.resid_post", "blocks.1.resid_post", "blocks.2.resid_post"}) {
		t.Fatalf("stack: N=%d D=%d len=%d labels %v", st.N, st.D, len(st.Data), st.Labels)
	}
	if !slices.Equal(st.Layer(2), byName.Data) {
		t.Error("stack slab 2 is not blocks.2.resid_post")
	}
	acc, err := c.AccumulatedResid(hook.PromptLast)
	if err != nil {
		t.Fatal(err)
	}
	pre, _ := c.Get(hook.ResidPre(0), hook.PromptLast)
	if len(acc.Labels) != 4 || acc.Labels[0] != "blocks.0.resid_pre" || !slices.Equal(acc.Layer(0), pre.Data) || !slices.Equal(acc.Layer(3), byName.Data) {
		t.Errorf("accumulated resid: labels %v", acc.Labels)
	}
	for _, bad := range []func() error{
		func() error { _, err := c.Layer(hook.KindResidPost, -4, hook.PromptLast); return err },
		func() error { _, err := c.Layer(hook.KindResidPost, 3, hook.PromptLast); return err },
		func() error { _, err := c.Get(hook.AttnOut(0), hook.PromptLast); return err },
		func() error { _, err := c.Stack(hook.KindMLPOut, hook.PromptLast); return err },
	} {
		if err := bad(); !errors.Is(err, capture.ErrNoKey) {
			t.Errorf("got %v, want ErrNoKey", err)
		}
	}
	if _, err := c.GetName("blocks.x.resid_post", "prompt_last"); !errors.Is(err, hook.ErrBadPoint) {
		t.Errorf("bad hook name: %v", err)
	}
}

func TestOptionErrors(t *testing.T) {
	m := tinyLM(t)
	ps := tokenPrompts(1, 5)
	ctx := context.Background()
	for name, tc := range map[string]struct {
		opts capture.Options
		want error
	}{
		"response position without generate": {capture.Options{Hooks: []hook.Point{hook.ResidPost(0)}, Positions: []hook.Position{hook.EOS}}, capture.ErrNeedsGenerate},
		"no hooks":                           {capture.Options{Positions: []hook.Position{hook.PromptLast}}, capture.ErrBadOptions},
		"layer out of range":                 {capture.Options{Hooks: []hook.Point{hook.ResidPost(3)}, Positions: []hook.Position{hook.PromptLast}}, capture.ErrBadOptions},
	} {
		if _, _, err := capture.Run(ctx, m, ps, tc.opts); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", name, err, tc.want)
		}
	}
	_, err := capture.StoreConfig(m, capture.Options{Hooks: []hook.Point{hook.ResidPost(0)}, Positions: []hook.Position{hook.AllPositions}})
	if !errors.Is(err, capture.ErrAllInStore) {
		t.Errorf("store with all: %v", err)
	}
	// attn_heads is 4×8 = 32 wide here, like d_model, so it may share a store; final_norm too.
	if _, err := capture.StoreConfig(m, capture.Options{Hooks: []hook.Point{hook.AttnHeads(0), hook.FinalNorm},
		Positions: []hook.Position{hook.PromptLast}}); err != nil {
		t.Errorf("store of equal widths: %v", err)
	}
}

// Store streams batches into an acts store whose contents equal the in-memory cache
// bit for bit (F32), resumes after an interruption without recomputing what is
// stored, and refuses a store made for other keys.
func TestStoreMatchesCacheAndResumes(t *testing.T) {
	m := tinyLM(t)
	ps := tokenPrompts(7, 6)
	ctx := context.Background()
	opts := capture.Options{Hooks: []hook.Point{hook.ResidPost(0), hook.ResidPost(2)},
		Positions: []hook.Position{hook.PromptLast, hook.ResponseFirst, hook.EOS}, Generate: true, MaxTokens: 3,
		IgnoreStop: true, Batch: 3}
	c, _, err := capture.Run(ctx, m, ps, opts)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := capture.StoreConfig(m, opts)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ShardRows = 2
	dir := t.TempDir()
	// First run: the first 4 prompts only, as if killed after them.
	w, err := acts.Create(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := capture.Store(ctx, m, ps[:4], w, opts); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// Rerun over all prompts.
	w, err = acts.Create(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var done []int
	opts.Progress = func(d, total int) { done = append(done, d) }
	st, err := capture.Store(ctx, m, ps, w, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if st.Skipped != 4 || st.Captured != 3 || !slices.Equal(done, []int{4, 5, 6, 7}) {
		t.Fatalf("resume: skipped %d captured %d progress %v", st.Skipped, st.Captured, done)
	}
	s, err := acts.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 7 {
		t.Fatalf("store has %d examples", s.Len())
	}
	for _, k := range c.Keys() {
		want, _ := c.Get(k.Point, k.Position)
		got, err := s.Get(k.Point, k.Position)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.IDs(), want.IDs) || !slices.Equal(got.Data, want.Data) {
			t.Errorf("%s: store differs from cache", k)
		}
	}
	ex := s.Examples()[1]
	if ex.Task != "t" || ex.Label != 1 || ex.PromptHash != capture.PromptHash(ps[1].Tokens) {
		t.Errorf("example record %+v", ex)
	}
	// Options asking for other keys than the store holds.
	w, err = acts.Create(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	other := opts
	other.Positions = []hook.Position{hook.PromptLast}
	if _, err := capture.Store(ctx, m, ps, w, other); !errors.Is(err, capture.ErrBadOptions) {
		t.Errorf("other keys: %v", err)
	}
}

// A step that the response does not reach cannot be stored: the error names the example.
func TestStoreMissingPosition(t *testing.T) {
	m := tinyLM(t)
	opts := capture.Options{Hooks: []hook.Point{hook.ResidPost(0)}, Positions: []hook.Position{hook.Step(5)},
		Generate: true, MaxTokens: 2, IgnoreStop: true}
	cfg, err := capture.StoreConfig(m, opts)
	if err != nil {
		t.Fatal(err)
	}
	w, err := acts.Create(t.TempDir(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	_, err = capture.Store(context.Background(), m, tokenPrompts(1, 7), w, opts)
	if err == nil || !containsAll(err.Error(), `"pa"`, "step:5", "2 response tokens") {
		t.Errorf("got %v", err)
	}
}

func TestParseHooks(t *testing.T) {
	hs, err := hook.ParsePoints("blocks.*.resid_post, blocks.1.attn_out,final_norm,blocks.0.resid_post", 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []hook.Point{hook.ResidPost(0), hook.ResidPost(1), hook.ResidPost(2), hook.AttnOut(1), hook.FinalNorm}
	if !slices.Equal(hs, want) {
		t.Errorf("got %v, want %v", hs, want)
	}
	if hs, err := hook.ParsePoints("blocks.*.resid_post,blocks.9.mlp_out", 0); err != nil || len(hs) != 1 {
		t.Errorf("syntax-only check: %v %v", hs, err)
	}
	for _, bad := range []string{"blocks.*.nope", "blocks.3.resid_post", "", "resid_post"} {
		if _, err := hook.ParsePoints(bad, 3); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	ps, err := hook.ParsePositions("prompt_last,step:2,frac:0.5,eos")
	if err != nil || len(ps) != 4 || ps[1] != hook.Step(2) {
		t.Errorf("positions %v %v", ps, err)
	}
	if _, err := hook.ParsePositions("step:-1"); !errors.Is(err, hook.ErrBadPosition) {
		t.Errorf("bad position: %v", err)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
