package stats

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// ErrDegenerate is wrapped by errors about data on which a statistic is undefined:
// a single class, constant columns, fewer rows than a method needs.
var ErrDegenerate = errors.New("stats: degenerate data")

// AUROC returns the area under the ROC curve of scores against binary labels
// (1 is the positive class, 0 the negative): the probability that a random positive
// scores above a random negative, ties counting one half (Mann–Whitney U / n₀n₁).
// It returns an error for unequal lengths, labels other than 0/1, NaN scores, or a
// single class (wrapping ErrDegenerate).
func AUROC(scores []float64, labels []int) (float64, error) {
	if len(scores) != len(labels) {
		return 0, fmt.Errorf("stats: AUROC: %d scores but %d labels", len(scores), len(labels))
	}
	idx := make([]int, len(scores))
	var nPos int
	for i, s := range scores {
		if math.IsNaN(s) {
			return 0, fmt.Errorf("stats: AUROC: score %d is NaN", i)
		}
		switch labels[i] {
		case 1:
			nPos++
		case 0:
		default:
			return 0, fmt.Errorf("stats: AUROC: label %d is %d, want 0 or 1", i, labels[i])
		}
		idx[i] = i
	}
	nNeg := len(scores) - nPos
	if nPos == 0 || nNeg == 0 {
		return 0, fmt.Errorf("stats: AUROC: %d positives and %d negatives: %w", nPos, nNeg, ErrDegenerate)
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	// Sum of the (1-based, tie-averaged) ranks of the positives.
	var rankSum float64
	for i := 0; i < len(idx); {
		j := i
		var pos int
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			pos += labels[idx[j]]
			j++
		}
		avgRank := float64(i+j+1) / 2 // ranks i+1..j averaged
		rankSum += avgRank * float64(pos)
		i = j
	}
	u := rankSum - float64(nPos)*float64(nPos+1)/2
	return u / (float64(nPos) * float64(nNeg)), nil
}

// Accuracy returns the fraction of predictions equal to labels.
func Accuracy(pred, labels []int) (float64, error) {
	if len(pred) != len(labels) {
		return 0, fmt.Errorf("stats: Accuracy: %d predictions but %d labels", len(pred), len(labels))
	}
	if len(pred) == 0 {
		return 0, fmt.Errorf("stats: Accuracy: no examples: %w", ErrDegenerate)
	}
	var ok int
	for i := range pred {
		if pred[i] == labels[i] {
			ok++
		}
	}
	return float64(ok) / float64(len(pred)), nil
}

// BalancedAccuracy returns the mean of the accuracy on each class (label 1 and
// label 0): 0.5 for any constant prediction, whatever the class balance. It is
// undefined (ErrDegenerate) when a class is absent.
func BalancedAccuracy(pred, labels []int) (float64, error) {
	if len(pred) != len(labels) {
		return 0, fmt.Errorf("stats: BalancedAccuracy: %d predictions but %d labels", len(pred), len(labels))
	}
	var hit, n [2]int
	for i, y := range labels {
		if y != 0 && y != 1 {
			return 0, fmt.Errorf("stats: BalancedAccuracy: label %d at %d, want 0 or 1", y, i)
		}
		n[y]++
		if pred[i] == y {
			hit[y]++
		}
	}
	if n[0] == 0 || n[1] == 0 {
		return 0, fmt.Errorf("stats: BalancedAccuracy: %d positives and %d negatives: %w", n[1], n[0], ErrDegenerate)
	}
	return (float64(hit[0])/float64(n[0]) + float64(hit[1])/float64(n[1])) / 2, nil
}
