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
	"github.com/ifprobe/ifprobe/analyses/layers"
	"github.com/ifprobe/ifprobe/analyses/specialist"
	"github.com/ifprobe/ifprobe/analyses/temporal"
	"github.com/ifprobe/ifprobe/analyses/transfer"
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
	results := []analyses.Result{&specialist.Result{}, &transfer.Result{}, &ablation.Result{}, &layers.Result{}, &temporal.Result{}}
	for i, r := range results {
		if r.Name() != analysisNames[i] {
			t.Fatalf("result %d is %s, want %s", i, r.Name(), analysisNames[i])
		}
		sub := filepath.Join(dir, r.Name())
		if err := analyses.Load(sub, r); err != nil {
			t.Fatal(err)
		}
		if v := r.Verdict(); !strings.Contains(v, "Holds on this model") {
			t.Errorf("%s does not hold on the planted study: %s", r.Name(), v)
		}
		for _, f := range []string{"table.csv", "verdict.txt"} {
			if _, err := os.Stat(filepath.Join(sub, f)); err != nil {
				t.Error(err)
			}
		}
		if figs, _ := filepath.Glob(filepath.Join(sub, "figures", "*.png")); len(figs) == 0 {
			t.Errorf("%s: no PNG figure saved", r.Name())
		}
	}
	// The one planted dependency: lowercase reads word_limit's direction, so the two
	// share a subspace, and an eraser finds a dependency between them in one
	// direction only (which one depends on the eraser: erasing lowercase's subspace
	// removes part of word_limit's direction).
	ab := results[2].(*ablation.Result)
	wl, lc := taskIndex(ab.Tasks, "word_limit"), taskIndex(ab.Tasks, "lowercase")
	oneWay := 0
	for _, e := range ab.Erasers {
		sig := func(a, b int) bool {
			d := e.Cells[a][b].Dependency
			return d.Lo > 0 && d.Estimate >= ab.Config.MinEffect
		}
		t.Logf("%s: word_limit→lowercase %v, lowercase→word_limit %v", e.Kind, e.Cells[wl][lc].Dependency, e.Cells[lc][wl].Dependency)
		if sig(wl, lc) != sig(lc, wl) {
			oneWay++
		}
	}
	if oneWay == 0 {
		t.Error("no eraser finds the planted word_limit/lowercase dependency in one direction")
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
