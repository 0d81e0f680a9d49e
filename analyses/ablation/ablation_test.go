package ablation

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/pkg/planted"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/stats"
)

// toyBehaviour is a planted behavioural model: a prompt of task t has a hidden state
// h = u_dir(t) + noise, and the response satisfies t when ⟨h', u_dir(t)⟩ > 0.5 where
// h' is h after the edit. Erasing the subspace that carries u_dir(t) makes t fail.
type toyBehaviour struct {
	src    *planted.Study
	dir    map[string]int
	states map[string][][]float64
}

func newToy(src *planted.Study, dir map[string]int, d int) *toyBehaviour {
	tb := &toyBehaviour{src: src, dir: dir, states: map[string][][]float64{}}
	rng := rand.New(rand.NewPCG(9, 9))
	for t, k := range dir {
		u := src.Direction(k)
		for i := 0; i < 40; i++ {
			h := make([]float64, d)
			for j := range h {
				h[j] = u[j] + 0.05*rng.NormFloat64()
			}
			tb.states[t] = append(tb.states[t], h)
		}
	}
	return tb
}

func (tb *toyBehaviour) Run(_ context.Context, tasks []string, edits []*Edit) ([]map[string][]bool, error) {
	out := make([]map[string][]bool, len(edits))
	for i, e := range edits {
		out[i] = map[string][]bool{}
		for _, t := range tasks {
			out[i][t] = tb.run(t, e)
		}
	}
	return out, nil
}

func (tb *toyBehaviour) run(task string, e *Edit) []bool {
	u := tb.src.Direction(tb.dir[task])
	var out []bool
	for _, h := range tb.states[task] {
		h2 := append([]float64(nil), h...)
		if e != nil {
			k, _ := e.Basis.Dims()
			for i := 0; i < k; i++ {
				b := e.Basis.RawRowView(i)
				dot := 0.0
				for j := range b {
					dot += h2[j] * b[j]
				}
				for j := range b {
					h2[j] -= dot * b[j]
				}
			}
		}
		s := 0.0
		for j := range u {
			s += h2[j] * u[j]
		}
		out = append(out, s > 0.5)
	}
	return out
}

// Planted: a and b share direction 0; c and d have their own. Erasing a must hurt b
// (and vice versa) representationally and behaviourally; no other pair may depend.
func TestPlantedDependencies(t *testing.T) {
	tasks := []probeset.Task{{Name: "a", Kind: "structural"}, {Name: "b", Kind: "lexical"}, {Name: "c", Kind: "semantic"}, {Name: "d", Kind: "semantic"}}
	dir := map[string]int{"a": 0, "b": 0, "c": 1, "d": 2}
	comps := map[string][]planted.Component{}
	for n, k := range dir {
		comps[n] = []planted.Component{{Direction: k, Weight: 3}}
	}
	const d = 32
	src, err := planted.New(planted.Config{Tasks: tasks, Components: comps, NumLayers: 2, N: 160, D: d, Seed: 21})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(context.Background(), src, nil, Config{UseLayer: true, Layer: 1,
		CV: probe.CVParams{Folds: 4, Probe: probe.DefaultParams()}, Bootstrap: stats.BootstrapParams{Reps: 200},
		Behaviour: newToy(src, dir, d), BehaviourSources: []string{"a", "c"}})
	if err != nil {
		t.Fatal(err)
	}
	dep := map[[2]string]bool{{"a", "b"}: true, {"b", "a"}: true}
	for _, e := range r.Erasers {
		for ai, row := range e.Cells {
			for bi, c := range row {
				if ai == bi {
					if c.Dependency.Lo <= 0 {
						t.Errorf("%s: erasing %s does not hurt itself: %v", e.Kind, tasks[ai].Name, c.Dependency)
					}
					continue
				}
				want := dep[[2]string{tasks[ai].Name, tasks[bi].Name}]
				if got := c.Significant; got != want {
					t.Errorf("%s: %s→%s significant = %v (D = %v), planted %v", e.Kind, tasks[ai].Name, tasks[bi].Name, got, c.Dependency, want)
				}
			}
		}
	}
	for _, c := range r.Behaviour {
		planted := dir[c.Source] == dir[c.Target]
		if got := c.Significant; got != planted {
			t.Errorf("behaviour %s→%s: effect %v (erased %.2f, random %.2f), planted %v", c.Source, c.Target, c.Effect, c.Erased, c.Random, planted)
		}
	}
	// The planted dependency runs both ways (a↔b): sparse, but not asymmetric,
	// so the claim holds only partly.
	if v := r.Verdict(); v.Status != analyses.Partly {
		t.Errorf("verdict %s: %s", v.Status, v.Text)
	}
	figs, err := r.Figures()
	if err != nil || len(figs) != 3 {
		t.Fatalf("figures: %v, %d", err, len(figs))
	}
	if _, err := analyses.Save(t.TempDir(), r); err != nil {
		t.Fatal(err)
	}
}

// topSources ranks sources by mean off-diagonal dependency but never picks one the
// eraser removed nothing of: behaviour has no edit to rerun for it.
func TestTopSourcesSkipsEmptyErasures(t *testing.T) {
	r := &Result{Tasks: []probeset.Task{{Name: "a"}, {Name: "b"}, {Name: "c"}}}
	dep := func(v float64) Cell { return Cell{Dependency: stats.Interval{Estimate: v}} }
	e := Eraser{Ranks: []int{0, 2, 1}, Cells: [][]Cell{
		{dep(0.9), dep(0.8), dep(0.8)}, // the largest dependency, but rank 0
		{dep(0.1), dep(0.5), dep(0.1)},
		{dep(0.2), dep(0.2), dep(0.5)},
	}}
	if got := r.topSources(e, 2); !slices.Equal(got, []string{"c", "b"}) {
		t.Errorf("topSources = %v, want [c b]", got)
	}
}
