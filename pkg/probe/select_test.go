package probe

import (
	"math/rand/v2"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/stats"
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
