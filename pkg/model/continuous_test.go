package model

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/ifprobe/ifprobe/pkg/hook"
)

// continuousCase is a set of prompts of different lengths whose responses end at
// different steps, so that a batch of 9 rows admits prompts into freed rows many
// times (two at a time, prefillChunk(9), and one with a padding row when a single
// row is left to fill): the stop tokens are the two tokens m's greedy responses
// use most.
func continuousCase(t *testing.T, m *Model, seed uint64) (prompts [][]int, stop []int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	for i := range 15 {
		prompts = append(prompts, randomTokens(rng, 2+(i*7)%19, 61))
	}
	seqs, _, err := m.Generate(prompts, GenerateOptions{MaxTokens: 12, IgnoreStop: true})
	if err != nil {
		t.Fatal(err)
	}
	count := map[int]int{}
	for _, s := range seqs {
		for _, tok := range s.Tokens[1:] {
			count[tok]++
		}
	}
	for range 2 {
		best := -1
		for tok, n := range count {
			if best < 0 || n > count[best] || (n == count[best] && tok < best) {
				best = tok
			}
		}
		stop = append(stop, best)
		delete(count, best)
	}
	return prompts, stop
}

// steerOdd steers resid_post 0 of odd-numbered prompts from their third token on:
// At must see each prompt's own index, whatever row it runs in.
func steerOdd(m *Model, index func(b int) int) Intervention {
	vec := make([]float32, m.Config.DModel)
	for i := range vec {
		vec[i] = float32(i%5) - 2
	}
	return Intervention{Kind: Steer, Hook: hook.ResidPost(0), Vector: vec, Coef: 0.5,
		At: func(b, pos int) bool { return index(b)%2 == 1 && pos >= 3 }}
}

func TestContinuousBatchingMatchesAlone(t *testing.T) {
	for bname, backend := range testBackends(t) {
		archs, steers := []string{"llama", "gemma3"}, []bool{false, true}
		if bname != "go" { // XLA compiles every shape anew: the hardest case only
			archs, steers = []string{"gemma3"}, []bool{true}
		}
		for _, arch := range archs {
			t.Run(bname+"/"+arch, func(t *testing.T) { testContinuousMatchesAlone(t, backend, arch, steers) })
		}
	}
}

