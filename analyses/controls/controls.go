package controls

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/ifprobe/ifprobe/pkg/acts"
	"github.com/ifprobe/ifprobe/pkg/dataset"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/stats"
	"github.com/ifprobe/ifprobe/pkg/tasks"
	"gonum.org/v1/gonum/mat"
)

// Config configures Run.
type Config struct {
	// Positions to read; default the grid's first position.
	Positions []hook.Position `json:"positions"`
	// CV is the grid's cross-validation (same folds, same probes).
	CV probe.CVParams `json:"cv"`
	// Bootstrap configures every interval.
	Bootstrap stats.BootstrapParams `json:"bootstrap"`
}

// Row is one task at one position.
type Row struct {
	Task     string        `json:"task"`
	Kind     string        `json:"kind"`
	Position hook.Position `json:"position"`
	Layer    int           `json:"layer"` // the grid's best layer there
	N        int           `json:"n"`     // instructed rows
	Controls int           `json:"controls"`
	// Separation is the AUROC of the projection, instructed against control.
	Separation stats.Interval `json:"separation_auroc"`
	// Mean projections (probe decision values) and the shift instructed − control.
	Satisfied stats.Interval `json:"mean_satisfied"`
	Failed    stats.Interval `json:"mean_failed"`
	Control   stats.Interval `json:"mean_control"`
	Shift     stats.Interval `json:"shift"`
	// Pairs counts the (instructed item, its base request's control) pairs, and
	// ControlsMet those whose uninstructed response meets the item's constraint
	// anyway; MetAUROC is the controls' projection's AUROC against that (NaN
	// when a class is missing).
	Pairs       int            `json:"pairs"`
	ControlsMet int            `json:"controls_met"`
	MetAUROC    stats.Interval `json:"met_auroc"`
	Error       string         `json:"error,omitempty"`
}

// Result is Run's output for one model.
type Result struct {
	Model  string `json:"model"`
	Config Config `json:"config"`
	Rows   []Row  `json:"rows"`
}

// ErrNoControls is returned when the store holds no control examples (a profile
// without controls).
var ErrNoControls = errors.New("controls: the run has no uninstructed controls")

// Run projects the controls on every task's probe direction at each position.
// recs are the dataset records (for whether a control meets a constraint).
func Run(ctx context.Context, src *probeset.StoreSource, g *probeset.Grid, recs []dataset.Record, cfg Config) (*Result, error) {
	if len(cfg.Positions) == 0 {
		cfg.Positions = g.Positions[:1]
	}
	if len(src.Examples(dataset.Control, hook.PromptLast)) == 0 {
		return nil, ErrNoControls
	}
	met, err := dataset.Baseline(recs)
	if err != nil {
		return nil, fmt.Errorf("controls: %w", err)
	}
	r := &Result{Model: g.Model, Config: cfg}
	for _, pos := range cfg.Positions {
		for _, t := range src.Tasks() {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			row := Row{Task: t.Name, Kind: t.Kind, Position: pos, Layer: g.BestLayer(t.Name, pos)}
			if err := project(src, &row, met, cfg); err != nil {
				row.Error = err.Error()
				row.fillNaN()
			}
			r.Rows = append(r.Rows, row)
		}
	}
	return r, nil
}

func (row *Row) fillNaN() {
	nan := math.NaN()
	iv := stats.Interval{Estimate: nan, Lo: nan, Hi: nan}
	row.Separation, row.Satisfied, row.Failed, row.Control, row.Shift, row.MetAUROC = iv, iv, iv, iv, iv, iv
}

// Kinds of projected rows.
const (
	failed    = 0
	satisfied = 1
	control   = -1
)

// projected holds one task's projections at one position: instructed rows
// (kind satisfied or failed) and controls, with their base-request groups, and
// the (control, met) pairs.
type projected struct {
	score   []float64
	kind    []int
	groups  []int
	pairRow []int // a control's index in score
	pairMet []int // 1 when its response meets the paired item's constraint
}

