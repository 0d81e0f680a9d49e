package baselines

import (
	"fmt"
	"math"
	"slices"

	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/plot"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/stats"
)

// Scored is one task's probe scores at one position: out-of-fold decision
// values (selection-corrected when a layer was chosen), with the rows' labels
// and base-request groups.
type Scored struct {
	Scores []float64
	Y      []int
	Groups []int
}

// Probes returns the activation probe's scores of a task at a position.
type Probes func(task string, pos hook.Position) (*Scored, error)

// Versus is one baseline's scores beside the probe's.
type Versus struct {
	AUROC            stats.Interval `json:"auroc"`
	BalancedAccuracy stats.Interval `json:"balanced_accuracy"`
	// Margin is the probe's AUROC minus the baseline's on the same rows, with a
	// paired cluster-bootstrap CI.
	Margin stats.Interval `json:"margin"`
}

// Row compares one task's probe with its baselines at one position.
type Row struct {
	Task     string        `json:"task"`
	Kind     string        `json:"kind"`
	Position hook.Position `json:"position"`
	N        int           `json:"n"`
	// Probe is the activation probe (selection-corrected AUROC and balanced
	// accuracy at threshold 0).
	Probe            stats.Interval `json:"probe_auroc"`
	ProbeBalancedAcc stats.Interval `json:"probe_balanced_accuracy"`
	// Control is the AUROC of the probe's control task (random labels per base
	// request) at the grid's best layer, and Selectivity the probe's AUROC there
	// minus it.
	Control     stats.Interval `json:"control_auroc"`
	Selectivity float64        `json:"selectivity"`
	// Baselines by kind; a kind the run lacks is absent.
	Baselines map[probeset.BaselineKind]*Versus `json:"baselines"`
	// Error says why the row could not be computed (no rows there, a class
	// missing); its numbers are then NaN.
	Error string `json:"error,omitempty"`
}

// Result is Compare's output for one model.
type Result struct {
	Model     string                  `json:"model"`
	Positions []hook.Position         `json:"positions"`
	Kinds     []probeset.BaselineKind `json:"kinds"`
	Rows      []Row                   `json:"rows"`
}

// Compare sets each task's probe beside the baseline grids at each position.
// grid is the activation grid (for the control task and task kinds); probes
// gives the probe's scores (the grid's selection-corrected ones); every
// baseline grid must hold the same rows as the probe at a task and position
// (same labels and groups), as grids over probeset.FeatureSource do.
func Compare(grid *probeset.Grid, probes Probes, base map[probeset.BaselineKind]*probeset.Grid, positions []hook.Position, bp stats.BootstrapParams) (*Result, error) {
	r := &Result{Model: grid.Model, Positions: positions}
	for _, k := range probeset.BaselineKinds {
		if base[k] != nil {
			r.Kinds = append(r.Kinds, k)
		}
	}
	for _, pos := range positions {
		for _, t := range grid.Tasks {
			row, err := compareTask(grid, probes, base, r.Kinds, t, pos, bp)
			if err != nil {
				return nil, err
			}
			r.Rows = append(r.Rows, row)
		}
	}
	return r, nil
}

func nanInterval() stats.Interval {
	nan := math.NaN()
	return stats.Interval{Estimate: nan, Lo: nan, Hi: nan}
}

