package probe

import (
	"errors"
	"fmt"
	"math"

	"github.com/ifprobe/ifprobe/internal/par"
	"github.com/ifprobe/ifprobe/pkg/stats"
	"gonum.org/v1/gonum/mat"
)

// TaskComparison compares, on one task, a specialist probe (trained on that task)
// with a general probe (trained on all tasks pooled), scored on the same held-out
// folds of the task.
type TaskComparison struct {
	Task string `json:"task"`
	// SpecialistFolds[f] and GeneralFolds[f] are the AUROCs on fold f of this
	// task: paired, for a per-fold comparison; NaN for a fold holding one class.
	SpecialistFolds []float64 `json:"specialist_folds"`
	GeneralFolds    []float64 `json:"general_folds"`
	// Pooled out-of-fold AUROCs with cluster-bootstrap intervals, and the
	// interval of their difference (specialist − general) from a paired bootstrap
	// over the task's base requests.
	Specialist stats.Interval `json:"specialist"`
	General    stats.Interval `json:"general"`
	Diff       stats.Interval `json:"diff"`
	// Out-of-fold decision values of both probes on this task's rows.
	SpecialistOOF []float64 `json:"specialist_oof"`
	GeneralOOF    []float64 `json:"general_oof"`
	// FoldOf is the outer fold of every row (StratifiedGroupKFold with the
	// probe's seed: the same at every layer for the same rows).
	FoldOf []int `json:"fold_of"`
}

// SpecialistGeneral is the result of SpecialistVsGeneral.
type SpecialistGeneral struct {
	Version string           `json:"version"`
	Params  CVParams         `json:"params"`
	Tasks   []TaskComparison `json:"tasks"`
}

// SpecialistGeneralVersion stamps SpecialistGeneral values written as JSON.
const SpecialistGeneralVersion = "ifprobe.probe.specialist_general/v1"

