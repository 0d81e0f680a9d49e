package probe_test

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/probe/probetest"
	"gonum.org/v1/gonum/mat"
)

// groupsOf gives rows 3 at a time the same base request.
func groupsOf(n int) []int {
	g := make([]int, n)
	for i := range g {
		g[i] = 100 + i/3
	}
	return g
}

func TestStratifiedGroupKFold(t *testing.T) {
	_, y, _ := probetest.Planted(300, 2, 1, 9)
	groups := groupsOf(300)
	fold, err := probe.StratifiedGroupKFold(y, groups, 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	byGroup := map[int]int{}
	var size, pos [5]float64
	for i, f := range fold {
		if g, ok := byGroup[groups[i]]; ok && g != f {
			t.Fatalf("group %d split across folds %d and %d", groups[i], g, f)
		}
		byGroup[groups[i]] = f
		size[f]++
		pos[f] += float64(y[i])
	}
	var total float64
	for _, v := range y {
		total += float64(v)
	}
	rate := total / 300
	const tol = 0.06 // greedy stratification over groups of 3 rows
	for f := range size {
		if size[f] < 50 || math.Abs(pos[f]/size[f]-rate) > tol {
			t.Errorf("fold %d: %v rows, positive rate %.3f vs %.3f", f, size[f], pos[f]/size[f], rate)
		}
	}
	again, _ := probe.StratifiedGroupKFold(y, groups, 5, 1)
	for i := range fold {
		if fold[i] != again[i] {
			t.Fatal("same seed, different folds")
		}
	}
}

func TestControlLabels(t *testing.T) {
	_, y, _ := probetest.Planted(300, 2, 1, 9)
	groups := groupsOf(300)
	c, err := probe.ControlLabels(y, groups, 3)
	if err != nil {
		t.Fatal(err)
	}
	label := map[int]int{}
	var posY, posC int
	for i := range c {
		if l, ok := label[groups[i]]; ok && l != c[i] {
			t.Fatalf("group %d has two control labels", groups[i])
		}
		label[groups[i]] = c[i]
		posC += c[i]
	}
	// Planted labels vary inside a group; the control keeps the number of
	// majority-positive groups.
	maj := map[int]int{}
	for i := range y {
		maj[groups[i]] += 2*y[i] - 1
	}
	for _, v := range maj {
		if v >= 0 {
			posY += 3
		}
	}
	if posC != posY {
		t.Errorf("control has %d positive rows, want %d (positive groups × 3)", posC, posY)
	}
}

func TestEvaluateSelectivity(t *testing.T) {
	X, y, _ := probetest.Planted(600, 12, 0.5, 4)
	cv := probe.CVParams{Probe: probe.DefaultParams(), Control: true, CGrid: []float64{0.01, 1}}
	cv.Bootstrap.Reps = 200
	ev, err := cv.Evaluate(probe.Dataset{Name: "planted", X: X, Y: y, Groups: groupsOf(600)})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Pooled.AUROC.Estimate < 0.9 {
		t.Errorf("pooled AUROC %v, want > 0.9 on a planted direction", ev.Pooled.AUROC)
	}
	const chanceTol = 0.1 // 200 groups: the control's AUROC sd is about 0.04
	if a := ev.Control.AUROC; math.Abs(a.Estimate-0.5) > chanceTol {
		t.Errorf("control AUROC %v: want chance (held-out requests cannot be memorised)", a)
	}
	if ev.Selectivity < 0.3 {
		t.Errorf("selectivity %.3f, want > 0.3", ev.Selectivity)
	}
	for _, f := range ev.Folds {
		if f.Control == nil || f.Selectivity != f.Task.AUROC.Estimate-f.Control.AUROC.Estimate {
			t.Errorf("fold %d: selectivity %v not task − control", f.Fold, f.Selectivity)
		}
		if !(f.Task.AUROC.Lo <= f.Task.AUROC.Estimate && f.Task.AUROC.Estimate <= f.Task.AUROC.Hi) {
			t.Errorf("fold %d: AUROC %v outside its interval", f.Fold, f.Task.AUROC)
		}
		if f.C != 0.01 && f.C != 1 {
			t.Errorf("fold %d: C = %v not from the grid", f.Fold, f.C)
		}
	}
	if _, err := json.Marshal(ev); err != nil {
		t.Errorf("Evaluation does not marshal: %v", err)
	}
	ev2, _ := cv.Evaluate(probe.Dataset{Name: "planted", X: X, Y: y, Groups: groupsOf(600)})
	if ev2.Pooled != ev.Pooled || *ev2.Control != *ev.Control {
		t.Errorf("same seed, different evaluation: %+v vs %+v", ev2.Pooled, ev.Pooled)
	}
}

// Two tasks read from orthogonal planted directions: each specialist beats the
// general probe pooled over both.
func TestSpecialistVsGeneral(t *testing.T) {
	const n, d = 400, 10
	var tasks []probe.Dataset
	for k := 0; k < 2; k++ {
		X, _, _ := probetest.Planted(n, d, 0, uint64(20+k))
		y := make([]int, n)
		for i := range y {
			if X.At(i, k) > 0 { // task k reads feature k
				y[i] = 1
			}
		}
		tasks = append(tasks, probe.Dataset{Name: string(rune('A' + k)), X: X, Y: y, Groups: groupsOf(n)})
	}
	cv := probe.CVParams{Probe: probe.DefaultParams()}
	cv.Bootstrap.Reps = 200
	res, err := cv.SpecialistVsGeneral(tasks)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range res.Tasks {
		if len(tc.SpecialistFolds) != 5 || len(tc.GeneralFolds) != 5 {
			t.Fatalf("task %s: %d/%d fold scores", tc.Task, len(tc.SpecialistFolds), len(tc.GeneralFolds))
		}
		if tc.Specialist.Estimate < 0.95 || tc.Diff.Lo <= 0 {
			t.Errorf("task %s: specialist %v, general %v, diff %v: want specialist clearly better", tc.Task, tc.Specialist, tc.General, tc.Diff)
		}
		if math.Abs(tc.Diff.Estimate-(tc.Specialist.Estimate-tc.General.Estimate)) > 1e-12 {
			t.Errorf("task %s: diff %v is not specialist − general", tc.Task, tc.Diff.Estimate)
		}
	}
	if _, err := cv.SpecialistVsGeneral([]probe.Dataset{tasks[0], {Name: "narrow", X: mat.NewDense(3, 2, nil), Y: []int{0, 1, 0}}}); err == nil {
		t.Error("tasks of different widths accepted")
	}
}

func TestFitManyMatchesFit(t *testing.T) {
	var dss []probe.Dataset
	for k := 0; k < 3; k++ {
		X, y, _ := probetest.Planted(150, 5, 0.5, uint64(30+k))
		dss = append(dss, probe.Dataset{X: X, Y: y})
	}
	p := probe.DefaultParams()
	many, err := p.FitMany(dss)
	if err != nil {
		t.Fatal(err)
	}
	for k, ds := range dss {
		one, _ := p.Fit(ds.X, ds.Y)
		for j := range one.W {
			if one.W[j] != many[k].W[j] {
				t.Fatalf("dataset %d: FitMany differs from Fit", k)
			}
		}
	}
}

// Kept fold probes reproduce the out-of-fold decision values.
func TestKeepProbes(t *testing.T) {
	X, y, _ := probetest.Planted(200, 4, 0.5, 8)
	cv := probe.CVParams{Probe: probe.DefaultParams(), SkipCI: true, KeepProbes: true}
	ev, err := cv.Evaluate(probe.Dataset{X: X, Y: y})
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Probes) != 5 {
		t.Fatalf("%d probes kept, want 5", len(ev.Probes))
	}
	z := make([][]float64, 5)
	for f, p := range ev.Probes {
		z[f], _ = p.DecisionFunction(X)
	}
	const tol = 1e-12
	for i, f := range ev.FoldOf {
		if math.Abs(z[f][i]-ev.OOF[i]) > tol {
			t.Fatalf("row %d: fold-%d probe gives %v, OOF %v", i, f, z[f][i], ev.OOF[i])
		}
	}
}

