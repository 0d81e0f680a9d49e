package findings

import (
	"fmt"
	"strings"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/analyses/ablation"
	"github.com/ifprobe/ifprobe/analyses/baselines"
	"github.com/ifprobe/ifprobe/analyses/layers"
	"github.com/ifprobe/ifprobe/analyses/specialist"
	"github.com/ifprobe/ifprobe/analyses/temporal"
	"github.com/ifprobe/ifprobe/analyses/transfer"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/stats"
)

// Notes are what a finding notebook says about one model's result, generated
// from it so that no count or claim in the prose can disagree with the run:
// under the figures, above the table, and under the verdict (the caveats).
type Notes struct {
	Figures string
	Table   string
	Verdict string
}

// Describe returns the notes of a finding's result; empty notes for a result
// of another kind.
func Describe(r analyses.Result) Notes {
	switch r := r.(type) {
	case *specialist.Result:
		return specialistNotes(r)
	case *transfer.Result:
		return transferNotes(r)
	case *ablation.Result:
		return ablationNotes(r)
	case *layers.Result:
		return layersNotes(r)
	case *temporal.Result:
		return temporalNotes(r)
	}
	return Notes{}
}

// above and below say whether an interval lies above or below ref.
func above(iv stats.Interval, ref float64) bool { return iv.Lo > ref }
func below(iv stats.Interval, ref float64) bool { return iv.Hi < ref }

// codes formats names as code: "`a`, `b`".
func codes(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "`" + n + "`"
	}
	return out
}

// byKind groups task names by kind, in the claim's order of kinds, as
// "structural (`a`, `b`), semantic (`c`)".
func byKind(ts []probeset.Task) string {
	var parts []string
	for _, k := range []string{"structural", "lexical", "semantic"} {
		var names []string
		for _, t := range ts {
			if t.Kind == k {
				names = append(names, t.Name)
			}
		}
		if len(names) > 0 {
			parts = append(parts, fmt.Sprintf("%s (%s)", k, strings.Join(codes(names), ", ")))
		}
	}
	return joinAnd(parts)
}

// fewerTasks is the caveat of a finding computed on fewer tasks than the paper's
// nine (the tasks a model passes or fails on every prompt cannot be probed).
func fewerTasks(k int, what string) string {
	if k >= 9 {
		return ""
	}
	return fmt.Sprintf("The paper %s over nine tasks; this run has %d, so read the statistic as one over these %d.", what, k, k)
}

// BaselineText says, for one model of the study, what its baselines show: at
// each position, on how many tasks the probe reads more than the text alone,
// which tasks the text or the instruction alone reads as well, and which control
// tasks leave chance. Runs without baselines (the planted study has no text)
// say so.
func BaselineText(s *Study, m Model) string {
	head := fmt.Sprintf("**%s:** ", m.Name)
	switch {
	case s.Planted():
		return head + "the planted study has no text and no instruction, so there is nothing to set its probes beside: every AUROC in this notebook is the probe's alone."
	case m.Run == nil:
		return head + "this run has no report.json, so its baselines are not known."
	case m.Run.Baselines == nil:
		return head + "this run computed no baselines (a run written before ifprobe computed them has none: reproduce it again to get them)."
	}
	b := m.Run.Baselines
	var parts []string
	for _, pos := range b.Positions {
		parts = append(parts, baselineAt(b, pos))
	}
	return head + strings.Join(parts, " ")
}

// baselineAt is BaselineText at one position.
func baselineAt(b *baselines.Result, pos hook.Position) string {
	var n, beats int
	var textAlike, instrAbove, ctrl, failed []string
	for _, row := range b.Rows {
		if row.Position != pos {
			continue
		}
		if row.Error != "" {
			failed = append(failed, fmt.Sprintf("`%s` (%s)", row.Task, row.Error))
			continue
		}
		n++
		if v := row.Baselines[probeset.TextBaseline]; v != nil {
			if above(v.Margin, 0) {
				beats++
			} else {
				textAlike = append(textAlike, fmt.Sprintf("`%s` (text %s, probe %s)", row.Task, ci(v.AUROC), ci(row.Probe)))
			}
		}
		if v := row.Baselines[probeset.InstructionBaseline]; v != nil && above(v.AUROC, 0.5) {
			instrAbove = append(instrAbove, fmt.Sprintf("`%s` (%s)", row.Task, ci(v.AUROC)))
		}
		if above(row.Control, 0.5) {
			ctrl = append(ctrl, fmt.Sprintf("`%s` (%s)", row.Task, ci(row.Control)))
		}
	}
	var s strings.Builder
	fmt.Fprintf(&s, "At `%s`, the probe reads more than the text alone (margin CI above 0) on %d of %d tasks", pos, beats, n)
	if len(textAlike) > 0 {
		fmt.Fprintf(&s, "; the text alone does as well on %s", joinAnd(textAlike))
	}
	s.WriteString(". ")
	if len(instrAbove) > 0 {
		fmt.Fprintf(&s, "The instruction alone predicts success above chance on %s. ", joinAnd(instrAbove))
	} else {
		s.WriteString("The instruction alone predicts no task's success above chance. ")
	}
	if len(ctrl) > 0 {
		fmt.Fprintf(&s, "Control tasks above chance (the probe memorises base requests): %s. ", joinAnd(ctrl))
	}
	if len(failed) > 0 {
		fmt.Fprintf(&s, "Not compared: %s.", joinAnd(failed))
	}
	return strings.TrimSpace(s.String())
}
