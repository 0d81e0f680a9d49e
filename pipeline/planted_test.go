package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/analyses/ablation"
	"github.com/ifprobe/ifprobe/pkg/probeset"
)

// The planted study is saved in Run's layout, and every finding holds on it: it
// is planted so that they do, so a verdict that does not hold is a broken analysis
// or a broken Planted.
func TestPlanted(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "planted")
	last, total := 0, 0
	if err := Planted(context.Background(), dir, func(done, n int) { last, total = done, n }); err != nil {
		t.Fatal(err)
	}
	if total == 0 || last != total {
		t.Errorf("progress ended at %d/%d, want the whole grid", last, total)
	}
	g, err := probeset.LoadGrid(filepath.Join(dir, "grid.json"))
	if err != nil {
		t.Fatal(err)
	}
	if g.Model != "planted" || g.NumLayers != 6 {
		t.Errorf("grid of %q with %d layers, want the planted study's 6", g.Model, g.NumLayers)
	}
	var ab *ablation.Result
	for _, a := range analyses.All() {
		r := a.NewResult()
		sub := filepath.Join(dir, a.Name())
		v, err := analyses.Load(sub, r)
		if err != nil {
			t.Fatal(err)
		}
		if v.Status != analyses.Holds {
			t.Errorf("%s does not hold on the planted study: %s", a.Name(), v.Text)
		}
		if again := r.Verdict(); again.Status != v.Status || again.Text != v.Text {
			t.Errorf("%s: the loaded result gives another verdict than the saved one:\n%s\n%s", a.Name(), again.Text, v.Text)
		}
		for _, f := range []string{"table.csv", "verdict.txt"} {
			if _, err := os.Stat(filepath.Join(sub, f)); err != nil {
				t.Error(err)
			}
		}
		if figs, _ := filepath.Glob(filepath.Join(sub, "figures", "*.png")); len(figs) == 0 {
			t.Errorf("%s: no PNG figure saved", a.Name())
		}
		if res, ok := r.(*ablation.Result); ok {
			ab = res
		}
	}
	// The one planted dependency: lowercase reads word_limit's direction, so the two
	// share a subspace, and an eraser finds a dependency between them in one
	// direction only (which one depends on the eraser: erasing lowercase's subspace
	// removes part of word_limit's direction).
	wl, lc := taskIndex(ab.Tasks, "word_limit"), taskIndex(ab.Tasks, "lowercase")
	oneWay := 0
	for _, e := range ab.Erasers {
		t.Logf("%s: word_limit→lowercase %v, lowercase→word_limit %v", e.Kind, e.Cells[wl][lc].Dependency, e.Cells[lc][wl].Dependency)
		if e.Cells[wl][lc].Significant != e.Cells[lc][wl].Significant {
			oneWay++
		}
	}
	if oneWay == 0 {
		t.Error("no eraser finds the planted word_limit/lowercase dependency in one direction")
	}
}

// The label-permutation null: with every task's labels shuffled, the planted
// study carries no information, and no finding may hold, for any seed. The
// decodability gate is what guarantees it; each verdict must say so.
func TestPlantedNullNeverHolds(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		v, err := RunPlanted(context.Background(), t.TempDir(), PlantedOptions{NullSeed: &seed})
		if err != nil {
			t.Fatal(err)
		}
		for name, verdict := range v {
			if verdict.Status == analyses.Holds || verdict.Status == analyses.Partly {
				t.Errorf("seed %d: %s is %s on permuted labels: %s", seed, name, verdict.Status, verdict.Text)
			}
			if d := verdict.Decodability; d == nil || d.Judge() == analyses.Holds {
				t.Errorf("seed %d: %s: the probes read permuted labels: %+v", seed, name, d)
			}
		}
	}
}

func taskIndex(tasks []probeset.Task, name string) int {
	for i, t := range tasks {
		if t.Name == name {
			return i
		}
	}
	panic("no task " + name)
}

func TestPlantedCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Planted(ctx, t.TempDir(), nil)
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "reproduce: planted study: ") {
		t.Errorf("Planted on a canceled context: %v, want a reproduce: error wrapping context.Canceled", err)
	}
}