// A probe that can only learn the base rate (C tiny, the intercept unpenalised)
// answers the majority class everywhere: its accuracy is the majority share,
// its balanced accuracy exactly 0.5, intervals around both.
func TestBalancedAccuracyOfMajorityGuess(t *testing.T) {
	X, _, _ := probetest.Planted(300, 4, 0, 2)
	y := make([]int, 300)
	for i := range y {
		if i%5 != 0 {
			y[i] = 1 // 80% positive
		}
	}
	cv := probe.CVParams{Probe: probe.Params{C: 1e-6, Standardize: true}}
	cv.Bootstrap.Reps = 100
	ev, err := cv.Evaluate(probe.Dataset{Name: "majority", X: X, Y: y, Groups: groupsOf(300)})
	if err != nil {
		t.Fatal(err)
	}
	acc, bal := ev.Pooled.Accuracy, ev.Pooled.BalancedAccuracy
	if acc.Estimate != 0.8 || bal.Estimate != 0.5 {
		t.Errorf("accuracy %v, balanced accuracy %v: want 0.8 and 0.5", acc, bal)
	}
	if !(bal.Lo <= bal.Estimate && bal.Estimate <= bal.Hi) || bal.Reps == 0 {
		t.Errorf("balanced accuracy interval %+v", bal)
	}
}
