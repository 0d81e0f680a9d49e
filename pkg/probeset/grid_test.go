package probeset_test

import (
	"bytes"
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/ifprobe/ifprobe/internal/jsonnan"
	"github.com/ifprobe/ifprobe/internal/shard"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/planted"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/probeset"
)

// A task whose signal switches on at layer 3 must be near chance before and
// decodable after, and the grid must survive a save/load round trip and resume from
// its cache.
func TestGridPlantedOnset(t *testing.T) {
	src, err := planted.New(planted.Config{
		Tasks:     []probeset.Task{{Name: "a", Kind: "structural"}, {Name: "b", Kind: "semantic"}},
		NumLayers: 5, N: 120, D: 16, Seed: 1,
		Scale: func(task string, layer int, _ hook.Position) float64 {
			if task == "a" && layer >= 3 {
				return 1
			}
			return 0
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	cfg := probeset.GridConfig{CV: probe.CVParams{Folds: 4, Probe: probe.DefaultParams()}, CacheDir: cache}
	g, err := probeset.EvaluateGrid(context.Background(), src, cfg)
	if err != nil {
		t.Fatal(err)
	}
	const chanceTol = 0.2 // 120 examples: chance AUROC varies by about ±0.1
	for l := 0; l < 5; l++ {
		a := g.AUROC("a", l, hook.PromptLast).Estimate
		if l >= 3 && a < 0.9 {
			t.Errorf("layer %d: planted AUROC %.3f < 0.9", l, a)
		}
		if l < 3 && math.Abs(a-0.5) > chanceTol {
			t.Errorf("layer %d: no-signal AUROC %.3f not near 0.5", l, a)
		}
		if c, _ := g.Cell("a", l, hook.PromptLast); c.Control == nil || math.Abs(c.Control.Estimate-0.5) > chanceTol {
			t.Errorf("layer %d: control AUROC %v not near chance", l, c.Control)
		}
	}
	if bl := g.BestLayer("a", hook.PromptLast); bl < 3 {
		t.Errorf("best layer %d, want >= 3", bl)
	}
	p := filepath.Join(t.TempDir(), "grid.json")
	if err := g.Save(p); err != nil {
		t.Fatal(err)
	}
	g2, err := probeset.LoadGrid(p)
	if err != nil {
		t.Fatal(err)
	}
	if g2.AUROC("a", 4, hook.PromptLast) != g.AUROC("a", 4, hook.PromptLast) {
		t.Error("grid changed in a save/load round trip")
	}
	g3, err := probeset.EvaluateGrid(context.Background(), src, cfg) // all from cache
	if err != nil {
		t.Fatal(err)
	}
	if g3.AUROC("b", 2, hook.PromptLast) != g.AUROC("b", 2, hook.PromptLast) {
		t.Error("resumed grid differs")
	}
}

// A task whose labels cannot be split into folds gets NaN cells with the reason; the
// other tasks are still evaluated.
func TestGridDegenerateTask(t *testing.T) {
	study, err := planted.New(planted.Config{Tasks: []probeset.Task{{Name: "a"}, {Name: "b"}}, NumLayers: 1, N: 40, D: 4, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	src := probeset.Relabel(study, func(task string, y []int) []int {
		if task == "b" { // b: one negative only
			for i := range y {
				y[i] = 1
			}
			y[0] = 0
		}
		return y
	})
	g, err := probeset.EvaluateGrid(context.Background(), src, probeset.GridConfig{CV: probe.CVParams{Folds: 4, Probe: probe.DefaultParams()}})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := g.Cell("a", 0, hook.PromptLast)
	b, _ := g.Cell("b", 0, hook.PromptLast)
	if a.Error != "" || math.IsNaN(a.AUROC.Estimate) {
		t.Errorf("healthy task a: %+v (%s)", a.AUROC, a.Error)
	}
	if b.Error == "" || !math.IsNaN(b.AUROC.Estimate) {
		t.Errorf("degenerate task b: error %q, AUROC %v", b.Error, b.AUROC)
	}
}

// TestGridNaNRoundTrip: undefined values (NaN selectivity and scores of a degenerate
// task) stay undefined through the per-layer cache and through grid.json. Read back
// with encoding/json, the cache and grid.json turned them into 0: 150 cells of a
// real grid rebuilt from its cache had selectivity 0 instead of null.
func TestGridNaNRoundTrip(t *testing.T) {
	study, err := planted.New(planted.Config{Tasks: []probeset.Task{{Name: "a"}, {Name: "b"}}, NumLayers: 2, N: 40, D: 4, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	src := probeset.Relabel(study, func(task string, y []int) []int {
		if task == "b" {
			for i := range y {
				y[i] = 1
			}
			y[0] = 0
		}
		return y
	})
	cfg := probeset.GridConfig{CV: probe.CVParams{Folds: 4, Probe: probe.DefaultParams()}, CacheDir: t.TempDir()}
	g, err := probeset.EvaluateGrid(context.Background(), src, cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := g.Cell("b", 1, hook.PromptLast)
	if !math.IsNaN(b.Selectivity) || !math.IsNaN(b.OOF[0]) {
		t.Fatalf("degenerate cell: selectivity %v, oof %v: the test needs NaN", b.Selectivity, b.OOF[:1])
	}
	want, _ := jsonnan.Marshal(g)
	cached, err := probeset.EvaluateGrid(context.Background(), src, cfg) // every layer from the cache
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "grid.json")
	if err := g.Save(p); err != nil {
		t.Fatal(err)
	}
	loaded, err := probeset.LoadGrid(p)
	if err != nil {
		t.Fatal(err)
	}
	for name, h := range map[string]*probeset.Grid{"from the cache": cached, "from grid.json": loaded} {
		c, _ := h.Cell("b", 1, hook.PromptLast)
		if !math.IsNaN(c.Selectivity) || !math.IsNaN(c.AUROC.Estimate) || !math.IsNaN(c.OOF[0]) {
			t.Errorf("%s: selectivity %v, AUROC %v, oof[0] %v: want NaN", name, c.Selectivity, c.AUROC.Estimate, c.OOF[0])
		}
		if got, _ := jsonnan.Marshal(h); string(got) != string(want) {
			t.Errorf("%s: grid differs from the computed one", name)
		}
	}
}

// Three processes' worth of grid shards fill one cache; the whole grid read from
// it equals the grid computed in one go, cell for cell. A shard without a cache
// is refused.
func TestGridShards(t *testing.T) {
	src, err := planted.New(planted.Config{
		Tasks:     []probeset.Task{{Name: "a"}, {Name: "b"}},
		Positions: []hook.Position{hook.PromptLast, hook.EOS},
		NumLayers: 4, N: 60, D: 8, Seed: 3,
		Scale: func(task string, layer int, _ hook.Position) float64 { return float64(layer) / 3 },
	})
	if err != nil {
		t.Fatal(err)
	}
	cv := probe.CVParams{Folds: 3, Probe: probe.DefaultParams()}
	want, err := probeset.EvaluateGrid(context.Background(), src, probeset.GridConfig{CV: cv})
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	cells := 0
	for i := range 3 {
		part, err := probeset.EvaluateGrid(context.Background(), src, probeset.GridConfig{CV: cv, CacheDir: cache, Shard: shard.Shard{Index: i, Count: 3}})
		if err != nil {
			t.Fatal(err)
		}
		cells += len(part.Cells)
	}
	if cells != len(want.Cells) {
		t.Errorf("the shards evaluated %d cells, the grid has %d", cells, len(want.Cells))
	}
	files, _ := filepath.Glob(filepath.Join(cache, "*.json"))
	if len(files) != 8 {
		t.Errorf("%d cache files, want 2 positions × 4 layers", len(files))
	}
	got, err := probeset.EvaluateGrid(context.Background(), src, probeset.GridConfig{CV: cv, CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := jsonnan.Marshal(want)
	b, _ := jsonnan.Marshal(got)
	if !bytes.Equal(a, b) {
		t.Error("the grid assembled from shards differs from the grid computed in one go")
	}
	if _, err := probeset.EvaluateGrid(context.Background(), src, probeset.GridConfig{CV: cv, Shard: shard.Shard{Index: 1, Count: 3}}); err == nil {
		t.Error("a grid shard without CacheDir: no error")
	}
}
