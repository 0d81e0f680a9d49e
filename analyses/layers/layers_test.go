package layers

import (
	"context"
	"gonum.org/v1/gonum/mat"
	"math"
	"testing"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/planted"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/stats"
)

// plantedGrid makes a grid where each task's signal switches on at onset[task].
func plantedGrid(t *testing.T, onset map[string]int, tasks []probeset.Task) *probeset.Grid {
	t.Helper()
	src, err := planted.New(planted.Config{
		Tasks: tasks, NumLayers: 8, N: 100, D: 16, Seed: 7,
		Scale: func(task string, layer int, _ hook.Position) float64 {
			if layer >= onset[task] {
				return 1
			}
			return 0
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	g, err := probeset.EvaluateGrid(context.Background(), src, probeset.GridConfig{CV: probe.CVParams{Folds: 4, Probe: probe.DefaultParams(), SkipCI: true}})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

var fourTasks = []probeset.Task{{Name: "s1", Kind: "structural"}, {Name: "s2", Kind: "structural"}, {Name: "m1", Kind: "semantic"}, {Name: "m2", Kind: "semantic"}}

func TestPlantedOnsets(t *testing.T) {
	onset := map[string]int{"s1": 1, "s2": 2, "m1": 5, "m2": 6}
	g := plantedGrid(t, onset, fourTasks)
	r, err := Run(context.Background(), g, Config{Bootstrap: stats.BootstrapParams{Reps: 200}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tl := range r.Tasks {
		// Strong planted signal (3 SDs): the 0.7 threshold is crossed at the planted layer exactly.
		if tl.Onset != onset[tl.Task] {
			t.Errorf("%s: onset %d, planted %d", tl.Task, tl.Onset, onset[tl.Task])
		}
	}
	if d := r.SemanticMinusStructural; !(d.Lo > 0) {
		t.Errorf("semantic − structural onset %v: want CI above 0", d)
	}
	if v := r.Verdict(); v.Status != analyses.Holds {
		t.Errorf("verdict %s: %s", v.Status, v.Text)
	}
	if len(r.Table()) != 1+4+9 {
		t.Errorf("table has %d rows, want header + 4 tasks + 3 kind pairs × 3 onset fractions", len(r.Table()))
	}
	figs, err := r.Figures()
	if err != nil || len(figs) != 1 {
		t.Fatalf("figures: %v (%d)", err, len(figs))
	}
	dir := t.TempDir()
	if _, err := analyses.Save(dir, r); err != nil {
		t.Fatal(err)
	}
	var back Result
	if _, err := analyses.Load(dir, &back); err != nil || back.Tasks[2].Onset != r.Tasks[2].Onset {
		t.Fatalf("load: %v", err)
	}
}

// Same onsets for both kinds: the ordering claim must not be declared to hold.
func TestEqualOnsetsNotSupported(t *testing.T) {
	onset := map[string]int{"s1": 3, "s2": 3, "m1": 3, "m2": 3}
	g := plantedGrid(t, onset, fourTasks)
	r, err := Run(context.Background(), g, Config{Bootstrap: stats.BootstrapParams{Reps: 200}})
	if err != nil {
		t.Fatal(err)
	}
	if v := r.Verdict(); v.Status == analyses.Holds {
		t.Errorf("equal onsets but verdict says it holds: %s", v.Text)
	}
}

// Tasks whose signal lives in the same direction at every layer give aligned probe
// readouts: CKA near 1 between signal layers; the diagonal is exactly 1.
func TestAlignment(t *testing.T) {
	src, err := planted.New(planted.Config{Tasks: fourTasks, NumLayers: 3, N: 80, D: 12, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	a, err := Align(context.Background(), src, hook.PromptLast, probe.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.CKA {
		if math.Abs(a.CKA[i][i]-1) > 1e-9 {
			t.Errorf("CKA[%d][%d] = %v, want 1", i, i, a.CKA[i][i])
		}
	}
	if a.CKA[0][2] < 0.9 { // same planted directions and noise at every synthetic layer
		t.Errorf("CKA between layers 0 and 2 = %.3f, want > 0.9", a.CKA[0][2])
	}
	// The activations are the same noise plus the same planted signal at every
	// layer: the residual streams are alike too, on both measures, and on the
	// 12 dimensions with 320 examples all of them are kept.
	if a.ActDims != 12 {
		t.Errorf("ActDims = %d, want 12", a.ActDims)
	}
	for _, m := range [][][]float64{a.ActCKA, a.ActPWCCA} {
		if math.Abs(m[1][1]-1) > 1e-6 || m[0][2] < 0.9 {
			t.Errorf("activation alignment %v: want 1 on the diagonal and > 0.9 off it", m)
		}
	}
	r := &Result{Model: "m", Alignment: a, Config: Config{Position: hook.PromptLast}}
	if figs, err := r.alignmentFigures(); err != nil || len(figs) != 3 {
		t.Errorf("alignment figures: %d, %v", len(figs), err)
	}
}

// TestTopComponentsFewRows: with fewer examples than dimensions there are fewer
// principal components than dimensions; the projection keeps the rows.
func TestTopComponentsFewRows(t *testing.T) {
	x := mat.NewDense(5, 8, nil)
	for i := 0; i < 5; i++ {
		for j := 0; j < 8; j++ {
			x.Set(i, j, float64((i+1)*(j+2)%7))
		}
	}
	p := topComponents(x, 3)
	if r, c := p.Dims(); r != 5 || c != 3 {
		t.Fatalf("projection is %dx%d, want 5x3", r, c)
	}
}
