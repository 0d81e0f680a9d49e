package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// Members lists the rows of each group: members[g] holds the rows whose group is
// the g-th distinct id in order of first appearance. It is the input of
// GroupedStatistic for a cluster bootstrap over base requests.
func Members(groups []int) [][]int {
	slot := map[int]int{}
	var members [][]int
	for i, g := range groups {
		s, ok := slot[g]
		if !ok {
			s = len(members)
			slot[g] = s
			members = append(members, nil)
		}
		members[s] = append(members[s], i)
	}
	return members
}

// AUROCOn returns the AUROC of scores against labels on the given rows, NaN when
// the rows hold a single class.
func AUROCOn(scores []float64, labels []int, rows []int) float64 {
	s := make([]float64, len(rows))
	l := make([]int, len(rows))
	for i, r := range rows {
		s[i], l[i] = scores[r], labels[r]
	}
	v, err := AUROC(s, l)
	if err != nil {
		return math.NaN()
	}
	return v
}

// Mean returns the mean of the finite values of v (NaN if none).
func Mean(v []float64) float64 {
	sum, n := 0.0, 0
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			sum += x
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// MultiBootstrap is a cluster bootstrap over several independent samples (for
// example the tasks of one kind): each resample draws, for every sample s, as many
// groups of members[s] with replacement as it has, and stat receives the resampled
// rows of every sample. It returns stat on the full data with the percentile
// interval; resamples where stat is NaN are dropped.
func MultiBootstrap(members [][][]int, stat func(rows [][]int) float64, bp BootstrapParams) (Interval, error) {
	if bp.Reps == 0 {
		bp.Reps = 1000
	}
	if bp.Level == 0 {
		bp.Level = 0.95
	}
	full := make([][]int, len(members))
	for s, mem := range members {
		for _, m := range mem {
			full[s] = append(full[s], m...)
		}
	}
	iv := Interval{Estimate: stat(full), Level: bp.Level}
	rng := rand.New(rand.NewPCG(bp.Seed, 0x6d756c7469))
	rows := make([][]int, len(members))
	var vals []float64
	for r := 0; r < bp.Reps; r++ {
		for s, mem := range members {
			rows[s] = rows[s][:0]
			for range mem {
				rows[s] = append(rows[s], mem[rng.IntN(len(mem))]...)
			}
		}
		if v := stat(rows); !math.IsNaN(v) {
			vals = append(vals, v)
		}
	}
	if len(vals) == 0 {
		return iv, fmt.Errorf("study: bootstrap: all %d resamples degenerate: %w", bp.Reps, ErrDegenerate)
	}
	sort.Float64s(vals)
	iv.Lo = Quantile(vals, (1-bp.Level)/2)
	iv.Hi = Quantile(vals, (1+bp.Level)/2)
	iv.Reps = len(vals)
	return iv, nil
}

// Mode is the most frequent value of v (the smallest on a tie; -1 for an empty
// v): the layer most folds chose, say.
func Mode(v []int) int {
	count := map[int]int{}
	best := -1
	for _, x := range v {
		count[x]++
		if best < 0 || count[x] > count[best] || count[x] == count[best] && x < best {
			best = x
		}
	}
	return best
}
