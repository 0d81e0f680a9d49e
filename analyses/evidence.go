package analyses

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/stats"
)

// Units of Evidence.N.
const (
	UnitItems = "items per task"
	UnitTasks = "tasks"
)

// ItemsPerTask is the mean number of labelled items per probed task at
// position: the n of most findings' power statements.
func ItemsPerTask(g *probeset.Grid, pos hook.Position) int {
	sum, k := 0, 0
	for _, t := range g.Tasks {
		for _, l := range g.Layers {
			if c, ok := g.Cell(t.Name, l, pos); ok {
				sum += c.N
				k++
				break
			}
		}
	}
	if k == 0 {
		return 0
	}
	return int(math.Round(float64(sum) / float64(k)))
}

// smallestDecodability is the smallest mean AUROC above chance that counts as
// "the probes read the labels": 0.05, the width of AUROC's usual noise floor at a
// few hundred items.
const smallestDecodability = 0.05

// Decodability is the precondition of every probe finding: the mean over tasks
// of the selection-corrected AUROC at pos (each task's layer chosen on other
// folds, probeset.Grid.Select), minus chance, with a cluster-bootstrap CI over
// base requests widened for cross-validation (CVCorrect). On labels with no
// information its CI covers zero in 95% of runs, and the findings that compare
// probe scores are then inconclusive.
func Decodability(g *probeset.Grid, pos hook.Position, bp stats.BootstrapParams) (*Evidence, error) {
	var ts []TaskStat
	for _, t := range g.Tasks {
		sel, err := g.Select(t.Name, pos)
		if err != nil {
			continue // a task with no usable cell does not count either way
		}
		ts = append(ts, TaskStat{sel.Groups, func(rows []int) float64 { return stats.AUROCOn(sel.Scores, sel.Y, rows) - 0.5 }})
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("analyses: decodability at %s: no task has usable probe scores: %w", pos, probeset.ErrNoData)
	}
	iv, err := MeanOverTasks(ts, bp)
	if err != nil {
		return nil, fmt.Errorf("analyses: decodability at %s: %w", pos, err)
	}
	iv = CVCorrect(iv, g.CV.Folds)
	e := NewEvidence(fmt.Sprintf("mean AUROC − 0.5 at %s, layer chosen on other folds", pos), iv, ItemsPerTask(g, pos), UnitItems, smallestDecodability)
	return &e, nil
}

// TaskStat is one task's contribution to a statistic averaged over tasks: its
// rows' base-request groups and the statistic on a resample of its rows.
type TaskStat struct {
	Groups []int
	F      func(rows []int) float64
}

// MeanOverTasks is the mean over tasks of each task's statistic, with a cluster
// bootstrap that resamples every task's base requests independently.
func MeanOverTasks(ts []TaskStat, bp stats.BootstrapParams) (stats.Interval, error) {
	members := make([][][]int, len(ts))
	for i, t := range ts {
		members[i] = stats.Members(t.Groups)
	}
	return stats.MultiBootstrap(members, func(rows [][]int) float64 {
		v := make([]float64, len(ts))
		for i, t := range ts {
			v[i] = t.F(rows[i])
		}
		return stats.Mean(v)
	}, bp)
}

// smallestMargin is the smallest AUROC margin over a baseline that counts as the
// probe reading more than the baseline does.
const smallestMargin = 0.02

// Margin is the mean over tasks of the probes' AUROC minus the baseline's at pos,
// on the same rows (paired: one bootstrap resample serves both). probes are
// selection-corrected scores (probeset.Grid.Select, or a finding's own); base is
// a baseline grid. Tasks the baseline lacks are left out; an error is returned
// when none is left or the rows differ.
func Margin(statistic string, probes []*probeset.Selected, base *probeset.Grid, pos hook.Position, bp stats.BootstrapParams) (*Evidence, error) {
	var ts []TaskStat
	n := 0
	for _, p := range probes {
		b, err := base.Select(p.Task, pos)
		if err != nil {
			continue
		}
		if !slices.Equal(b.Y, p.Y) || !slices.Equal(b.Groups, p.Groups) {
			return nil, fmt.Errorf("analyses: margin of %s at %s: the baseline holds other rows than the probe", p.Task, pos)
		}
		ts = append(ts, TaskStat{p.Groups, func(rows []int) float64 {
			return stats.AUROCOn(p.Scores, p.Y, rows) - stats.AUROCOn(b.Scores, b.Y, rows)
		}})
		n += len(p.Y)
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("analyses: margin at %s: the baseline has none of the tasks: %w", pos, probeset.ErrNoData)
	}
	iv, err := MeanOverTasks(ts, bp)
	if err != nil {
		return nil, fmt.Errorf("analyses: margin at %s: %w", pos, err)
	}
	iv = CVCorrect(iv, base.CV.Folds)
	e := NewEvidence(statistic, iv, int(math.Round(float64(n)/float64(len(ts)))), UnitItems, smallestMargin)
	return &e, nil
}

// Gate is Decodability for a finding's verdict: it never fails, but returns
// evidence with an undefined estimate (which fails the gate, so no finding can
// hold) when the grid is missing or has nothing usable at pos.
func Gate(in Inputs, pos hook.Position) *Evidence {
	nan := math.NaN()
	missing := NewEvidence(fmt.Sprintf("mean AUROC − 0.5 at %s", pos), stats.Interval{Estimate: nan, Lo: nan, Hi: nan}, 0, UnitItems, smallestDecodability)
	if in.Grid == nil {
		return &missing
	}
	e, err := Decodability(in.Grid, pos, in.Bootstrap)
	if err != nil {
		return &missing
	}
	return e
}

// TextMargin is Margin over the text baseline when the run has one, else nil.
func TextMargin(in Inputs, statistic string, probes []*probeset.Selected, pos hook.Position) (*Evidence, error) {
	text := in.Baseline(probeset.TextBaseline)
	if text == nil {
		return nil, nil
	}
	e, err := Margin(statistic, probes, text, pos, in.Bootstrap)
	if errors.Is(err, probeset.ErrNoData) {
		return nil, nil // the text baseline reads none of these tasks there: no margin to report
	}
	return e, err
}

// CVCorrect widens a bootstrap interval of a cross-validated score for the
// variance the bootstrap does not see. Resampling the held-out rows treats the
// out-of-fold scores as fixed, but each comes from a probe trained on the other
// folds, and a different draw of the data would have trained different probes:
// measured on permuted labels, such intervals cover chance in only about 70% of
// runs instead of 95%. Nadeau and Bengio's corrected variance for k-fold
// cross-validation (Machine Learning 52, 2003; Bouckaert and Frank, PAKDD 2004)
// scales the variance by (1/k + 1/(k−1)) / (1/k) = 1 + k/(k−1): the standard
// error grows by √(1 + k/(k−1)), about 1.5 for 4 or 5 folds, which restores the
// coverage on permuted labels (TestDecodabilityNullCoverage).
func CVCorrect(iv stats.Interval, folds int) stats.Interval {
	if folds < 2 {
		folds = 5
	}
	k := float64(folds)
	return iv.Scale(math.Sqrt(1 + k/(k-1)))
}