func testContinuousMatchesAlone(t *testing.T, backend backends.Backend, arch string, steers []bool) {
	m := tinyModelOn(t, backend, arch, 3)
	prompts, stop := continuousCase(t, m, 11)
	hooks := []hook.Point{hook.ResidPost(0), hook.AttnHeads(1), hook.FinalNorm}
	for _, steer := range steers {
		opts := GenerateOptions{MaxTokens: 12, Stop: stop, Capture: hooks, Batch: 9}
		if steer {
			opts.Interventions = []Intervention{steerOdd(m, func(b int) int { return b })}
		}
		var order []int
		got := make([]Sequence, len(prompts))
		st, err := m.GenerateStream(prompts, opts, func(i int, s Sequence) error {
			order = append(order, i)
			got[i] = s
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if sorted := slices.Sorted(slices.Values(order)); len(order) != len(prompts) || sorted[0] != 0 || slices.Compact(sorted)[len(prompts)-1] != len(prompts)-1 {
			t.Fatalf("done called for %v, want each of %d prompts once", order, len(prompts))
		}
		if slices.IsSorted(order) {
			t.Errorf("steer %v: responses finished in prompt order %v: the case does not exercise reuse of rows", steer, order)
		}
		if st.Batch != 9 || st.RowSteps > 9*st.Steps {
			t.Errorf("stats %+v", st)
		}
		maxDiff := 0.0
		for i, p := range prompts {
			alone := opts
			alone.Batch = 0
			if steer {
				alone.Interventions = []Intervention{steerOdd(m, func(int) int { return i })}
			}
			want, _, err := m.Generate([][]int{p}, alone)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got[i].Tokens, want[0].Tokens) || got[i].Stop != want[0].Stop {
				t.Fatalf("steer %v prompt %d: batched %v (%s), alone %v (%s)", steer, i, got[i].Tokens, got[i].Stop, want[0].Tokens, want[0].Stop)
			}
			for _, h := range hooks {
				a, b := got[i].Captures[h], want[0].Captures[h]
				if len(a) != len(b) || len(a) != (len(p)+len(want[0].Tokens))*m.Config.width(h) {
					t.Fatalf("prompt %d %s: %d values batched, %d alone", i, h, len(a), len(b))
				}
				maxDiff = max(maxDiff, MaxAbsDiff(a, b))
			}
		}
		if !(maxDiff <= cacheTol) {
			t.Errorf("steer %v: max |batched - alone| over captured states = %g > %g", steer, maxDiff, cacheTol)
		}
		t.Logf("steer %v: %d steps of 9 rows, %d row-steps used; max |batched - alone| = %g", steer, st.Steps, st.RowSteps, maxDiff)
	}
}

func TestContinuousBatchingSampledAndStreamed(t *testing.T) {
	m := tinyModel(t, "qwen2")
	prompts, stop := continuousCase(t, m, 12)
	// Sampling draws from PCG(Seed, prompt index): the same draws in any batch.
	opts := GenerateOptions{MaxTokens: 10, Stop: stop, Temperature: 2, TopK: 20, Seed: 4}
	all, _, err := m.Generate(prompts, opts)
	if err != nil {
		t.Fatal(err)
	}
	streamed := map[int][]int{}
	opts.Batch = 2
	opts.OnToken = func(row, step, tok int) {
		if step != len(streamed[row]) {
			t.Errorf("prompt %d: token %d streamed as step %d", row, len(streamed[row]), step)
		}
		streamed[row] = append(streamed[row], tok)
	}
	two, _, err := m.Generate(prompts, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range prompts {
		if !slices.Equal(all[i].Tokens, two[i].Tokens) || !slices.Equal(streamed[i], two[i].Tokens) {
			t.Errorf("prompt %d: batch 9 %v, batch 2 %v, streamed %v", i, all[i].Tokens, two[i].Tokens, streamed[i])
		}
	}
	// An error from done stops the generation.
	boom := errors.New("boom")
	n := 0
	_, err = m.GenerateStream(prompts, GenerateOptions{MaxTokens: 4, Batch: 2}, func(int, Sequence) error {
		n++
		return boom
	})
	if !errors.Is(err, boom) || n != 1 {
		t.Errorf("done error: err %v after %d calls, want boom after 1", err, n)
	}
	if _, err := m.GenerateStream(prompts, GenerateOptions{Batch: -1}, nil); !errors.Is(err, ErrBadInput) {
		t.Errorf("Batch -1: err %v, want ErrBadInput", err)
	}
}

func TestCapturePromptLast(t *testing.T) {
	m := tinyModel(t, "gemma3")
	prompts, _ := continuousCase(t, m, 13)
	hooks := []hook.Point{hook.ResidPost(1), hook.MLPOut(0)}
	opts := GenerateOptions{MaxTokens: 5, IgnoreStop: true, Capture: hooks, Batch: 4}
	full, _, err := m.Generate(prompts, opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.CapturePromptLast = true
	tail, _, err := m.Generate(prompts, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range prompts {
		if tail[i].CaptureStart != len(p)-1 || full[i].CaptureStart != 0 {
			t.Fatalf("prompt %d: CaptureStart %d and %d, want %d and 0", i, tail[i].CaptureStart, full[i].CaptureStart, len(p)-1)
		}
		for _, h := range hooks {
			w := m.Config.width(h)
			want := full[i].Captures[h][(len(p)-1)*w:]
			if d := MaxAbsDiff(tail[i].Captures[h], want); len(tail[i].Captures[h]) != len(want) || !(d <= cacheTol) {
				t.Errorf("prompt %d %s: %d values (want %d), max diff %g", i, h, len(tail[i].Captures[h]), len(want), d)
			}
		}
	}
}

// TestSharedPrefixMatchesAlone generates prompts that share a 13-token prefix
// with the prefix prefilled once, and checks every response and its captured
// states (the prompt's last token and every response token) against each prompt
// generated alone, where nothing is shared; and that prompts without a common
// prefix, or with interventions, share nothing.
func TestSharedPrefixMatchesAlone(t *testing.T) {
	for bname, backend := range testBackends(t) {
		for _, arch := range []string{"llama", "gemma3"} {
			t.Run(bname+"/"+arch, func(t *testing.T) { testSharedPrefix(t, backend, arch) })
		}
	}
}

func testSharedPrefix(t *testing.T, backend backends.Backend, arch string) {
	m := tinyModelOn(t, backend, arch, 5)
	rng := rand.New(rand.NewPCG(17, 1))
	prefix := randomTokens(rng, 13, 61)
	var prompts [][]int
	for i := range 7 {
		prompts = append(prompts, append(slices.Clone(prefix), randomTokens(rng, 1+(i*5)%17, 61)...))
	}
	hooks := []hook.Point{hook.ResidPost(0), hook.AttnHeads(1), hook.FinalNorm}
	opts := GenerateOptions{MaxTokens: 6, IgnoreStop: true, Capture: hooks, CapturePromptLast: true, Batch: 3}
	got, st, err := m.Generate(prompts, opts)
	if err != nil {
		t.Fatal(err)
	}
	if st.SharedPrefix != len(prefix) {
		t.Fatalf("SharedPrefix = %d, want %d", st.SharedPrefix, len(prefix))
	}
	maxDiff := 0.0
	for i, p := range prompts {
		want, wst, err := m.Generate([][]int{p}, opts)
		if err != nil {
			t.Fatal(err)
		}
		if wst.SharedPrefix != 0 {
			t.Fatalf("one prompt alone shared a prefix of %d", wst.SharedPrefix)
		}
		if !slices.Equal(got[i].Tokens, want[0].Tokens) {
			t.Fatalf("prompt %d: shared prefix %v, alone %v", i, got[i].Tokens, want[0].Tokens)
		}
		for _, h := range hooks {
			a, b := got[i].Captures[h], want[0].Captures[h]
			if len(a) != len(b) || len(a) != (1+len(want[0].Tokens))*m.Config.width(h) {
				t.Fatalf("prompt %d %s: %d values shared, %d alone", i, h, len(a), len(b))
			}
			maxDiff = max(maxDiff, MaxAbsDiff(a, b))
		}
	}
	if !(maxDiff <= cacheTol) {
		t.Errorf("max |shared - alone| over captured states = %g > %g", maxDiff, cacheTol)
	}
	t.Logf("max |shared - alone| = %g", maxDiff)

	off := []GenerateOptions{opts, opts, opts}
	off[0].NoSharedPrefix = true
	off[1].Interventions = []Intervention{steerOdd(m, func(b int) int { return b })}
	off[2].CapturePromptLast = false
	for i, o := range off {
		if _, st, err := m.Generate(prompts, o); err != nil || st.SharedPrefix != 0 {
			t.Errorf("case %d: SharedPrefix %d (err %v), want 0", i, st.SharedPrefix, err)
		}
	}
}
