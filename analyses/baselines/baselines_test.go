package baselines_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ifprobe/ifprobe/analyses/baselines"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/planted"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/stats"
)

// study is a one-layer planted study of task "a" whose signal has strength
// scale; equal seeds give equal rows, labels and groups whatever the scale.
func study(t *testing.T, scale float64, seed uint64) *probeset.Grid {
	t.Helper()
	src, err := planted.New(planted.Config{Name: "m", Tasks: []probeset.Task{{Name: "a", Kind: "structural"}},
		NumLayers: 1, N: 160, D: 8, Seed: seed, Positions: []hook.Position{hook.PromptLast},
		Components: map[string][]planted.Component{"a": {{Direction: 0, Weight: 3}}},
		Scale:      func(string, int, hook.Position) float64 { return scale }})
	if err != nil {
		t.Fatal(err)
	}
	cv := probe.CVParams{Probe: probe.DefaultParams(), Folds: 4}
	cv.Bootstrap.Reps = 200
	g, err := probeset.EvaluateGrid(context.Background(), src, probeset.GridConfig{CV: cv})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func layer0(g *probeset.Grid) baselines.Probes {
	return func(task string, pos hook.Position) (*baselines.Scored, error) {
		c, _ := g.Cell(task, 0, pos)
		return &baselines.Scored{Scores: c.OOF, Y: c.Y, Groups: c.Groups}, nil
	}
}

// A probe that reads a planted signal beats a baseline that reads nothing (its
// margin's CI excludes 0) and ties one that reads the same data (margin 0).
func TestCompareKnownMargins(t *testing.T) {
	g := study(t, 1, 5)
	blind, same := study(t, 0, 5), study(t, 1, 5)
	bp := stats.BootstrapParams{Reps: 300, Seed: 1}
	r, err := baselines.Compare(g, layer0(g), map[probeset.BaselineKind]*probeset.Grid{
		probeset.TextBaseline: blind, probeset.InstructionBaseline: same}, []hook.Position{hook.PromptLast}, bp)
	if err != nil {
		t.Fatal(err)
	}
	row := r.Rows[0]
	if row.Probe.Estimate < 0.9 || row.ProbeBalancedAcc.Estimate < 0.8 {
		t.Errorf("probe AUROC %v, balanced accuracy %v on a planted signal", row.Probe, row.ProbeBalancedAcc)
	}
	text := row.Baselines[probeset.TextBaseline]
	if m := text.Margin; m.Lo <= 0 || m.Estimate < 0.3 {
		t.Errorf("margin over a blind baseline %v: want > 0.3 with its CI above 0", m)
	}
	if ins := row.Baselines[probeset.InstructionBaseline]; ins.Margin.Estimate != 0 || ins.Margin.Lo != 0 || ins.Margin.Hi != 0 {
		t.Errorf("margin over a baseline with the same scores: %v, want exactly 0", ins.Margin)
	}
	if row.Control.Estimate < 0.3 || row.Control.Estimate > 0.7 {
		t.Errorf("control task AUROC %v, want near chance", row.Control)
	}
	tab := r.Table()
	if len(tab) != 2 || len(tab[0]) != len(tab[1]) || !strings.Contains(strings.Join(tab[0], ","), "margin_over_text") {
		t.Errorf("table %v", tab)
	}
	if figs, err := r.Figures(); err != nil || len(figs) != 2 {
		t.Errorf("figures: %d, %v", len(figs), err)
	}
	// A baseline over other rows cannot be compared.
	if _, err := baselines.Compare(g, layer0(g), map[probeset.BaselineKind]*probeset.Grid{
		probeset.TextBaseline: study(t, 1, 6)}, []hook.Position{hook.PromptLast}, bp); err == nil {
		t.Error("a baseline over other rows was compared")
	}
}
