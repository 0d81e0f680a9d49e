package probeset_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/acts"
	"github.com/ifprobe/ifprobe/pkg/acts/actstest"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/probeset"
)

// storeExample is one example of a test store with the one value of its vector.
type storeExample struct {
	acts.Example
	x float32
}

func writeStore(t *testing.T, exs []storeExample) *acts.Store {
	rows := make([]actstest.Row, len(exs))
	for i, e := range exs {
		rows[i] = actstest.Row{Example: e.Example, X: []float32{e.x, e.x, e.x}}
	}
	return actstest.Write(t, rows)
}

// truncatedStore: 40 word_limit and 40 lowercase examples over 20 base requests,
// every fourth truncated, and 20 controls; value = example index.
func truncatedStore(t *testing.T) ([]storeExample, *acts.Store) {
	var exs []storeExample
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 80 {
		task := []string{"word_limit", "lowercase"}[i/40]
		e := acts.Example{ID: fmt.Sprintf("%s-%02d", task, i%40), Task: task, Label: rng.IntN(2),
			BaseID: fmt.Sprintf("b%02d", i%20), Truncated: i%4 == 1, ResponseTokens: 10}
		exs = append(exs, storeExample{e, float32(i)})
	}
	for b := range 20 {
		exs = append(exs, storeExample{acts.Example{ID: fmt.Sprintf("control-b%02d", b), Task: "control", Label: -1,
			BaseID: fmt.Sprintf("b%02d", b)}, float32(100 + b)})
	}
	return exs, writeStore(t, exs)
}

// Truncated responses are never read at eos; with ExcludeTruncated they are left
// out at every position. Controls are never probed.
func TestStoreSourceTruncation(t *testing.T) {
	exs, store := truncatedStore(t)
	for _, exclude := range []bool{false, true} {
		src, err := probeset.FromStore(store, probeset.StoreOptions{ExcludeTruncated: exclude})
		if err != nil {
			t.Fatal(err)
		}
		if names := []string{src.Tasks()[0].Name, src.Tasks()[1].Name}; len(src.Tasks()) != 2 || !slices.Equal(names, []string{"word_limit", "lowercase"}) {
			t.Fatalf("tasks %v", src.Tasks())
		}
		for _, pos := range []hook.Position{hook.PromptLast, hook.EOS} {
			ds, err := src.Dataset("lowercase", 1, pos)
			if err != nil {
				t.Fatal(err)
			}
			var want []float64
			var wantY []int
			for _, e := range exs {
				if e.Task == "lowercase" && !(e.Truncated && (exclude || pos == hook.EOS)) {
					want, wantY = append(want, float64(e.x)), append(wantY, e.Label)
				}
			}
			n, _ := ds.X.Dims()
			var got []float64
			for i := range n {
				got = append(got, ds.X.At(i, 0))
			}
			if !slices.Equal(got, want) || !slices.Equal(ds.Y, wantY) {
				t.Errorf("exclude=%v at %s: rows %v, want %v", exclude, pos, got, want)
			}
		}
	}
}

// A task whose every response was truncated has no rows at eos: its grid cells
// there say so, and the other cells are evaluated.
func TestGridTaskWithoutEOS(t *testing.T) {
	exs, _ := truncatedStore(t)
	for i := range exs {
		if exs[i].Task == "lowercase" {
			exs[i].Truncated = true
		}
		exs[i].x += float32(exs[i].Label) * 50 // decodable
	}
	src, err := probeset.FromStore(writeStore(t, exs), probeset.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	g, err := probeset.EvaluateGrid(context.Background(), src, probeset.GridConfig{CV: probe.CVParams{Folds: 3, SkipCI: true}})
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := g.Cell("lowercase", 1, hook.EOS); c.N != 0 || !strings.Contains(c.Error, "no data") {
		t.Errorf("lowercase at eos: n %d, error %q", c.N, c.Error)
	}
	for _, k := range []struct {
		task string
		pos  hook.Position
	}{{"lowercase", hook.PromptLast}, {"word_limit", hook.EOS}} {
		if c, _ := g.Cell(k.task, 1, k.pos); c.Error != "" || c.AUROC.Estimate < 0.99 {
			t.Errorf("%s at %s: AUROC %v, error %q", k.task, k.pos, c.AUROC, c.Error)
		}
	}
}

// The grid's table has a row per cell with its balanced accuracy beside AUROC.
func TestGridTable(t *testing.T) {
	exs, _ := truncatedStore(t)
	for i := range exs {
		exs[i].x += float32(exs[i].Label) * 50
	}
	src, err := probeset.FromStore(writeStore(t, exs), probeset.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	g, err := probeset.EvaluateGrid(context.Background(), src, probeset.GridConfig{CV: probe.CVParams{Folds: 3, SkipCI: true}})
	if err != nil {
		t.Fatal(err)
	}
	tab := g.Table()
	if len(tab) != 1+len(g.Cells) {
		t.Fatalf("%d rows for %d cells", len(tab), len(g.Cells))
	}
	col := slices.Index(tab[0], "balanced_accuracy")
	for _, row := range tab[1:] {
		if len(row) != len(tab[0]) || row[col] != "1.0000" {
			t.Errorf("row %v: balanced accuracy of a separable task", row)
		}
	}
}
