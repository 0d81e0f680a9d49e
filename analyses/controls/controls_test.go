package controls_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ifprobe/ifprobe/analyses/controls"
	"github.com/ifprobe/ifprobe/pkg/acts"
	"github.com/ifprobe/ifprobe/pkg/acts/actstest"
	"github.com/ifprobe/ifprobe/pkg/dataset"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/stats"
	"github.com/ifprobe/ifprobe/pkg/tasks"
)

// study: 60 word_limit items (n = 10) over 30 base requests whose state reads
// the label along the first axis (+2 satisfied, -2 failed), and one control per
// base request, answered short (meeting n = 10) on even requests and long on odd
// ones, placed on that axis by ctl(meets).
func study(t *testing.T, ctl func(meets bool) float32, withControls bool) (*probeset.StoreSource, *probeset.Grid, []dataset.Record) {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 3))
	short, long := strings.Repeat("word ", 5), strings.Repeat("word ", 20)
	var recs []dataset.Record
	var rows []actstest.Row
	add := func(it dataset.Item, resp string, axis float32, label int) {
		r, err := dataset.NewRecord(it, resp, "test")
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
		x := []float32{axis + float32(rng.NormFloat64()*0.5), float32(rng.NormFloat64()), float32(rng.NormFloat64())}
		rows = append(rows, actstest.Row{Example: acts.Example{ID: it.ID, Task: it.Task, Label: label, BaseID: it.BaseID}, X: x})
	}
	for i := range 60 {
		it := dataset.Item{ID: fmt.Sprintf("word_limit-%04d", i), BaseID: fmt.Sprintf("b%02d", i%30), Task: "word_limit",
			Params: tasks.Params{"n": 10}}
		if i%3 == 0 {
			add(it, short, 2, 1)
		} else {
			add(it, long, -2, 0)
		}
	}
	if withControls {
		for b := range 30 {
			it := dataset.Item{ID: fmt.Sprintf("control-b%02d", b), BaseID: fmt.Sprintf("b%02d", b), Task: dataset.Control, Phrasing: -1}
			meets := b%2 == 0
			resp := long
			if meets {
				resp = short
			}
			add(it, resp, ctl(meets), -1)
		}
	}
	src, err := probeset.FromStore(actstest.Write(t, rows), probeset.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	g, err := probeset.EvaluateGrid(context.Background(), src, probeset.GridConfig{CV: cv(), Positions: []hook.Position{hook.EOS}})
	if err != nil {
		t.Fatal(err)
	}
	return src, g, recs
}

func cv() probe.CVParams {
	c := probe.CVParams{Probe: probe.DefaultParams(), Folds: 5, SkipCI: true}
	c.Probe.Seed = 2
	return c
}

// run runs the controls of a study with controls placed by ctl.
func run(t *testing.T, ctl func(bool) float32) controls.Row {
	t.Helper()
	src, g, recs := study(t, ctl, true)
	r, err := controls.Run(context.Background(), src, g, recs, controls.Config{Positions: []hook.Position{hook.EOS}, CV: cv(),
		Bootstrap: stats.BootstrapParams{Reps: 200, Seed: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Rows) != 1 || r.Rows[0].Error != "" {
		t.Fatalf("rows %+v", r.Rows)
	}
	if tab := r.Table(); len(tab) != 2 || len(tab[0]) != len(tab[1]) {
		t.Errorf("table %v", tab)
	}
	if figs, err := r.Figures(); err != nil || len(figs) != 1 {
		t.Errorf("figures %d, %v", len(figs), err)
	}
	return r.Rows[0]
}

// Controls placed far below the failures separate from instructed responses
// (AUROC ~1, a negative mean); controls placed by whether they meet the
// constraint anyway mix with the instructed ones and the direction reads their
// success (met AUROC ~1).
func TestControlsKnownGeometry(t *testing.T) {
	far := run(t, func(bool) float32 { return -6 })
	if far.Separation.Estimate < 0.95 || far.Control.Hi >= far.Failed.Lo || far.Shift.Lo <= 0 {
		t.Errorf("far controls: separation %v, control %v, failed %v, shift %v", far.Separation, far.Control, far.Failed, far.Shift)
	}
	if far.N != 60 || far.Controls != 30 || far.Pairs != 60 || far.ControlsMet != 30 {
		t.Errorf("counts: n %d controls %d pairs %d met %d", far.N, far.Controls, far.Pairs, far.ControlsMet)
	}
	mixed := run(t, func(meets bool) float32 {
		if meets {
			return 2
		}
		return -2
	})
	if mixed.MetAUROC.Estimate < 0.95 || mixed.Separation.Lo > 0.5 || mixed.Separation.Hi < 0.5 {
		t.Errorf("mixed controls: met AUROC %v, separation %v (want ~1 and ~0.5)", mixed.MetAUROC, mixed.Separation)
	}
}

func TestNoControls(t *testing.T) {
	src, g, recs := study(t, nil, false)
	if _, err := controls.Run(context.Background(), src, g, recs, controls.Config{CV: cv()}); !errors.Is(err, controls.ErrNoControls) {
		t.Errorf("a run without controls: %v", err)
	}
}
