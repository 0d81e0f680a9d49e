package probe

import (
	"errors"
	"fmt"
	"math"

	"github.com/ifprobe/ifprobe/internal/par"
	"github.com/ifprobe/ifprobe/pkg/stats"
	"gonum.org/v1/gonum/mat"
)

// Dataset is one probing problem: activations at one hook point and position for
// one task, with labels and the base request (group) of every row.
type Dataset struct {
	Name   string     `json:"name"`
	X      *mat.Dense `json:"-"` // [n, d]
	Y      []int      `json:"-"` // 0/1
	Groups []int      `json:"-"` // base-request ids; nil: one group per row
}

// CVParams configure a cross-validated evaluation. Zero fields take the
// documented defaults.
type CVParams struct {
	Probe Params `json:"probe"`
	// Folds is the number of outer folds (StratifiedGroupKFold). 0 means 5.
	Folds int `json:"folds"`
	// CGrid, when non-empty, chooses C in every outer fold by an inner grouped CV
	// on that fold's training rows (highest mean inner AUROC; the smaller C on a
	// tie). Empty means C = Probe.C.
	CGrid []float64 `json:"c_grid,omitempty"`
	// InnerFolds is the number of inner folds for CGrid. 0 means 3.
	InnerFolds int `json:"inner_folds"`
	// Control also evaluates a control task (ControlLabels, seeded by
	// Probe.Seed) on the same folds with the same C, and reports selectivity.
	Control bool `json:"control"`
	// Bootstrap configures the 95% intervals (resampling base requests);
	// its Seed is ignored in favour of Probe.Seed. SkipCI leaves them out (the
	// intervals then equal their estimate).
	Bootstrap stats.BootstrapParams `json:"bootstrap"`
	SkipCI    bool                  `json:"skip_ci"`
	// KeepProbes stores the task probe of every outer fold in Evaluation.Probes
	// (for transfer or erasure analyses that reuse held-out-safe probes).
	KeepProbes bool `json:"keep_probes"`
}

func (cv CVParams) withDefaults() (CVParams, error) {
	var err error
	if cv.Probe, err = cv.Probe.withDefaults(); err != nil {
		return cv, err
	}
	if cv.Folds == 0 {
		cv.Folds = 5
	}
	if cv.InnerFolds == 0 {
		cv.InnerFolds = 3
	}
	for _, c := range cv.CGrid {
		if !(c > 0) || math.IsInf(c, 0) {
			return cv, fmt.Errorf("probe: C grid value %v: want C > 0", c)
		}
	}
	cv.Bootstrap.Seed = cv.Probe.Seed
	return cv, nil
}

// Score is a probe's accuracy, balanced accuracy and AUROC with bootstrap
// intervals. Predictions are decision value > 0. Balanced accuracy is the mean
// of the two classes' accuracies: unlike accuracy, it is 0.5 for a probe that
// always answers the majority class.
type Score struct {
	Accuracy         stats.Interval `json:"accuracy"`
	BalancedAccuracy stats.Interval `json:"balanced_accuracy"`
	AUROC            stats.Interval `json:"auroc"`
}

// FoldResult is the evaluation of one outer fold.
type FoldResult struct {
	Fold        int     `json:"fold"`
	NTrain      int     `json:"n_train"`
	NTest       int     `json:"n_test"`
	C           float64 `json:"c"`
	Task        Score   `json:"task"`
	Control     *Score  `json:"control,omitempty"`
	Selectivity float64 `json:"selectivity"` // task AUROC − control AUROC (0 without control)
	Iter        int     `json:"n_iter"`
	Converged   bool    `json:"converged"`
}

// EvaluationVersion stamps Evaluation values written as JSON.
const EvaluationVersion = "ifprobe.probe.evaluation/v1"

// Evaluation is the cross-validated evaluation of a probe on one Dataset: per
// fold and pooled over the out-of-fold predictions, with the control task and the
// selectivity next to every score.
type Evaluation struct {
	Version      string       `json:"version"`
	Name         string       `json:"name"`
	Params       CVParams     `json:"params"`
	N            int          `json:"n"`
	D            int          `json:"d"`
	Folds        []FoldResult `json:"folds"`
	Pooled       Score        `json:"pooled"`
	Control      *Score       `json:"control,omitempty"`
	Selectivity  float64      `json:"selectivity"`
	FoldOf       []int        `json:"fold_of"` // outer fold of every row
	OOF          []float64    `json:"oof"`     // out-of-fold decision values
	ControlOOF   []float64    `json:"control_oof,omitempty"`
	NotConverged int          `json:"not_converged"`    // fits stopped by MaxIter
	Probes       []*Probe     `json:"probes,omitempty"` // per outer fold, with KeepProbes
}