// SpecialistVsGeneral trains, for every outer fold, one probe per task (the
// specialists) and one probe on the union of all tasks' training rows (the general
// probe), and scores both on each task's held-out rows of that fold. Tasks must
// share the feature dimension (same hook point and position). Folds are made per
// task with StratifiedGroupKFold(seed = Probe.Seed); group ids are taken per task,
// so equal ids in different tasks are different requests. C is Probe.C (CGrid and
// Control are not used here).
func (cv CVParams) SpecialistVsGeneral(tasks []Dataset) (res *SpecialistGeneral, err error) {
	defer recoverTo(&err)
	cv, err = cv.withDefaults()
	if err != nil {
		return nil, err
	}
	if len(tasks) < 2 {
		return nil, fmt.Errorf("probe: SpecialistVsGeneral: %d tasks, want at least 2: %w", len(tasks), ErrInput)
	}
	d := -1
	folds := make([][]int, len(tasks))
	var total int
	for t, ds := range tasks {
		if ds.X == nil {
			return nil, fmt.Errorf("probe: task %q: no activations: %w", ds.Name, ErrInput)
		}
		n, dt := ds.X.Dims()
		if d >= 0 && dt != d {
			return nil, fmt.Errorf("probe: task %q has %d features, task %q has %d: %w", ds.Name, dt, tasks[0].Name, d, ErrInput)
		}
		d = dt
		if err := checkLabels(ds.Y, n, true); err != nil {
			return nil, fmt.Errorf("task %q: %w", ds.Name, err)
		}
		if folds[t], err = StratifiedGroupKFold(ds.Y, ds.Groups, cv.Folds, cv.Probe.Seed); err != nil {
			return nil, fmt.Errorf("task %q: %w", ds.Name, err)
		}
		total += n
	}
	// Specialists: one batched solve per task, in parallel.
	spec := make([][]float64, len(tasks))
	err = par.For(len(tasks), func(t int) error {
		var specs []fitSpec
		for f := 0; f < cv.Folds; f++ {
			specs = append(specs, fitSpec{train: rowsWhere(folds[t], func(k int) bool { return k != f }), y: tasks[t].Y})
		}
		probes, err := cv.Probe.fitShared(tasks[t].X, specs)
		if _, ok := err.(*ConvergenceError); err != nil && !ok {
			return fmt.Errorf("task %q: %w", tasks[t].Name, err)
		}
		spec[t] = make([]float64, len(tasks[t].Y))
		for f, p := range probes {
			scoreRows(p, tasks[t].X, rowsWhere(folds[t], func(k int) bool { return k == f }), spec[t])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// General: the pooled design, one fit per fold.
	pooled := mat.NewDense(total, d, nil)
	var ys, foldAll []int
	off := 0
	for t, ds := range tasks {
		n, _ := ds.X.Dims()
		pooled.Slice(off, off+n, 0, d).(*mat.Dense).Copy(ds.X)
		ys = append(ys, ds.Y...)
		foldAll = append(foldAll, folds[t]...)
		off += n
	}
	var specs []fitSpec
	for f := 0; f < cv.Folds; f++ {
		specs = append(specs, fitSpec{train: rowsWhere(foldAll, func(k int) bool { return k != f }), y: ys})
	}
	gprobes, err := cv.Probe.fitShared(pooled, specs)
	if _, ok := err.(*ConvergenceError); err != nil && !ok {
		return nil, fmt.Errorf("general probe: %w", err)
	}
	res = &SpecialistGeneral{Version: SpecialistGeneralVersion, Params: cv}
	for t, ds := range tasks {
		n, _ := ds.X.Dims()
		gen := make([]float64, n)
		for f, p := range gprobes {
			scoreRows(p, ds.X, rowsWhere(folds[t], func(k int) bool { return k == f }), gen)
		}
		tc, err := cv.compare(ds, folds[t], spec[t], gen)
		if err != nil {
			return nil, fmt.Errorf("probe: task %q: %w", ds.Name, err)
		}
		res.Tasks = append(res.Tasks, tc)
	}
	return res, nil
}

// compare fills a TaskComparison from the two sets of out-of-fold scores.
func (cv CVParams) compare(ds Dataset, fold []int, spec, gen []float64) (TaskComparison, error) {
	tc := TaskComparison{Task: ds.Name, SpecialistOOF: spec, GeneralOOF: gen, FoldOf: fold}
	for f := 0; f < cv.Folds; f++ {
		var s, g []float64
		var y []int
		for i, k := range fold {
			if k == f {
				s, g, y = append(s, spec[i]), append(g, gen[i]), append(y, ds.Y[i])
			}
		}
		// A fold can hold one class only (a rare outcome in a small study): its
		// AUROC is undefined, and the pooled out-of-fold AUROCs below still are.
		a, err := stats.AUROC(s, y)
		if errors.Is(err, stats.ErrDegenerate) {
			a = math.NaN()
		} else if err != nil {
			return tc, fmt.Errorf("fold %d: %w", f, err)
		}
		b, err := stats.AUROC(g, y)
		if err != nil {
			b = math.NaN()
		}
		tc.SpecialistFolds, tc.GeneralFolds = append(tc.SpecialistFolds, a), append(tc.GeneralFolds, b)
	}
	members, _, err := groupMembers(ds.Groups, len(ds.Y))
	if err != nil {
		return tc, err
	}
	sa := stats.GroupedStatistic(members, stats.AUROCStatistic(spec, ds.Y))
	sb := stats.GroupedStatistic(members, stats.AUROCStatistic(gen, ds.Y))
	if cv.SkipCI {
		all := make([]int, len(members))
		for i := range all {
			all[i] = i
		}
		a, b := sa(all), sb(all)
		tc.Specialist = stats.Interval{Estimate: a, Lo: a, Hi: a}
		tc.General = stats.Interval{Estimate: b, Lo: b, Hi: b}
		tc.Diff = stats.Interval{Estimate: a - b, Lo: a - b, Hi: a - b}
		return tc, nil
	}
	if tc.Specialist, tc.Diff, err = stats.PairedBootstrap(len(members), sa, sb, cv.Bootstrap); err != nil {
		return tc, err
	}
	if tc.General, err = stats.Bootstrap(len(members), sb, cv.Bootstrap); err != nil {
		return tc, err
	}
	return tc, nil
}
