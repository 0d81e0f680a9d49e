package probe

import (
	"fmt"
	"math"

	"github.com/ifprobe/ifprobe/pkg/stats"
)

// CrossSelect picks among candidate scorings of the same rows (out-of-fold
// decision values of probes at several layers, say) without letting the choice
// see the rows it is scored on: for every outer fold k it chooses the candidate
// with the highest AUROC on the rows of the other folds, and takes fold k's
// scores from it. The returned scores are out-of-fold twice over, so their AUROC
// is not inflated by the choice, as choosing the best candidate on all rows
// would be (on labels with no signal, the best of 30 layers reaches ≈ 0.55).
// chosen[k] is the candidate used for fold k. Ties go to the earlier candidate;
// a fold whose complement has a single class takes candidate 0.
func CrossSelect(candidates [][]float64, y []int, foldOf []int) (scores []float64, chosen []int, err error) {
	if len(candidates) == 0 {
		return nil, nil, fmt.Errorf("probe: cross-select: no candidates: %w", ErrInput)
	}
	n := len(y)
	if len(foldOf) != n {
		return nil, nil, fmt.Errorf("probe: cross-select: %d fold ids for %d rows: %w", len(foldOf), n, ErrInput)
	}
	k := 0
	for i, f := range foldOf {
		if f < 0 {
			return nil, nil, fmt.Errorf("probe: cross-select: row %d has fold %d: %w", i, f, ErrInput)
		}
		k = max(k, f+1)
	}
	for c, s := range candidates {
		if len(s) != n {
			return nil, nil, fmt.Errorf("probe: cross-select: candidate %d has %d scores for %d rows: %w", c, len(s), n, ErrInput)
		}
	}
	chosen = CrossSelectBy(len(candidates), foldOf, func(c int, outside []int) float64 {
		return stats.AUROCOn(candidates[c], y, outside)
	})
	scores = make([]float64, n)
	for i, f := range foldOf {
		scores[i] = candidates[chosen[f]][i]
	}
	return scores, chosen, nil
}

// CrossSelectBy is the choice behind CrossSelect with any score: for every outer
// fold k (0 to max(foldOf)), it returns the candidate c in [0, n) with the highest
// score(c, rows outside fold k), the earlier on a tie; NaN scores never win, and a
// fold where every score is NaN takes candidate 0.
func CrossSelectBy(n int, foldOf []int, score func(c int, outside []int) float64) []int {
	k := 0
	for _, f := range foldOf {
		k = max(k, f+1)
	}
	chosen := make([]int, k)
	for fold := range chosen {
		var outside []int
		for i, f := range foldOf {
			if f != fold {
				outside = append(outside, i)
			}
		}
		best := math.Inf(-1)
		for c := 0; c < n; c++ {
			if v := score(c, outside); v > best {
				chosen[fold], best = c, v
			}
		}
	}
	return chosen
}