// project fills row's statistics, or returns why it cannot.
func project(src *probeset.StoreSource, row *Row, met map[string]tasks.Verdict, cfg Config) error {
	if row.Layer < 0 {
		return fmt.Errorf("no probe of %s at %s", row.Task, row.Position)
	}
	xc, cexs, err := src.Controls(row.Layer, row.Position)
	if err != nil {
		return err
	}
	ds, err := src.Dataset(row.Task, row.Layer, row.Position)
	if err != nil {
		return err
	}
	cv := cfg.CV
	cv.KeepProbes, cv.Control, cv.SkipCI = true, false, true
	ev, err := cv.Evaluate(ds)
	if err != nil {
		return err
	}
	p, ctlRow, err := projectAll(src, ds, ev, xc, cexs)
	if err != nil {
		return err
	}
	for _, e := range src.Examples(row.Task, row.Position) {
		v, ok := met[e.ID]
		c, has := ctlRow[e.BaseID]
		if ok && has {
			p.pairRow, p.pairMet = append(p.pairRow, c), append(p.pairMet, b2i(v.Satisfied))
		}
	}
	row.N, row.Controls, row.Pairs = len(ds.Y), len(ctlRow), len(p.pairRow)
	for _, m := range p.pairMet {
		row.ControlsMet += m
	}
	return p.fill(row, cfg.Bootstrap)
}

// projectAll scores the instructed rows out of fold and each control whose base
// request the task has with that request's fold probe (no probe saw it). It
// returns the projections and each scored control's index by base id.
func projectAll(src *probeset.StoreSource, ds probe.Dataset, ev *probe.Evaluation, xc *mat.Dense, cexs []acts.Example) (*projected, map[string]int, error) {
	p := &projected{}
	foldOf := map[int]int{}
	for i, y := range ds.Y {
		p.score, p.kind, p.groups = append(p.score, ev.OOF[i]), append(p.kind, y), append(p.groups, ds.Groups[i])
		foldOf[ds.Groups[i]] = ev.FoldOf[i]
	}
	ctlRow := map[string]int{}
	_, d := xc.Dims()
	for j, e := range cexs {
		g := src.Group(e.BaseID)
		f, ok := foldOf[g]
		if !ok {
			continue // a base request this task never used: no pair, no held-out probe
		}
		z, err := ev.Probes[f].DecisionFunction(xc.Slice(j, j+1, 0, d))
		if err != nil {
			return nil, nil, err
		}
		ctlRow[e.BaseID] = len(p.score)
		p.score, p.kind, p.groups = append(p.score, z[0]), append(p.kind, control), append(p.groups, g)
	}
	if len(ctlRow) == 0 {
		return nil, nil, fmt.Errorf("no control shares a base request with the task's items")
	}
	return p, ctlRow, nil
}

// fill computes row's intervals with a cluster bootstrap over base requests.
func (p *projected) fill(row *Row, bp stats.BootstrapParams) error {
	members := stats.Members(p.groups)
	instructed := make([]int, len(p.kind))
	for i, k := range p.kind {
		instructed[i] = b2i(k != control)
	}
	var err error
	boot := func(stat func(rows []int) float64) stats.Interval {
		if err != nil {
			return stats.Interval{}
		}
		var iv stats.Interval
		iv, err = stats.Bootstrap(len(members), stats.GroupedStatistic(members, stat), bp)
		return iv
	}
	row.Separation = boot(func(rows []int) float64 { return stats.AUROCOn(p.score, instructed, rows) })
	row.Satisfied = boot(p.mean(func(k int) bool { return k == satisfied }))
	row.Failed = boot(p.mean(func(k int) bool { return k == failed }))
	row.Control = boot(p.mean(func(k int) bool { return k == control }))
	in, ctl := p.mean(func(k int) bool { return k != control }), p.mean(func(k int) bool { return k == control })
	row.Shift = boot(func(rows []int) float64 { return in(rows) - ctl(rows) })
	if err != nil {
		return err
	}
	row.MetAUROC = p.metAUROC(bp)
	return nil
}

// mean is the mean projection of the rows whose kind keep accepts (NaN when none).
func (p *projected) mean(keep func(kind int) bool) func(rows []int) float64 {
	return func(rows []int) float64 {
		s, n := 0.0, 0
		for _, i := range rows {
			if keep(p.kind[i]) {
				s += p.score[i]
				n++
			}
		}
		if n == 0 {
			return math.NaN()
		}
		return s / float64(n)
	}
}

// metAUROC is the AUROC of the paired controls' projections against whether
// they meet the constraint, resampling base requests; NaN when undefined.
func (p *projected) metAUROC(bp stats.BootstrapParams) stats.Interval {
	nan := math.NaN()
	scores := make([]float64, len(p.pairRow))
	groups := make([]int, len(p.pairRow))
	for k, c := range p.pairRow {
		scores[k], groups[k] = p.score[c], p.groups[c]
	}
	members := stats.Members(groups)
	iv, err := stats.Bootstrap(len(members), stats.GroupedStatistic(members, stats.AUROCStatistic(scores, p.pairMet)), bp)
	if err != nil || math.IsNaN(iv.Estimate) {
		return stats.Interval{Estimate: nan, Lo: nan, Hi: nan}
	}
	return iv
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
