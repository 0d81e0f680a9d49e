package findings

import (
	"fmt"
	"reflect"
	"testing"
)

// pairTable is an ablation-like table over n tasks: one row per (source, target),
// dependency and its interval from dep(a, b).
func pairTable(n int, dep func(a, b int) (est, lo, hi string)) [][]string {
	t := [][]string{{"eraser", "source", "target", "dependency", "dependency_lo", "dependency_hi"}}
	for a := 0; a < n; a++ {
		for b := 0; b < n; b++ {
			est, lo, hi := dep(a, b)
			t = append(t, []string{"leace", fmt.Sprint("t", a), fmt.Sprint("t", b), est, lo, hi})
		}
	}
	return t
}

func TestShownRows(t *testing.T) {
	// 6 tasks: 36 rows. Significant off-diagonal pairs: (0,1) 0.2, (2,3) -0.4 (a
	// negative dependency also excludes 0), (4,5) 0.3; (1,0) has an interval that
	// touches 0; (3,2) is NaN.
	tab := pairTable(6, func(a, b int) (string, string, string) {
		switch {
		case a == 0 && b == 1:
			return "0.2", "0.1", "0.3"
		case a == 2 && b == 3:
			return "-0.4", "-0.5", "-0.3"
		case a == 4 && b == 5:
			return "0.3", "0.05", "0.5"
		case a == 1 && b == 0:
			return "0.5", "0", "0.9"
		case a == 3 && b == 2:
			return "NaN", "NaN", "NaN"
		}
		return "0.01", "-0.1", "0.1"
	})
	show, why := shownRows("ablation", tab)
	row := func(a, b int) int { return a*6 + b }
	want := []int{row(0, 0), row(1, 1), row(2, 2), row(3, 3), row(4, 4), row(5, 5), row(2, 3), row(4, 5), row(0, 1)}
	if !reflect.DeepEqual(show, want) || why == "" {
		t.Errorf("ablation: shown %v (%q), want %v", show, why, want)
	}

	// A short table is shown whole; an unknown finding's long table from the top;
	// a table without the rule's columns too.
	if show, _ := shownRows("ablation", pairTable(4, func(a, b int) (string, string, string) { return "0", "0", "0" })); show != nil {
		t.Errorf("16 rows: shown %v, want all (nil)", show)
	}
	show, why = shownRows("layers", tab)
	if len(show) != MaxTableRows || show[0] != 0 || show[MaxTableRows-1] != MaxTableRows-1 || why != "the first rows" {
		t.Errorf("unknown finding: shown %v (%q)", show, why)
	}
	tab[0][3] = "renamed"
	if show, _ := shownRows("ablation", tab); len(show) != MaxTableRows || show[1] != 1 {
		t.Errorf("missing column: shown %v, want the first rows", show)
	}

	// Transfer: the diagonal, then pairs whose AUROC interval excludes 0.5.
	tr := [][]string{{"train_task", "test_task", "auroc", "auroc_lo", "auroc_hi"}}
	for a := 0; a < 6; a++ {
		for b := 0; b < 6; b++ {
			est, lo, hi := "0.5", "0.4", "0.6"
			if a == 5 && b == 0 {
				est, lo, hi = "0.2", "0.1", "0.3"
			}
			tr = append(tr, []string{fmt.Sprint(a), fmt.Sprint(b), est, lo, hi})
		}
	}
	show, _ = shownRows("transfer", tr)
	if len(show) != 7 || show[6] != row(5, 0) {
		t.Errorf("transfer: shown %v, want the 6 diagonal rows then row %d", show, row(5, 0))
	}
}
