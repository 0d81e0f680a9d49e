package findings

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/ifprobe/ifprobe/analyses/specialist"
	"github.com/ifprobe/ifprobe/analyses/transfer"
	"github.com/ifprobe/ifprobe/pkg/probeset"
)

// specialistNotes: how many tasks the general probe pools, where the specialist
// wins and loses, where both probes are at chance, and the mean gap per kind.
func specialistNotes(r *specialist.Result) Notes {
	var ts []probeset.Task
	var wins, losses, chance []string
	gap := map[string][]float64{}
	n := 0
	for _, t := range r.Tasks {
		ts = append(ts, probeset.Task{Name: t.Task, Kind: t.Kind})
		n += t.N
		switch {
		case above(t.Diff, 0):
			wins = append(wins, t.Task)
		case below(t.Diff, 0):
			losses = append(losses, t.Task)
		}
		if !above(t.Specialist, 0.5) && !above(t.General, 0.5) {
			chance = append(chance, fmt.Sprintf("`%s` (specialist %s, general %s)", t.Task, ci(t.Specialist), ci(t.General)))
		}
		gap[t.Kind] = append(gap[t.Kind], t.Diff.Estimate)
	}
	k := len(r.Tasks)
	var b strings.Builder
	fmt.Fprintf(&b, "**%s:** the general probe pools the %d tasks probed here, %s, read at `%s`, about %d items per task. ",
		r.Model, k, byKind(ts), r.Config.Position, n/max(k, 1))
	fmt.Fprintf(&b, "The specialist is significantly better (paired CI above 0) on %d of %d tasks%s, significantly worse on %d%s; on the rest the two cannot be told apart. ",
		len(wins), k, listed(wins), len(losses), listed(losses))
	if len(chance) > 0 {
		fmt.Fprintf(&b, "Both probes are at chance (neither CI above 0.5) on %s: the comparison says nothing there. ", joinAnd(chance))
	} else {
		b.WriteString("On every task at least one probe reads the label above chance. ")
	}
	var kinds []string
	for _, kd := range []string{"structural", "lexical", "semantic"} {
		if g := gap[kd]; len(g) > 0 {
			kinds = append(kinds, fmt.Sprintf("%s %+.3f (%d %s)", kd, mean(g), len(g), plural(len(g), "task", "tasks")))
		}
	}
	fmt.Fprintf(&b, "Mean difference by kind: %s.", joinAnd(kinds))
	return Notes{Figures: b.String(), Verdict: fewerTasks(k, "pools and averages")}
}

// transferNotes: the layer of the main matrix, which probes read their own task,
// how many pairs transfer and within which kinds, and the kinds present.
func transferNotes(r *transfer.Result) Notes {
	k := len(r.Tasks)
	var own []string
	for i, t := range r.Tasks {
		if iv := r.Fixed.AUROC[i][i]; !above(iv, 0.5) {
			own = append(own, fmt.Sprintf("`%s` (%s)", t.Name, ci(iv)))
		}
	}
	transfers, within, reversed := 0, 0, 0
	for a, ta := range r.Tasks {
		for b, tb := range r.Tasks {
			iv := r.Fixed.AUROC[a][b]
			switch {
			case a == b:
			case above(iv, 0.5):
				transfers++
				if ta.Kind == tb.Kind {
					within++
				}
			case below(iv, 0.5):
				reversed++
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "**%s:** the main matrix reads every probe at layer %d (the layer chosen on the other folds, most often; per fold: %s), at `%s`, over the %d tasks probed here: %s. ",
		r.Model, r.Config.Layer, intList(r.FoldLayers), r.Config.Position, k, byKind(r.Tasks))
	if len(own) == 0 {
		fmt.Fprintf(&b, "Its diagonal: all %d probes read their own task above chance (CI above 0.5). ", k)
	} else {
		fmt.Fprintf(&b, "Its diagonal: %d of %d probes read their own task above chance (CI above 0.5); not %s, whose rows and columns say nothing about transfer. ",
			k-len(own), k, joinAnd(own))
	}
	fmt.Fprintf(&b, "Off the diagonal, %d of %d pairs transfer (CI above 0.5), %d of them within a kind; %d are reversed (CI below 0.5).",
		transfers, k*(k-1), within, reversed)
	pairs := withinPairs(r.Tasks)
	v := fmt.Sprintf("The kind contrast compares %d within-kind pairs with %d across kinds.", pairs, k*(k-1)-pairs)
	if pairs == 0 {
		v = "No kind has two tasks here, so there is no within-kind pair and the kind contrast is undefined."
	}
	return Notes{Figures: b.String(), Table: fmt.Sprintf("%d tasks: %d rows, one per (train, test) pair.", k, k*k),
		Verdict: strings.TrimSpace(v + " " + fewerTasks(k, "measures transfer"))}
}

// withinPairs counts the ordered off-diagonal pairs of tasks of the same kind.
func withinPairs(ts []probeset.Task) int {
	n := map[string]int{}
	for _, t := range ts {
		n[t.Kind]++
	}
	pairs := 0
	for _, c := range n {
		pairs += c * (c - 1)
	}
	return pairs
}

// listed is ": a, b" after a count, or nothing for none.
func listed(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return " (" + strings.Join(codes(names), ", ") + ")"
}

// intList formats ints compactly: "3, 3, 4".
func intList(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

// mean of the finite values; NaN when there are none.
func mean(v []float64) float64 {
	v = slices.DeleteFunc(slices.Clone(v), math.IsNaN)
	if len(v) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
