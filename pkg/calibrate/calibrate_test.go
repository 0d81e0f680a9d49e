package calibrate

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/dataset"
	"github.com/ifprobe/ifprobe/pkg/tasks"
)

// curveAnswerer passes the i-th item ("...#i") of a knob value v when i <
// passes(v): a model with a known pass-rate curve and no noise.
type curveAnswerer struct {
	passes func(task string, v int) int
	calls  int
	items  []dataset.Item
	fail   int // the call (1-based) that fails; 0: none
}

var errStop = errors.New("stopped")

func (a *curveAnswerer) Answer(_ context.Context, items []dataset.Item) ([]bool, error) {
	a.calls++
	if a.calls == a.fail {
		return nil, errStop
	}
	out := make([]bool, len(items))
	for j, it := range items {
		a.items = append(a.items, it)
		_, idx, _ := strings.Cut(it.ID, "#")
		i := int(idx[0] - '0')
		out[j] = i < a.passes(it.Task, it.Params.Int("n"))
	}
	return out, nil
}

// wordLimitPasses is the known curve: 0 of 4 below 15 words, 1 at 15, 2 at
// 26, 3 at 46, all from 79 on.
func wordLimitPasses(_ string, v int) int {
	switch {
	case v < 15:
		return 0
	case v < 26:
		return 1
	case v < 46:
		return 2
	case v < 79:
		return 3
	}
	return 4
}

func TestGrid(t *testing.T) {
	wl, _ := tasks.Get("word_limit")
	bc, _ := tasks.Get("bullet_count")
	// word_limit: default 20-120, so 5 to 240 in 8 geometric steps (ratio 48^(1/7)).
	if g := Grid(wl.Params[0], 8); !slices.Equal(g, []int{5, 9, 15, 26, 46, 79, 138, 240}) {
		t.Errorf("word_limit grid %v", g)
	}
	// bullet_count: default 2-7, so 1 (not 0) to 14; rounding merges two values.
	if g := Grid(bc.Params[0], 8); !slices.Equal(g, []int{1, 2, 3, 5, 7, 10, 14}) {
		t.Errorf("bullet_count grid %v", g)
	}
}

