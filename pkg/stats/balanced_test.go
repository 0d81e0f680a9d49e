package stats

import (
	"errors"
	"testing"
)

func TestBalancedAccuracy(t *testing.T) {
	y := []int{1, 1, 1, 1, 1, 1, 1, 1, 0, 0}
	for _, c := range []struct {
		pred []int
		acc  float64
		bal  float64
	}{
		{[]int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 0.8, 0.5},   // the majority class: 80% accurate, chance balanced
		{[]int{1, 1, 1, 1, 1, 1, 1, 1, 0, 0}, 1, 1},       // perfect
		{[]int{1, 1, 1, 1, 0, 0, 0, 0, 0, 1}, 0.5, 0.5},   // half of each class
		{[]int{1, 1, 1, 1, 1, 1, 0, 0, 0, 0}, 0.8, 0.875}, // 6/8 and 2/2
	} {
		acc, _ := Accuracy(c.pred, y)
		bal, err := BalancedAccuracy(c.pred, y)
		if err != nil || acc != c.acc || bal != c.bal {
			t.Errorf("%v: accuracy %v balanced %v (%v), want %v and %v", c.pred, acc, bal, err, c.acc, c.bal)
		}
	}
	if _, err := BalancedAccuracy([]int{1, 0}, []int{1, 1}); !errors.Is(err, ErrDegenerate) {
		t.Errorf("one class: %v", err)
	}
	if _, err := BalancedAccuracy([]int{1}, []int{2}); err == nil {
		t.Error("label 2 accepted")
	}
}
