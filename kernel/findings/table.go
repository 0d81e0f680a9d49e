package findings

import (
	"math"
	"slices"
	"strconv"
)

// MaxTableRows is how many rows of a finding's table ShowTable shows; a longer
// table (transfer and ablation have one row per pair of tasks) is shown in part,
// the rows that matter first, with a link to all of it as CSV.
const MaxTableRows = 24

// trimRule picks the rows of a long table that matter: their indices in order,
// and why those.
type trimRule func(col map[string]int, rows [][]string) ([]int, string)

// trimRules are the rules of the findings whose tables are one row per pair.
var trimRules = map[string]trimRule{
	// Each eraser on its own task, then the pairs whose dependency interval
	// excludes zero, the largest dependency first.
	"ablation": func(col map[string]int, rows [][]string) ([]int, string) {
		return pairsThatMatter(col, rows, "source", "target", "dependency", "dependency_lo", "dependency_hi", 0),
			"each eraser on its own task, then the pairs whose dependency interval excludes 0, largest first"
	},
	// Each probe on its own task, then the pairs whose AUROC interval excludes
	// chance, the farthest from it first.
	"transfer": func(col map[string]int, rows [][]string) ([]int, string) {
		return pairsThatMatter(col, rows, "train_task", "test_task", "auroc", "auroc_lo", "auroc_hi", 0.5),
			"each probe on its own task, then the pairs whose AUROC interval excludes chance (0.5), farthest first"
	},
}

// shownRows returns the rows of a finding's table (header first) that ShowTable
// shows, and why; nil when the table is short enough to show whole. A table that
// lacks the columns its rule reads is shown from the top.
func shownRows(analysis string, table [][]string) ([]int, string) {
	rows := table[1:]
	if len(rows) <= MaxTableRows {
		return nil, ""
	}
	col := map[string]int{}
	for i, h := range table[0] {
		col[h] = i
	}
	if rule, ok := trimRules[analysis]; ok {
		if show, why := rule(col, rows); len(show) > 0 {
			return show[:min(len(show), MaxTableRows)], why
		}
	}
	show := make([]int, MaxTableRows)
	for i := range show {
		show[i] = i
	}
	return show, "the first rows"
}

// pairsThatMatter returns the rows whose a and b columns are equal (the diagonal),
// then those whose interval [lo, hi] excludes ref, ordered by |est - ref| from the
// largest; nil when a column is missing.
func pairsThatMatter(col map[string]int, rows [][]string, a, b, est, lo, hi string, ref float64) []int {
	for _, c := range []string{a, b, est, lo, hi} {
		if _, ok := col[c]; !ok {
			return nil
		}
	}
	num := func(r []string, c string) float64 {
		v, err := strconv.ParseFloat(r[col[c]], 64)
		if err != nil {
			return math.NaN()
		}
		return v
	}
	diag, off := []int{}, []int{}
	for i, r := range rows {
		switch {
		case r[col[a]] == r[col[b]]:
			diag = append(diag, i)
		case num(r, lo) > ref || num(r, hi) < ref: // NaN compares false: left out
			off = append(off, i)
		}
	}
	slices.SortStableFunc(off, func(i, j int) int {
		di, dj := math.Abs(num(rows[i], est)-ref), math.Abs(num(rows[j], est)-ref)
		switch {
		case di > dj:
			return -1
		case di < dj:
			return 1
		}
		return 0
	})
	return append(diag, off...)
}