func TestFitMonotone(t *testing.T) {
	// Rates 0, 1/4, 0, 2/4, 3/4: the violation (1/4 then 0) pools to 1/8.
	c, err := FitMonotone([]int{1, 2, 3, 4, 5}, []int{4, 4, 4, 4, 4}, []int{0, 1, 0, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	if want := []float64{0, 0.125, 0.125, 0.5, 0.75}; !c.Increasing || !slices.Equal(c.Rate, want) {
		t.Errorf("fit %+v, want increasing %v", c, want)
	}
	// 3 of 3, 0 of 1, 0 of 2: a falling curve fits exactly, a rising one must
	// pool everything to 1/2.
	c, err = FitMonotone([]int{1, 2, 3}, []int{3, 1, 2}, []int{3, 0, 0})
	if err != nil {
		t.Fatal(err)
	}
	if want := []float64{1, 0, 0}; c.Increasing || !slices.Equal(c.Rate, want) {
		t.Errorf("fit %+v, want decreasing %v", c, want)
	}
	for _, bad := range [][3][]int{{{1, 1}, {1, 1}, {0, 0}}, {{1}, {0}, {0}}, {{1}, {2}, {3}}, {{}, {}, {}}} {
		if _, err := FitMonotone(bad[0], bad[1], bad[2]); err == nil {
			t.Errorf("FitMonotone%v: no error", bad)
		}
	}
}

func TestChoose(t *testing.T) {
	// Rate (v-10)/50 on [10, 50]: a range's mean is (its centre - 10)/50, so
	// [10,30] 0.2, [20,40] 0.4, [30,50] 0.6. [20,40] and [30,50] are equally
	// near 0.5; the one nearer the base domain wins.
	c := Curve{X: []int{10, 20, 30, 40, 50}, Rate: []float64{0, 0.2, 0.4, 0.6, 0.8}, Increasing: true}
	for _, tc := range []struct {
		base, want tasks.Domain
		rate       float64
	}{
		{tasks.Domain{Min: 10, Max: 12}, tasks.Domain{Min: 20, Max: 40}, 0.4},
		{tasks.Domain{Min: 45, Max: 50}, tasks.Domain{Min: 30, Max: 50}, 0.6},
	} {
		got, rate, changed := Choose(c, tc.base, 3, 0.5)
		if !same(got, tc.want) || math.Abs(rate-tc.rate) > 1e-12 || !changed {
			t.Errorf("base %v: chose %v (rate %v, changed %v), want %v (%v)", tc.base, got, rate, changed, tc.want, tc.rate)
		}
	}
	// A base already at 0.5 ([25,35]: centre 30) is not beaten: kept.
	if got, rate, changed := Choose(c, tasks.Domain{Min: 25, Max: 35}, 3, 0.5); changed || !same(got, tasks.Domain{Min: 25, Max: 35}) || math.Abs(rate-0.4) > 1e-12 {
		t.Errorf("base at 0.4: chose %v (%v, changed %v)", got, rate, changed)
	}
	// A knob that does not move the rate keeps its base.
	flat := Curve{X: []int{1, 2, 3}, Rate: []float64{0, 0, 0}, Increasing: true}
	if got, _, changed := Choose(flat, tasks.Domain{Min: 2, Max: 7}, 2, 0.5); changed || !same(got, tasks.Domain{Min: 2, Max: 7}) {
		t.Errorf("flat curve: chose %v, changed %v", got, changed)
	}
}

// On a model with a known curve the pilot finds it exactly and chooses the
// range computed by hand.
func TestRunKnownCurve(t *testing.T) {
	a := &curveAnswerer{passes: wordLimitPasses}
	r, err := Run(context.Background(), a, Config{Tasks: []string{"word_limit", "sentiment"}, Batch: 32, Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Knobs) != 1 || !slices.Equal(r.Categorical, []string{"sentiment.polarity"}) || r.Items != 32 || len(a.items) != 32 {
		t.Fatalf("knobs %d, categorical %v, items %d answered %d", len(r.Knobs), r.Categorical, r.Items, len(a.items))
	}
	k := r.Knobs[0]
	if !slices.Equal(k.Pass, []int{0, 0, 1, 2, 3, 4, 4, 4}) || !slices.Equal(k.N, []int{4, 4, 4, 4, 4, 4, 4, 4}) {
		t.Errorf("passes %v of %v", k.Pass, k.N)
	}
	if want := []float64{0, 0, 0.25, 0.5, 0.75, 1, 1, 1}; !slices.Equal(k.Fit.Rate, want) || !k.Fit.Increasing {
		t.Errorf("fit %+v, want %v", k.Fit, want)
	}
	// Windows of three grid values, mean of the interpolated curve over their
	// integers: [5,15] 0.875/11, [9,26] 5.125/18, [15,46] 17.125/32 = 0.535,
	// [26,79] 42.125/54 = 0.780, ... [15,46] is nearest 0.5.
	if !same(k.Chosen, tasks.Domain{Min: 15, Max: 46}) || math.Abs(k.ChosenRate-17.125/32) > 1e-12 || !k.Changed {
		t.Errorf("chose %v at %v (changed %v), want [15,46] at %v", k.Chosen, k.ChosenRate, k.Changed, 17.125/32)
	}
	if !same(k.Base, tasks.Domain{Min: 20, Max: 120}) || k.BaseRate < 0.8 {
		t.Errorf("base %v at %v", k.Base, k.BaseRate)
	}
	space, err := dataset.ParseSpace(r.Specs())
	if err != nil || !same(space["word_limit"]["n"], k.Chosen) {
		t.Errorf("specs %v parse to %v, %v", r.Specs(), space, err)
	}
	ids := map[string]bool{}
	for _, it := range a.items {
		v := strings.TrimPrefix(strings.Split(it.ID, "#")[0], "word_limit.n=")
		if ids[it.ID] || it.Task != "word_limit" || strconv.Itoa(it.Params.Int("n")) != v || !strings.Contains(it.Prompt, " "+v+" words") {
			t.Errorf("item %s: task %s, params %v, prompt %q", it.ID, it.Task, it.Params, it.Prompt)
		}
		ids[it.ID] = true
	}
}

func same(a, b tasks.Domain) bool {
	return a.Min == b.Min && a.Max == b.Max && slices.Equal(a.Values, b.Values)
}

// The pilot resumes from its file after an interruption, reuses a finished
// one, and starts over for another model.
func TestRunResumes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "calibration.json")
	cfg := Config{Tasks: []string{"word_limit", "bullet_count"}, Batch: 10, Key: "model-a", Path: path,
		Settings: Settings{Points: 4, PerValue: 3}}
	a := &curveAnswerer{passes: wordLimitPasses, fail: 3}
	if _, err := Run(context.Background(), a, cfg); !errors.Is(err, errStop) {
		t.Fatalf("interrupted run: %v", err)
	}
	first := len(a.items) // two batches of 10 were answered and saved
	if first != 20 {
		t.Fatalf("answered %d before the interruption", first)
	}
	b := &curveAnswerer{passes: wordLimitPasses}
	r1, err := Run(context.Background(), b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if first+len(b.items) != r1.Items || r1.Items != 2*4*3 {
		t.Errorf("resumed: %d + %d answered for %d items", first, len(b.items), r1.Items)
	}
	c := &curveAnswerer{passes: wordLimitPasses}
	r2, err := Run(context.Background(), c, cfg)
	if err != nil || c.calls != 0 || !slices.Equal(r2.Specs(), r1.Specs()) {
		t.Errorf("rerun: %d calls, specs %v then %v, %v", c.calls, r1.Specs(), r2.Specs(), err)
	}
	cfg.Key = "model-b"
	d := &curveAnswerer{passes: wordLimitPasses}
	if _, err := Run(context.Background(), d, cfg); err != nil || len(d.items) != r1.Items {
		t.Errorf("another model: answered %d of %d, %v", len(d.items), r1.Items, err)
	}
}

func TestRunBadInput(t *testing.T) {
	a := &curveAnswerer{passes: wordLimitPasses}
	if _, err := Run(context.Background(), a, Config{Tasks: []string{"nope"}}); !errors.Is(err, tasks.ErrUnknownTask) {
		t.Errorf("unknown task: %v", err)
	}
	if _, err := Run(context.Background(), a, Config{Settings: Settings{Target: 1.5}}); err == nil || !strings.Contains(err.Error(), "target") {
		t.Errorf("target 1.5: %v", err)
	}
	if a.calls != 0 {
		t.Errorf("bad input reached the model %d times", a.calls)
	}
}
