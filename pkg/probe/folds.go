package probe

import (
	"fmt"
	"math/rand/v2"
	"sort"

	"github.com/ifprobe/ifprobe/pkg/stats"
)

// groupMembers maps group ids to dense indices and lists each group's rows, in
// order of first appearance. nil groups make every row its own group.
func groupMembers(groups []int, n int) (members [][]int, of []int, err error) {
	if groups == nil {
		members = make([][]int, n)
		of = make([]int, n)
		for i := range members {
			members[i], of[i] = []int{i}, i
		}
		return members, of, nil
	}
	if len(groups) != n {
		return nil, nil, fmt.Errorf("probe: %d group ids for %d rows: %w", len(groups), n, ErrInput)
	}
	members = stats.Members(groups)
	of = make([]int, n)
	for k, rows := range members {
		for _, i := range rows {
			of[i] = k
		}
	}
	return members, of, nil
}

// StratifiedGroupKFold assigns every row to one of k folds so that all rows of a
// group (a base request) share a fold and each fold's positive rate is close to
// the overall one. Groups are shuffled with seed, then placed largest first into
// the fold that keeps the per-class fold counts most even (the greedy rule of
// scikit-learn's StratifiedGroupKFold). It returns the fold of each row. groups nil
// means one group per row. It needs at least k groups.
func StratifiedGroupKFold(y, groups []int, k int, seed uint64) ([]int, error) {
	n := len(y)
	if err := checkLabels(y, n, false); err != nil {
		return nil, err
	}
	members, _, err := groupMembers(groups, n)
	if err != nil {
		return nil, err
	}
	if k < 2 || k > len(members) {
		return nil, fmt.Errorf("probe: %d folds for %d groups: want 2 <= k <= groups: %w", k, len(members), ErrInput)
	}
	order := make([]int, len(members))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(seed, 0xf01d))
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	sort.SliceStable(order, func(a, b int) bool { return len(members[order[a]]) > len(members[order[b]]) })
	var counts [][2]float64 = make([][2]float64, k)
	fold := make([]int, n)
	for _, g := range order {
		var c [2]float64
		for _, i := range members[g] {
			c[y[i]]++
		}
		best, bestCost := 0, 0.0
		for f := 0; f < k; f++ {
			counts[f][0] += c[0]
			counts[f][1] += c[1]
			cost := spread(counts, 0) + spread(counts, 1)
			counts[f][0] -= c[0]
			counts[f][1] -= c[1]
			// Prefer the smaller fold on a tie so folds fill evenly.
			if f == 0 || cost < bestCost-1e-12 || (cost < bestCost+1e-12 && counts[f][0]+counts[f][1] < counts[best][0]+counts[best][1]) {
				best, bestCost = f, cost
			}
		}
		counts[best][0] += c[0]
		counts[best][1] += c[1]
		for _, i := range members[g] {
			fold[i] = best
		}
	}
	return fold, nil
}

// spread is the variance across folds of the count of class c.
func spread(counts [][2]float64, c int) float64 {
	var m, v float64
	for _, x := range counts {
		m += x[c]
	}
	m /= float64(len(counts))
	for _, x := range counts {
		v += (x[c] - m) * (x[c] - m)
	}
	return v
}

// ControlLabels returns the labels of a control task in the sense of Hewitt &
// Liang (2019): every base request (group) gets one random label, shared by all
// its rows, so a probe can only score above chance by memorising requests, not by
// reading the property from the representation. The labels of the groups are a
// random permutation (seeded) of the groups' majority labels, so the control has
// the task's proportion of positive groups. groups nil means one group per row.
func ControlLabels(y, groups []int, seed uint64) ([]int, error) {
	n := len(y)
	if err := checkLabels(y, n, false); err != nil {
		return nil, err
	}
	members, _, err := groupMembers(groups, n)
	if err != nil {
		return nil, err
	}
	lab := make([]int, len(members))
	for g, rows := range members {
		var pos int
		for _, i := range rows {
			pos += y[i]
		}
		if 2*pos >= len(rows) {
			lab[g] = 1
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0xc0417))
	rng.Shuffle(len(lab), func(i, j int) { lab[i], lab[j] = lab[j], lab[i] })
	out := make([]int, n)
	for g, rows := range members {
		for _, i := range rows {
			out[i] = lab[g]
		}
	}
	return out, nil
}
