package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// Interval is a point estimate with a confidence interval.
type Interval struct {
	Estimate float64 `json:"estimate"` // the statistic on the full sample
	Lo       float64 `json:"lo"`       // lower percentile bound
	Hi       float64 `json:"hi"`       // upper percentile bound
	Level    float64 `json:"level"`    // confidence level, e.g. 0.95
	Reps     int     `json:"reps"`     // bootstrap resamples that gave a finite value
}

// String formats the interval as "0.8123 [0.7900, 0.8350]".
func (iv Interval) String() string {
	return fmt.Sprintf("%.4f [%.4f, %.4f]", iv.Estimate, iv.Lo, iv.Hi)
}

// Format writes the interval with prec decimals: "0.61 [0.55, 0.67]"; "0.61
// [no CI]" when it has no bounds, and "undefined" when the statistic itself is
// (no data could give it).
func (iv Interval) Format(prec int) string {
	switch {
	case math.IsNaN(iv.Estimate):
		return "undefined"
	case math.IsNaN(iv.Lo) || math.IsNaN(iv.Hi):
		return fmt.Sprintf("%.*f [no CI]", prec, iv.Estimate)
	}
	return fmt.Sprintf("%.*f [%.*f, %.*f]", prec, iv.Estimate, prec, iv.Lo, prec, iv.Hi)
}

// BootstrapParams configures a bootstrap. The zero value means 1000 resamples, a 95%
// interval and seed 0.
type BootstrapParams struct {
	Reps  int     `json:"reps"`  // number of resamples; 0 means 1000
	Level float64 `json:"level"` // confidence level in (0,1); 0 means 0.95
	Seed  uint64  `json:"seed"`  // seed of the PCG stream that draws the resamples
}

func (p BootstrapParams) withDefaults() (BootstrapParams, error) {
	if p.Reps == 0 {
		p.Reps = 1000
	}
	if p.Level == 0 {
		p.Level = 0.95
	}
	if p.Reps < 0 || !(p.Level > 0 && p.Level < 1) {
		return p, fmt.Errorf("stats: bootstrap: reps %d and level %v: want reps > 0 and 0 < level < 1", p.Reps, p.Level)
	}
	return p, nil
}

// Statistic computes a statistic on a resample given as indices into n units (an
// index may repeat). It returns NaN when the resample is degenerate (for example a
// single class for AUROC); such resamples are dropped.
type Statistic func(idx []int) float64

// Bootstrap draws p.Reps resamples of n units with replacement, evaluates stat on
// each, and returns the percentile interval around stat on the full sample.
func Bootstrap(n int, stat Statistic, p BootstrapParams) (Interval, error) {
	iv, _, err := PairedBootstrap(n, stat, nil, p)
	return iv, err
}

// PairedBootstrap evaluates two statistics on the same resamples and returns the
// interval of a (stat a) and the interval of the difference a - b. With b nil the
// difference interval is zero. Pairing removes the variance the two statistics share,
// e.g. two probes scored on the same examples.
func PairedBootstrap(n int, a, b Statistic, p BootstrapParams) (ia, diff Interval, err error) {
	p, err = p.withDefaults()
	if err != nil {
		return ia, diff, err
	}
	if n <= 0 {
		return ia, diff, fmt.Errorf("stats: bootstrap: %d units: %w", n, ErrDegenerate)
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	ia.Estimate, ia.Level = a(all), p.Level
	if b != nil {
		diff.Estimate = ia.Estimate - b(all)
	}
	diff.Level = p.Level
	rng := rand.New(rand.NewPCG(p.Seed, 0x9e3779b97f4a7c15))
	va := make([]float64, 0, p.Reps)
	vd := make([]float64, 0, p.Reps)
	idx := make([]int, n)
	for r := 0; r < p.Reps; r++ {
		for i := range idx {
			idx[i] = rng.IntN(n)
		}
		x := a(idx)
		if math.IsNaN(x) {
			continue
		}
		if b != nil {
			y := b(idx)
			if math.IsNaN(y) {
				continue
			}
			vd = append(vd, x-y)
		}
		va = append(va, x)
	}
	if len(va) == 0 {
		return ia, diff, fmt.Errorf("stats: bootstrap: all %d resamples degenerate: %w", p.Reps, ErrDegenerate)
	}
	ia.Lo, ia.Hi, ia.Reps = percentiles(va, p.Level)
	if b != nil {
		diff.Lo, diff.Hi, diff.Reps = percentiles(vd, p.Level)
	}
	return ia, diff, nil
}

// percentiles returns the (1-level)/2 and (1+level)/2 quantiles of v (sorted in
// place) by linear interpolation, as numpy.percentile does by default.
func percentiles(v []float64, level float64) (lo, hi float64, n int) {
	sort.Float64s(v)
	return Quantile(v, (1-level)/2), Quantile(v, (1+level)/2), len(v)
}

// Quantile returns the q-quantile of sorted values by linear interpolation between
// order statistics (numpy's default "linear" method). sorted must be ascending and
// non-empty.
func Quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 1 {
		return sorted[0]
	}
	h := q * float64(len(sorted)-1)
	i := int(math.Floor(h))
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (h-float64(i))*(sorted[i+1]-sorted[i])
}

// AUROCStatistic returns a Statistic computing the AUROC of scores against labels on
// a resample of examples (NaN when a resample has a single class).
func AUROCStatistic(scores []float64, labels []int) Statistic {
	s := make([]float64, len(scores))
	l := make([]int, len(labels))
	return func(idx []int) float64 {
		s, l = s[:0], l[:0]
		for _, i := range idx {
			s, l = append(s, scores[i]), append(l, labels[i])
		}
		v, err := AUROC(s, l)
		if err != nil {
			return math.NaN()
		}
		return v
	}
}

// GroupedStatistic lifts a statistic over examples to one over groups: a resample of
// group indices becomes the concatenated examples of those groups. members[g] lists
// the examples of group g. Use it for a cluster bootstrap, where examples of one
// base request are not independent.
func GroupedStatistic(members [][]int, stat Statistic) Statistic {
	var buf []int
	return func(idx []int) float64 {
		buf = buf[:0]
		for _, g := range idx {
			buf = append(buf, members[g]...)
		}
		return stat(buf)
	}
}