// compareTask fills one row. Missing data (a task without rows at eos) is the
// row's Error; rows that differ between probe and baseline are an error.
func compareTask(grid *probeset.Grid, probes Probes, base map[probeset.BaselineKind]*probeset.Grid, kinds []probeset.BaselineKind, t probeset.Task, pos hook.Position, bp stats.BootstrapParams) (Row, error) {
	nan := nanInterval()
	row := Row{Task: t.Name, Kind: t.Kind, Position: pos, Probe: nan, ProbeBalancedAcc: nan, Control: nan,
		Selectivity: math.NaN(), Baselines: map[probeset.BaselineKind]*Versus{}}
	if c, ok := grid.Cell(t.Name, grid.BestLayer(t.Name, pos), pos); ok && c.Control != nil {
		row.Control, row.Selectivity = *c.Control, c.Selectivity
	}
	p, err := probes(t.Name, pos)
	if err != nil {
		row.Error = err.Error()
		return row, nil
	}
	row.N = len(p.Y)
	members := stats.Members(p.Groups)
	probeAUC := grouped(members, p.Scores, p.Y, auroc)
	if row.Probe, err = stats.Bootstrap(len(members), probeAUC, bp); err != nil {
		row.Error = err.Error()
		return row, nil
	}
	if row.ProbeBalancedAcc, err = stats.Bootstrap(len(members), grouped(members, p.Scores, p.Y, balanced), bp); err != nil {
		row.ProbeBalancedAcc = nan
	}
	for _, k := range kinds {
		c, ok := base[k].Cell(t.Name, probeset.BaselineLayer, pos)
		if !ok || len(c.OOF) == 0 { // no rows there
			continue
		}
		if !slices.Equal(c.Y, p.Y) || !slices.Equal(c.Groups, p.Groups) {
			return Row{}, fmt.Errorf("baselines: %s at %s: the %s baseline holds other rows than the probe", t.Name, pos, k)
		}
		v := &Versus{AUROC: nan, BalancedAccuracy: c.BalancedAccuracy, Margin: nan}
		if _, diff, err := stats.PairedBootstrap(len(members), probeAUC, grouped(members, c.OOF, c.Y, auroc), bp); err == nil {
			v.AUROC, v.Margin = c.AUROC, diff
		}
		row.Baselines[k] = v
	}
	return row, nil
}

// grouped is a statistic of scores and labels over a resample of groups.
func grouped(members [][]int, scores []float64, y []int, stat func(s []float64, y []int, rows []int) float64) stats.Statistic {
	return stats.GroupedStatistic(members, func(rows []int) float64 { return stat(scores, y, rows) })
}

func auroc(s []float64, y []int, rows []int) float64 { return stats.AUROCOn(s, y, rows) }

// balanced is the balanced accuracy of decision values thresholded at 0 (NaN
// when a class is missing).
func balanced(s []float64, y []int, rows []int) float64 {
	pred, ys := make([]int, len(rows)), make([]int, len(rows))
	for k, i := range rows {
		ys[k] = y[i]
		if s[i] > 0 {
			pred[k] = 1
		}
	}
	v, err := stats.BalancedAccuracy(pred, ys)
	if err != nil {
		return math.NaN()
	}
	return v
}

// Figures draws, per position, grouped bars of the probe's AUROC beside each
// baseline's and the control task's, and of the probe's balanced accuracy
// beside each baseline's (the paper reports accuracy), with 95% CIs.
func (r *Result) Figures() ([]*plot.Figure, error) {
	var figs []*plot.Figure
	for _, pos := range r.Positions {
		for _, m := range []metric{aurocMetric, balancedMetric} {
			fig, err := r.figure(pos, m)
			if err != nil {
				return nil, err
			}
			if fig != nil {
				figs = append(figs, fig)
			}
		}
	}
	return figs, nil
}

// metric picks what a figure shows of the probe, of a baseline and of the
// control task (nil: not shown).
type metric struct {
	name, label string
	probe       func(Row) stats.Interval
	base        func(*Versus) stats.Interval
	control     func(Row) stats.Interval
}

var (
	aurocMetric = metric{"baselines", "AUROC (out-of-fold)",
		func(r Row) stats.Interval { return r.Probe }, func(v *Versus) stats.Interval { return v.AUROC },
		func(r Row) stats.Interval { return r.Control }}
	balancedMetric = metric{"baselines_balanced", "balanced accuracy (out-of-fold)",
		func(r Row) stats.Interval { return r.ProbeBalancedAcc }, func(v *Versus) stats.Interval { return v.BalancedAccuracy }, nil}
)