// Evaluate cross-validates a probe on ds. See EvaluateMany.
func (cv CVParams) Evaluate(ds Dataset) (*Evaluation, error) {
	ev, err := cv.EvaluateMany([]Dataset{ds})
	if err != nil {
		return nil, err
	}
	return ev[0], nil
}

// EvaluateMany cross-validates one probe per dataset: the hot path of ifprobe (all
// tasks × layers × positions). Datasets run in parallel on GOMAXPROCS workers; within
// a dataset every fit that shares its activations (outer folds × inner folds × C
// grid, then task and control per fold) is one batched solve. Non-converged fits
// are counted in Evaluation.NotConverged, not returned as errors.
func (cv CVParams) EvaluateMany(dss []Dataset) (evs []*Evaluation, err error) {
	defer recoverTo(&err)
	cv, err = cv.withDefaults()
	if err != nil {
		return nil, err
	}
	evs = make([]*Evaluation, len(dss))
	err = par.For(len(dss), func(i int) error {
		ev, err := cv.evaluate(dss[i])
		if err != nil {
			return fmt.Errorf("probe: dataset %d %q: %w", i, dss[i].Name, err)
		}
		evs[i] = ev
		return nil
	})
	if err != nil {
		return nil, err
	}
	return evs, nil
}

func (cv CVParams) evaluate(ds Dataset) (*Evaluation, error) {
	if ds.X == nil {
		return nil, fmt.Errorf("probe: no activations: %w", ErrInput)
	}
	n, d := ds.X.Dims()
	if err := checkLabels(ds.Y, n, true); err != nil {
		return nil, err
	}
	members, groupOf, err := groupMembers(ds.Groups, n)
	if err != nil {
		return nil, err
	}
	fold, err := StratifiedGroupKFold(ds.Y, ds.Groups, cv.Folds, cv.Probe.Seed)
	if err != nil {
		return nil, err
	}
	cs, err := cv.chooseC(ds, fold)
	if err != nil {
		return nil, err
	}
	var ctl []int
	if cv.Control {
		if ctl, err = ControlLabels(ds.Y, ds.Groups, cv.Probe.Seed); err != nil {
			return nil, err
		}
	}
	var specs []fitSpec
	for f := 0; f < cv.Folds; f++ {
		train := rowsWhere(fold, func(k int) bool { return k != f })
		specs = append(specs, fitSpec{train: train, y: ds.Y, c: cs[f]})
		if cv.Control {
			specs = append(specs, fitSpec{train: train, y: ctl, c: cs[f]})
		}
	}
	probes, err := cv.Probe.fitShared(ds.X, specs)
	if _, ok := err.(*ConvergenceError); err != nil && !ok {
		return nil, err
	}
	ev := &Evaluation{Version: EvaluationVersion, Name: ds.Name, Params: cv, N: n, D: d, FoldOf: fold, OOF: make([]float64, n)}
	if cv.Control {
		ev.ControlOOF = make([]float64, n)
	}
	per := 1
	if cv.Control {
		per = 2
	}
	for f := 0; f < cv.Folds; f++ {
		test := rowsWhere(fold, func(k int) bool { return k == f })
		fr := FoldResult{Fold: f, C: cs[f], Iter: probes[f*per].NIter, Converged: probes[f*per].Converged}
		for _, in := range test {
			if in {
				fr.NTest++
			}
		}
		fr.NTrain = n - fr.NTest
		if err := scoreRows(probes[f*per], ds.X, test, ev.OOF); err != nil {
			return nil, err
		}
		if cv.Control {
			if err := scoreRows(probes[f*per+1], ds.X, test, ev.ControlOOF); err != nil {
				return nil, err
			}
		}
		for _, p := range probes[f*per : (f+1)*per] {
			if !p.Converged {
				ev.NotConverged++
			}
		}
		if cv.KeepProbes {
			ev.Probes = append(ev.Probes, probes[f*per])
		}
		idx := indices(test)
		// A held-out fold of one class has no AUROC: NaN for that fold (the pooled
		// out-of-fold score below is still defined), not a failed evaluation.
		if fr.Task, err = cv.score(ev.OOF, ds.Y, idx, members, groupOf); errors.Is(err, stats.ErrDegenerate) {
			fr.Task = nanScore()
		} else if err != nil {
			return nil, fmt.Errorf("fold %d: %w", f, err)
		}
		if cv.Control {
			s, err := cv.score(ev.ControlOOF, ctl, idx, members, groupOf)
			if errors.Is(err, stats.ErrDegenerate) {
				s = nanScore()
			} else if err != nil {
				return nil, fmt.Errorf("fold %d control: %w", f, err)
			}
			fr.Control = &s
			fr.Selectivity = fr.Task.AUROC.Estimate - s.AUROC.Estimate
		}
		ev.Folds = append(ev.Folds, fr)
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	if ev.Pooled, err = cv.score(ev.OOF, ds.Y, all, members, groupOf); err != nil {
		return nil, err
	}
	if cv.Control {
		s, err := cv.score(ev.ControlOOF, ctl, all, members, groupOf)
		if err != nil {
			return nil, fmt.Errorf("control: %w", err)
		}
		ev.Control = &s
		ev.Selectivity = ev.Pooled.AUROC.Estimate - s.AUROC.Estimate
	}
	return ev, nil
}

func nanScore() Score {
	nan := math.NaN()
	iv := stats.Interval{Estimate: nan, Lo: nan, Hi: nan}
	return Score{Accuracy: iv, BalancedAccuracy: iv, AUROC: iv}
}

// chooseC returns the C of every outer fold: Probe.C, or the inner-CV choice.
func (cv CVParams) chooseC(ds Dataset, fold []int) ([]float64, error) {
	cs := make([]float64, cv.Folds)
	if len(cv.CGrid) == 0 {
		for f := range cs {
			cs[f] = cv.Probe.C
		}
		return cs, nil
	}
	type key struct{ f, i, c int }
	var specs []fitSpec
	var keys []key
	var tests [][]bool
	for f := 0; f < cv.Folds; f++ {
		var sub []int // rows of the outer training set
		for i, k := range fold {
			if k != f {
				sub = append(sub, i)
			}
		}
		ys := make([]int, len(sub))
		var gs []int
		if ds.Groups != nil {
			gs = make([]int, len(sub))
		}
		for k, i := range sub {
			ys[k] = ds.Y[i]
			if gs != nil {
				gs[k] = ds.Groups[i]
			}
		}
		inner, err := StratifiedGroupKFold(ys, gs, cv.InnerFolds, cv.Probe.Seed+uint64(f)+1)
		if err != nil {
			return nil, fmt.Errorf("inner CV of fold %d: %w", f, err)
		}
		for i := 0; i < cv.InnerFolds; i++ {
			train := make([]bool, len(ds.Y))
			test := make([]bool, len(ds.Y))
			for k, r := range sub {
				train[r] = inner[k] != i
				test[r] = inner[k] == i
			}
			for c := range cv.CGrid {
				specs = append(specs, fitSpec{train: train, y: ds.Y, c: cv.CGrid[c]})
				keys = append(keys, key{f, i, c})
				tests = append(tests, test)
			}
		}
	}
	probes, err := cv.Probe.fitShared(ds.X, specs)
	if _, ok := err.(*ConvergenceError); err != nil && !ok {
		return nil, err
	}
	mean := make([][]float64, cv.Folds)
	for f := range mean {
		mean[f] = make([]float64, len(cv.CGrid))
	}
	z := make([]float64, len(ds.Y))
	for s, k := range keys {
		if err := scoreRows(probes[s], ds.X, tests[s], z); err != nil {
			return nil, err
		}
		var sc []float64
		var ys []int
		for r, in := range tests[s] {
			if in {
				sc, ys = append(sc, z[r]), append(ys, ds.Y[r])
			}
		}
		auc, err := stats.AUROC(sc, ys)
		if err != nil {
			auc = 0.5 // an inner fold with one class says nothing about C
		}
		mean[k.f][k.c] += auc / float64(cv.InnerFolds)
	}
	for f := range cs {
		best := -1
		for c := range cv.CGrid {
			if best < 0 || mean[f][c] > mean[f][best]+1e-12 ||
				(math.Abs(mean[f][c]-mean[f][best]) <= 1e-12 && cv.CGrid[c] < cv.CGrid[best]) {
				best = c
			}
		}
		cs[f] = cv.CGrid[best]
	}
	return cs, nil
}

// score computes accuracy and AUROC of decision values z on rows idx, with
// bootstrap intervals over the groups those rows belong to.
func (cv CVParams) score(z []float64, y []int, idx []int, members [][]int, groupOf []int) (Score, error) {
	sc := make([]float64, len(idx))
	ys := make([]int, len(idx))
	pred := make([]int, len(idx))
	for k, i := range idx {
		sc[k], ys[k] = z[i], y[i]
		if z[i] > 0 {
			pred[k] = 1
		}
	}
	auc, err := stats.AUROC(sc, ys)
	if err != nil {
		return Score{}, err
	}
	acc, _ := stats.Accuracy(pred, ys)
	bal, _ := stats.BalancedAccuracy(pred, ys) // defined: AUROC was
	s := Score{AUROC: stats.Interval{Estimate: auc, Lo: auc, Hi: auc}, Accuracy: stats.Interval{Estimate: acc, Lo: acc, Hi: acc},
		BalancedAccuracy: stats.Interval{Estimate: bal, Lo: bal, Hi: bal}}
	if cv.SkipCI {
		return s, nil
	}
	// Cluster bootstrap: resample the groups present in idx.
	pos := map[int]int{} // row -> position in idx
	for k, i := range idx {
		pos[i] = k
	}
	var sub [][]int
	seen := map[int]bool{}
	for _, i := range idx {
		g := groupOf[i]
		if seen[g] {
			continue
		}
		seen[g] = true
		var rows []int
		for _, r := range members[g] {
			if k, ok := pos[r]; ok {
				rows = append(rows, k)
			}
		}
		sub = append(sub, rows)
	}
	aucStat := stats.GroupedStatistic(sub, stats.AUROCStatistic(sc, ys))
	if s.AUROC, err = stats.Bootstrap(len(sub), aucStat, cv.Bootstrap); err != nil {
		return Score{}, err
	}
	accStat := stats.GroupedStatistic(sub, func(rows []int) float64 {
		var ok int
		for _, k := range rows {
			if pred[k] == ys[k] {
				ok++
			}
		}
		return float64(ok) / float64(len(rows))
	})
	if s.Accuracy, err = stats.Bootstrap(len(sub), accStat, cv.Bootstrap); err != nil {
		return Score{}, err
	}
	// A resample with one class has no balanced accuracy (NaN, left out of the
	// percentiles as for AUROC).
	balStat := stats.GroupedStatistic(sub, func(rows []int) float64 {
		var hit, n [2]int
		for _, k := range rows {
			n[ys[k]]++
			if pred[k] == ys[k] {
				hit[ys[k]]++
			}
		}
		if n[0] == 0 || n[1] == 0 {
			return math.NaN()
		}
		return (float64(hit[0])/float64(n[0]) + float64(hit[1])/float64(n[1])) / 2
	})
	if s.BalancedAccuracy, err = stats.Bootstrap(len(sub), balStat, cv.Bootstrap); err != nil {
		return Score{}, err
	}
	return s, nil
}

// scoreRows writes the probe's decision value of every selected row of X into z.
func scoreRows(p *Probe, X *mat.Dense, rows []bool, z []float64) error {
	_, d := X.Dims()
	coef, b := p.Coef(), p.Intercept()
	for i, in := range rows {
		if in {
			z[i] = dot(X.RawRowView(i)[:d], coef) + b
		}
	}
	return nil
}

func rowsWhere(fold []int, keep func(int) bool) []bool {
	out := make([]bool, len(fold))
	for i, f := range fold {
		out[i] = keep(f)
	}
	return out
}

func indices(rows []bool) []int {
	var out []int
	for i, in := range rows {
		if in {
			out = append(out, i)
		}
	}
	return out
}
