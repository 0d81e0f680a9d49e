package calibrate

import (
	"fmt"
	"math"

	"github.com/ifprobe/ifprobe/pkg/tasks"
)

// Curve is a monotone fit of pass rate against a knob's value.
type Curve struct {
	X          []int     `json:"x"`          // grid values, ascending
	Rate       []float64 `json:"rate"`       // fitted pass rate at each value
	Increasing bool      `json:"increasing"` // the direction that fitted better
}

// FitMonotone fits the pass rates pass[i]/n[i] observed at the values x[i]
// (ascending, every n[i] > 0) by weighted isotonic regression, once
// non-decreasing and once non-increasing, and keeps the direction with the
// smaller weighted squared error (non-decreasing on a tie). The knobs' curves
// are monotone in the model's behaviour (a looser word limit is easier to meet)
// but their direction is not assumed.
func FitMonotone(x, n, pass []int) (Curve, error) {
	if len(x) == 0 || len(n) != len(x) || len(pass) != len(x) {
		return Curve{}, fmt.Errorf("calibrate: fit: %d values, %d counts, %d passes", len(x), len(n), len(pass))
	}
	y, w := make([]float64, len(x)), make([]float64, len(x))
	for i := range x {
		if i > 0 && x[i] <= x[i-1] {
			return Curve{}, fmt.Errorf("calibrate: fit: values not ascending at %d (%d after %d)", i, x[i], x[i-1])
		}
		if n[i] <= 0 || pass[i] < 0 || pass[i] > n[i] {
			return Curve{}, fmt.Errorf("calibrate: fit: %d passes of %d at value %d", pass[i], n[i], x[i])
		}
		y[i], w[i] = float64(pass[i])/float64(n[i]), float64(n[i])
	}
	up := isotonic(y, w)
	down := reversed(isotonic(reversed(y), reversed(w)))
	c := Curve{X: append([]int(nil), x...), Rate: up, Increasing: true}
	if sse(down, y, w) < sse(up, y, w)-1e-12 {
		c.Rate, c.Increasing = down, false
	}
	return c, nil
}

// isotonic is the pool-adjacent-violators algorithm: the non-decreasing sequence
// nearest y in weighted squared error.
func isotonic(y, w []float64) []float64 {
	type block struct {
		mean, weight float64
		size         int
	}
	var bs []block
	for i := range y {
		bs = append(bs, block{y[i], w[i], 1})
		for len(bs) > 1 && bs[len(bs)-2].mean > bs[len(bs)-1].mean {
			a, b := bs[len(bs)-2], bs[len(bs)-1]
			wt := a.weight + b.weight
			bs = append(bs[:len(bs)-2], block{(a.mean*a.weight + b.mean*b.weight) / wt, wt, a.size + b.size})
		}
	}
	out := make([]float64, 0, len(y))
	for _, b := range bs {
		for range b.size {
			out = append(out, b.mean)
		}
	}
	return out
}

func reversed(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[len(v)-1-i] = x
	}
	return out
}

func sse(fit, y, w []float64) float64 {
	s := 0.0
	for i := range y {
		s += w[i] * (fit[i] - y[i]) * (fit[i] - y[i])
	}
	return s
}

// At is the curve's rate at v: linear between grid values, the end value
// beyond either end.
func (c Curve) At(v float64) float64 {
	if v <= float64(c.X[0]) {
		return c.Rate[0]
	}
	for i := 1; i < len(c.X); i++ {
		if v <= float64(c.X[i]) {
			a, b := float64(c.X[i-1]), float64(c.X[i])
			return c.Rate[i-1] + (c.Rate[i]-c.Rate[i-1])*(v-a)/(b-a)
		}
	}
	return c.Rate[len(c.Rate)-1]
}

// Mean is the predicted pass rate of items whose value is drawn uniformly
// from the integers of d, as the task's sampler draws it.
func (c Curve) Mean(d tasks.Domain) float64 {
	s := 0.0
	for v := d.Min; v <= d.Max; v++ {
		s += c.At(float64(v))
	}
	return s / float64(d.Max-d.Min+1)
}

// Choose returns the range of window consecutive grid values whose predicted
// pass rate (Mean) is nearest target, and that rate. Ranges equally near go to
// the one whose centre is nearest base's. When no range is strictly nearer
// target than base itself, base is kept and changed is false: the pilot found
// nothing better (a knob that does not move the model's pass rate).
func Choose(c Curve, base tasks.Domain, window int, target float64) (chosen tasks.Domain, rate float64, changed bool) {
	window = max(1, min(window, len(c.X)))
	dist := func(r float64) float64 { return math.Round(math.Abs(r-target)*1e9) / 1e9 }
	centre := func(d tasks.Domain) float64 { return float64(d.Min+d.Max) / 2 }
	chosen, rate = base, c.Mean(base)
	best := dist(rate)
	found := false
	for i := 0; i+window <= len(c.X); i++ {
		d := tasks.Domain{Min: c.X[i], Max: c.X[i+window-1]}
		r := c.Mean(d)
		nearer := math.Abs(centre(d)-centre(base)) < math.Abs(centre(chosen)-centre(base))
		if dist(r) < best || (found && dist(r) == best && nearer) {
			chosen, rate, best, found = d, r, dist(r), true
		}
	}
	return chosen, rate, found
}

// Grid returns the values a pilot tries for an integer parameter: points
// values spread geometrically from a quarter of the default domain's minimum
// (at least 1) to twice its maximum, clipped to the valid range, rounded and
// deduplicated. Geometric, because what a limit means to a model is relative:
// 5 against 10 words matters as much as 50 against 100.
func Grid(spec tasks.ParamSpec, points int) []int {
	lo := max(spec.Min, 1, spec.Sample.Min/4)
	hi := min(spec.Max, 2*spec.Sample.Max)
	if hi <= lo || points < 2 {
		return []int{lo}
	}
	var out []int
	ratio := math.Pow(float64(hi)/float64(lo), 1/float64(points-1))
	for i := range points {
		v := int(math.Round(float64(lo) * math.Pow(ratio, float64(i))))
		v = min(max(v, lo), hi)
		if len(out) == 0 || v > out[len(out)-1] {
			out = append(out, v)
		}
	}
	return out
}