// figure draws one metric at one position, or nil when no task has a row there.
func (r *Result) figure(pos hook.Position, m metric) (*plot.Figure, error) {
	groups := []plot.BarGroup{{Label: "probe on the model's states", Color: plot.KindColor("structural")}}
	for _, k := range r.Kinds {
		groups = append(groups, plot.BarGroup{Label: string(k) + " baseline", Color: plot.Color(string(k) + " baseline")})
	}
	if m.control != nil {
		groups = append(groups, plot.BarGroup{Label: "control task", Color: plot.KindColor("control")})
	}
	var cats []string
	for _, row := range r.Rows {
		if row.Position != pos {
			continue
		}
		cats = append(cats, row.Task)
		ivs := []stats.Interval{m.probe(row)}
		for _, k := range r.Kinds {
			iv := nanInterval()
			if v := row.Baselines[k]; v != nil {
				iv = m.base(v)
			}
			ivs = append(ivs, iv)
		}
		if m.control != nil {
			ivs = append(ivs, m.control(row))
		}
		for g, iv := range ivs {
			groups[g].Values = append(groups[g].Values, iv.Estimate)
			groups[g].Lo, groups[g].Hi = append(groups[g].Lo, iv.Lo), append(groups[g].Hi, iv.Hi)
		}
	}
	if len(cats) == 0 {
		return nil, nil
	}
	return plot.Bars(plot.BarsSpec{Name: m.name + "_" + sanitize(pos.String()),
		Title:  fmt.Sprintf("%s at %s: probe vs what the text and the instruction give away (95%% CI)", r.Model, pos),
		YLabel: m.label, Categories: cats, Groups: groups, HLines: []float64{0.5},
		YMin: 0, YMax: 1.08, Width: 760, Height: 380})
}

func sanitize(s string) string {
	out := []rune(s)
	for i, c := range out {
		if c == ':' || c == '.' || c == '/' {
			out[i] = '_'
		}
	}
	return string(out)
}

// Table is one row per task and position: the probe's AUROC and balanced
// accuracy, each baseline's AUROC, balanced accuracy and the probe's margin over
// it, and the control task's AUROC and the selectivity, each with its CI.
func (r *Result) Table() [][]string {
	head := []string{"task", "kind", "position", "n", "probe_auroc", "probe_lo", "probe_hi",
		"probe_balanced_accuracy", "probe_bal_lo", "probe_bal_hi"}
	for _, k := range r.Kinds {
		s := string(k)
		head = append(head, s+"_auroc", s+"_lo", s+"_hi", s+"_balanced_accuracy",
			"margin_over_"+s, "margin_"+s+"_lo", "margin_"+s+"_hi")
	}
	head = append(head, "control_auroc", "control_lo", "control_hi", "selectivity", "error")
	out := [][]string{head}
	for _, row := range r.Rows {
		line := []string{row.Task, row.Kind, row.Position.String(), fmt.Sprint(row.N)}
		line = append(line, ivCells(row.Probe)...)
		line = append(line, ivCells(row.ProbeBalancedAcc)...)
		for _, k := range r.Kinds {
			v := row.Baselines[k]
			if v == nil {
				v = &Versus{AUROC: nanInterval(), BalancedAccuracy: nanInterval(), Margin: nanInterval()}
			}
			line = append(line, ivCells(v.AUROC)...)
			line = append(line, f(v.BalancedAccuracy.Estimate))
			line = append(line, ivCells(v.Margin)...)
		}
		line = append(line, ivCells(row.Control)...)
		line = append(line, f(row.Selectivity), row.Error)
		out = append(out, line)
	}
	return out
}

func ivCells(iv stats.Interval) []string { return []string{f(iv.Estimate), f(iv.Lo), f(iv.Hi)} }

func f(v float64) string { return fmt.Sprintf("%.4f", v) }
