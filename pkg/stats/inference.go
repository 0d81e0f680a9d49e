package stats

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"
)

// zLevel is the standard normal quantile that a two-sided CI of level uses.
func zLevel(level float64) float64 {
	if level <= 0 || level >= 1 {
		level = 0.95
	}
	return NormalQuantile((1 + level) / 2)
}

// SE is the standard error implied by an interval under a normal approximation:
// its width over 2·z at its level. NaN when the interval has no width.
func (iv Interval) SE() float64 {
	w := iv.Hi - iv.Lo
	if !(w > 0) {
		return math.NaN()
	}
	return w / (2 * zLevel(iv.Level))
}

// PAbove is the one-sided p-value of "the estimate is above zero" under the
// normal approximation of the interval: 1 − Φ(estimate / SE). An interval of no
// width (every resample gave the same value) is certain: 0 when it lies above
// zero, 1 otherwise. NaN when the interval is undefined.
func (iv Interval) PAbove() float64 {
	if math.IsNaN(iv.Estimate) || math.IsNaN(iv.Lo) || math.IsNaN(iv.Hi) {
		return math.NaN()
	}
	se := iv.SE()
	if math.IsNaN(se) {
		if iv.Lo > 0 {
			return 0
		}
		return 1
	}
	return 1 - NormalCDF(iv.Estimate/se)
}

// Widen returns the interval at another level (say 1 − 0.05/m for a Bonferroni
// correction over m tests) under the normal approximation, centred on the
// estimate.
func (iv Interval) Widen(level float64) Interval {
	se := iv.SE()
	z := zLevel(level)
	return Interval{Estimate: iv.Estimate, Lo: iv.Estimate - z*se, Hi: iv.Estimate + z*se, Level: level, Reps: iv.Reps}
}

// NormalCDF is Φ, the standard normal distribution function.
func NormalCDF(z float64) float64 { return distuv.UnitNormal.CDF(z) }

// NormalQuantile is Φ⁻¹(p) for p in (0, 1).
func NormalQuantile(p float64) float64 { return distuv.UnitNormal.Quantile(p) }

// Holm applies the Holm–Bonferroni step-down procedure at family-wise error
// rate alpha to p-values and reports which hypotheses are rejected. NaN p-values
// are never rejected and do not count towards the family's size.
func Holm(p []float64, alpha float64) []bool {
	order := ascending(p)
	out := make([]bool, len(p))
	m := len(order)
	for k, i := range order {
		if p[i] > alpha/float64(m-k) {
			break
		}
		out[i] = true
	}
	return out
}

// ascending returns the indices of p's non-NaN values, smallest value first.
func ascending(p []float64) []int {
	var idx []int
	for i, v := range p {
		if !math.IsNaN(v) {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] < p[idx[b]] })
	return idx
}

// Scale returns the interval with its half-widths multiplied by f around the
// estimate (an asymmetric percentile interval keeps its asymmetry).
func (iv Interval) Scale(f float64) Interval {
	out := iv
	out.Lo = iv.Estimate - f*(iv.Estimate-iv.Lo)
	out.Hi = iv.Estimate + f*(iv.Hi-iv.Estimate)
	return out
}

// BenjaminiHochberg applies the Benjamini–Hochberg step-up procedure at false
// discovery rate q to p-values and reports which hypotheses are rejected. Under
// the global null it also controls the chance of any rejection at q. NaN
// p-values are never rejected and do not count towards the family's size.
func BenjaminiHochberg(p []float64, q float64) []bool {
	order := ascending(p)
	m, k := len(order), -1
	for j, i := range order {
		if p[i] <= q*float64(j+1)/float64(m) {
			k = j
		}
	}
	out := make([]bool, len(p))
	for _, i := range order[:k+1] {
		out[i] = true
	}
	return out
}

// CheckBinaryLabels checks that y has n labels, each 0 or 1, and, when both is
// set, that both classes occur. Its errors name the first bad label.
func CheckBinaryLabels(y []int, n int, both bool) error {
	if len(y) != n {
		return fmt.Errorf("%d labels for %d rows", len(y), n)
	}
	var pos int
	for i, v := range y {
		if v != 0 && v != 1 {
			return fmt.Errorf("label %d is %d, want 0 or 1", i, v)
		}
		pos += v
	}
	if both && (pos == 0 || pos == n) {
		return fmt.Errorf("labels have a single class (%d of %d positive)", pos, n)
	}
	return nil
}

// Wilson is the Wilson score interval of a proportion k/n at level (0.95 when
// zero): unlike the normal approximation it stays inside [0, 1] and is honest
// at the small n of hand-labelled samples. n = 0 gives an undefined interval.
func Wilson(k, n int, level float64) Interval {
	if level == 0 {
		level = 0.95
	}
	if n <= 0 {
		nan := math.NaN()
		return Interval{Estimate: nan, Lo: nan, Hi: nan, Level: level}
	}
	z := zLevel(level)
	p, fn := float64(k)/float64(n), float64(n)
	mid := (p + z*z/(2*fn)) / (1 + z*z/fn)
	half := z / (1 + z*z/fn) * math.Sqrt(p*(1-p)/fn+z*z/(4*fn*fn))
	return Interval{Estimate: p, Lo: max(0, mid-half), Hi: min(1, mid+half), Level: level}
}
