package findings

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ifprobe/ifprobe/analyses/ablation"
)

// ablationNotes: what each eraser removed (INLP's empty erasures included),
// how much of its own task a probe still reads after the erasure, how many
// pairs depend on each other, and what behaviour was measured.
func ablationNotes(r *ablation.Result) Notes {
	k := len(r.Tasks)
	var b, caveats strings.Builder
	fmt.Fprintf(&b, "**%s:** each of the %d tasks probed here is erased at `%s` at its best layer (%s).",
		r.Model, k, r.Config.Position, layerList(r))
	for _, e := range r.Erasers {
		var empty []string
		for i, rank := range e.Ranks {
			if rank == 0 {
				empty = append(empty, r.Tasks[i].Name)
			}
		}
		fmt.Fprintf(&b, " %s removed %s directions (per source, in that order)", strings.ToUpper(e.Kind), intList(e.Ranks))
		if len(empty) > 0 {
			fmt.Fprintf(&b, "; none for %d of %d sources%s", len(empty), k, listed(empty))
			fmt.Fprintf(&caveats, "%s removed no direction for %d of %d sources%s: a fresh probe was already at chance there, so their rows compare no edit with a random direction and are evidence of nothing. ",
				strings.ToUpper(e.Kind), len(empty), k, listed(empty))
		}
		b.WriteString(".")
	}
	b.WriteString(" " + residual(r, &caveats))
	for _, e := range r.Erasers {
		fmt.Fprintf(&b, " %s: %d of %d off-diagonal pairs have a significant dependency (Benjamini–Hochberg at 5%%, at least %.2f AUROC), %d of them reliably larger than their reverse.",
			strings.ToUpper(e.Kind), e.NSignificant, k*(k-1), r.Config.MinEffect, e.NAsymmetric)
	}
	b.WriteString(" " + behaviourNote(r))
	rows := len(r.Erasers) * k * k
	return Notes{Figures: b.String(),
		Table:   fmt.Sprintf("%d erasers × %d pairs (source, target) = %d rows; the significant ones are those marked so, after the correction over every pair of both erasers.", len(r.Erasers), k*k, rows),
		Verdict: strings.TrimSpace(caveats.String() + fewerTasks(k, "erases and counts pairs"))}
}

// residual says how well a probe retrained on the erased states still reads the
// erased task itself (the diagonal): near 0.5 when the erasure is complete. It
// adds a caveat for an eraser that leaves a task readable.
func residual(r *ablation.Result, caveats *strings.Builder) string {
	var parts []string
	for _, e := range r.Erasers {
		var after []float64
		worst, worstTask := -1.0, ""
		for a := range e.Cells {
			v := float64(e.Cells[a][a].Erased)
			after = append(after, v)
			if v > worst {
				worst, worstTask = v, r.Tasks[a].Name
			}
		}
		parts = append(parts, fmt.Sprintf("after %s, %.2f on average (highest: `%s` at %.2f)", strings.ToUpper(e.Kind), mean(after), worstTask, worst))
		if worst >= residualLeft {
			fmt.Fprintf(caveats, "After %s, a probe retrained on the erased states still reads `%s` at AUROC %.2f: that erasure is incomplete, so its row understates what the subspace carries. ",
				strings.ToUpper(e.Kind), worstTask, worst)
		}
	}
	return "A probe retrained on the erased states reads its own task (chance 0.5) " + strings.Join(parts, "; ") + "."
}

// residualLeft is the own-task AUROC after an erasure above which the notes call
// the erasure incomplete.
const residualLeft = 0.6

// behaviourNote says which behavioural effects were measured and how many are
// significant.
func behaviourNote(r *ablation.Result) string {
	if len(r.Behaviour) == 0 {
		return "Behaviour was not measured (the model was not rerun under the erasures: the planted study has no model, and a profile may measure none)."
	}
	var sources []string
	sig, n := 0, 0
	for _, c := range r.Behaviour {
		if !slices.Contains(sources, c.Source) {
			sources = append(sources, c.Source)
		}
		if c.Significant {
			sig++
		}
		n = max(n, c.N)
	}
	return fmt.Sprintf("Behaviour: the model was rerun with the INLP subspace of %s projected out, on up to %d prompts per target; %d of %d source→target pairs lose pass rate beyond the random control (Holm-corrected, at least %.2f).",
		strings.Join(codes(sources), ", "), n, sig, len(r.Behaviour), r.Config.MinEffect)
}

// layerList is "word_limit 3, lowercase 2, …": each source's erasure layer.
func layerList(r *ablation.Result) string {
	var s []string
	for i, t := range r.Tasks {
		if i < len(r.Layers) {
			s = append(s, fmt.Sprintf("`%s` %d", t.Name, r.Layers[i]))
		}
	}
	return "layers " + strings.Join(s, ", ")
}
