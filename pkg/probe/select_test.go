package probe

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/stats"
	"gonum.org/v1/gonum/mat"
)

// On labels with no signal, the best of many candidates chosen on all rows looks
// better than chance; chosen on other folds it does not. Candidates are pure noise
// scores, so every candidate's true AUROC is 0.5.
func TestCrossSelectRemovesSelectionBias(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, layers, reps = 60, 30, 40
	var naive, honest float64
	for r := 0; r < reps; r++ {
		y := make([]int, n)
		foldOf := make([]int, n)
		for i := range y {
			y[i], foldOf[i] = i%2, (i/2)%5
		}
		cands := make([][]float64, layers)
		best := 0.0
		for c := range cands {
			cands[c] = make([]float64, n)
			for i := range cands[c] {
				cands[c][i] = rng.NormFloat64()
			}
			a, _ := stats.AUROC(cands[c], y)
			best = max(best, a)
		}
		s, chosen, err := CrossSelect(cands, y, foldOf)
		if err != nil || len(chosen) != 5 {
			t.Fatal(err, chosen)
		}
		a, _ := stats.AUROC(s, y)
		naive += best / reps
		honest += a / reps
	}
	if naive < 0.6 || honest > 0.53 || honest < 0.47 {
		t.Fatalf("mean AUROC over %d null replicates: best-of-%d %.3f (want > 0.6), cross-selected %.3f (want ≈ 0.5)", reps, layers, naive, honest)
	}
}

// A candidate that carries the signal is chosen for every fold.
func TestCrossSelectFindsSignal(t *testing.T) {
	y := []int{0, 1, 0, 1, 0, 1, 0, 1, 0, 1}
	foldOf := []int{0, 0, 1, 1, 2, 2, 0, 0, 1, 1}
	noise := []float64{3, 1, 2, 5, 4, 1, 2, 2, 9, 0}
	signal := []float64{0, 1, 0, 1, 0, 1, 0, 1, 0, 1}
	s, chosen, err := CrossSelect([][]float64{noise, signal}, y, foldOf)
	if err != nil {
		t.Fatal(err)
	}
	for k, c := range chosen {
		if c != 1 {
			t.Errorf("fold %d chose candidate %d", k, c)
		}
	}
	if a, _ := stats.AUROC(s, y); a != 1 {
		t.Errorf("AUROC %v, want 1", a)
	}
	if _, _, err := CrossSelect([][]float64{{1}}, y, foldOf); err == nil {
		t.Error("short candidate accepted")
	}
}

// TestCompareOneClassFold: a fold holding one class has no AUROC of its own;
// the comparison still stands on the pooled out-of-fold scores.
func TestCompareOneClassFold(t *testing.T) {
	y := []int{1, 0, 1, 0, 0, 0}
	fold := []int{0, 0, 0, 0, 1, 1} // fold 1: negatives only
	spec := []float64{0.9, 0.1, 0.8, 0.2, 0.3, 0.1}
	gen := []float64{0.6, 0.4, 0.5, 0.5, 0.4, 0.3}
	ds := Dataset{Name: "rare", X: mat.NewDense(6, 1, nil), Y: y, Groups: []int{0, 1, 2, 3, 4, 5}}
	tc, err := CVParams{Folds: 2, SkipCI: true}.compare(ds, fold, spec, gen)
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(tc.SpecialistFolds[1]) || !math.IsNaN(tc.GeneralFolds[1]) || tc.SpecialistFolds[0] != 1 {
		t.Errorf("fold AUROCs %v, %v", tc.SpecialistFolds, tc.GeneralFolds)
	}
	if tc.Specialist.Estimate != 1 {
		t.Errorf("pooled specialist AUROC %v, want 1", tc.Specialist.Estimate)
	}
}
