package findings

import (
	"fmt"
	"math"
	"strings"

	"github.com/ifprobe/ifprobe/analyses/layers"
	"github.com/ifprobe/ifprobe/analyses/temporal"
	"github.com/ifprobe/ifprobe/pkg/hook"
)

// layersNotes: the onset definition as this run used it, which tasks are
// decodable and which are left out, and the mean onset per kind.
func layersNotes(r *layers.Result) Notes {
	f := r.Config.Fraction
	var b strings.Builder
	fmt.Fprintf(&b, "**%s:** a task's onset is the first layer whose AUROC at `%s` reaches 0.5 + %.2f × (its peak − 0.5): %s of its own rise from chance to its peak (the dots).",
		r.Model, r.Config.Position, f, fractionWords(f))
	if len(r.Config.Sensitivity) > 0 {
		var fs []string
		for _, x := range r.Config.Sensitivity {
			fs = append(fs, fmt.Sprintf("%.2f", x))
		}
		fmt.Fprintf(&b, " The verdict repeats the comparison at %s of the rise.", joinAnd(fs))
	}
	var left []string
	for _, t := range r.Tasks {
		if !above(t.Decodable, 0.5) {
			left = append(left, fmt.Sprintf("`%s` (%s)", t.Task, ci(t.Decodable)))
		}
	}
	k := len(r.Tasks)
	if len(left) == 0 {
		fmt.Fprintf(&b, " All %d tasks probed are decodable (selection-corrected AUROC CI above 0.5), so each has an onset.", k)
	} else {
		fmt.Fprintf(&b, " %d of %d tasks are decodable (selection-corrected AUROC CI above 0.5); not %s: they have no onset and are left out of the kind means, not counted as late.",
			k-len(left), k, joinAnd(left))
	}
	var kinds, none []string
	for _, kd := range []string{"structural", "lexical", "semantic"} {
		iv, ok := r.KindOnset[kd]
		switch {
		case !ok || !hasKind(r, kd):
		case math.IsNaN(iv.Estimate):
			none = append(none, kd)
		default:
			kinds = append(kinds, fmt.Sprintf("%s %s", kd, ci(iv)))
		}
	}
	if len(kinds) > 0 {
		fmt.Fprintf(&b, " Mean onset depth by kind: %s.", joinAnd(kinds))
	}
	if len(none) > 0 {
		fmt.Fprintf(&b, " No decodable %s task, so no mean onset for that kind.", joinAnd(none))
	}
	verdict := ""
	if math.IsNaN(r.SemanticMinusStructural.Estimate) {
		verdict = "The claim's contrast needs a decodable semantic task and a decodable structural one; this run lacks one of them, so it is undefined here."
	}
	return Notes{Figures: b.String(),
		Table:   "Onset layer −1: no onset (the task is not decodable, or never reaches its fraction of the rise). Contrast rows: each pair of kinds at each fraction.",
		Verdict: strings.TrimSpace(verdict + " " + fewerTasks(k, "orders the onsets")),
	}
}

func hasKind(r *layers.Result, kind string) bool {
	for _, t := range r.Tasks {
		if t.Kind == kind {
			return true
		}
	}
	return false
}

// fractionWords names a fraction of the rise: "half", "a quarter", "75%".
func fractionWords(f float64) string {
	switch f {
	case 0.5:
		return "half"
	case 0.25:
		return "a quarter"
	}
	return fmt.Sprintf("%.0f%%", 100*f)
}

// temporalNotes: the time line read, each task's pattern (with the caveat of
// what the instruction alone predicts), and where the curves peak.
func temporalNotes(r *temporal.Result) Notes {
	var pos []string
	for _, p := range r.Positions {
		pos = append(pos, "`"+p.String()+"`")
	}
	by := map[string][]string{}
	late, withInstr := 0, 0
	for _, t := range r.Tasks {
		by[t.Pattern] = append(by[t.Pattern], patternEntry(t))
		if o, _ := t.Peak.Timeline(); o >= 0.6 {
			late++
		}
		if t.OverInstruction != nil {
			withInstr++
		}
	}
	k := len(r.Tasks)
	var b strings.Builder
	fmt.Fprintf(&b, "**%s:** positions on the time line: %s; the rise compares `%s` with `%s`, each task read at the layer chosen on the other folds.",
		r.Model, strings.Join(pos, ", "), r.Late, hook.PromptLast)
	for _, p := range []struct{ name, means string }{
		{temporal.Monitoring, "the rise's CI lies above 0"},
		{temporal.Planning, "decodable at `prompt_last` (CI above 0.5), beyond what the instruction alone predicts, and no rise"},
		{temporal.Instructed, "decodable at `prompt_last`, but no more than from the instruction alone"},
		{temporal.Neither, "neither"},
	} {
		if n := len(by[p.name]); n > 0 {
			fmt.Fprintf(&b, " **%s** (%s): %d of %d, %s.", p.name, p.means, n, k, joinAnd(by[p.name]))
		}
	}
	fmt.Fprintf(&b, " %d of %d tasks peak in the last 40%% of the response.", late, k)
	var caveat string
	switch {
	case withInstr == 0:
		caveat = "This run has no instruction baseline, so a task decodable at `prompt_last` counts as planning even when what the instruction asks predicts success by itself (for `sentiment`, the requested polarity): read planning here as an upper bound."
	case len(by[temporal.Instructed]) > 0:
		caveat = fmt.Sprintf("Decodable before the response is not planning when the instruction alone predicts as much: %s %s. The verdict counts them apart from planning.",
			joinAnd(by[temporal.Instructed]), plural(len(by[temporal.Instructed]), "is such a task", "are such tasks"))
	}
	return Notes{Figures: b.String(),
		Verdict: strings.TrimSpace(caveat + " " + fewerTasks(k, "averages the rise"))}
}

// patternEntry names a task with the numbers behind its pattern.
func patternEntry(t temporal.TaskCurve) string {
	s := fmt.Sprintf("`%s` (prompt_last %s, rise %s", t.Task, ci(t.PromptEnd), ci(t.Rise))
	if t.OverInstruction != nil {
		s += ", over the instruction " + ci(*t.OverInstruction)
	}
	s += ")"
	if t.Pattern == temporal.Instructed && t.Task == "sentiment" {
		s += ": the requested polarity predicts success"
	}
	return s
}
