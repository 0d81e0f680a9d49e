package findings

import (
	"fmt"
	"math"
	"strings"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/kernel/nb"
	"github.com/ifprobe/ifprobe/pipeline"
)

// Setup is the first code cell of a finding notebook: it locates the study of
// analysis (reproducing it if needed) and tells the reader where the numbers
// come from: the run, its profile and models, and per model the tasks probed
// and not, the pass rates and the truncated responses, with a warning for the
// ci profile and for the planted study.
func Setup(analysis string) error {
	s, err := Open(analysis)
	if err != nil {
		return err
	}
	fmt.Printf("results: %s\nprofile: %s\n", s.Dir, s.Profile)
	switch {
	case s.Profile == "ci":
		nb.Markdown("**ci profile**: a handful of examples per task, enough to run every step. " +
			"Its numbers mean nothing; run `ifprobe reproduce` (quick profile) for results worth reading.")
	case s.Planted() && s.Report == nil: // the fallback, not a run named
		nb.Markdown("**planted study**: synthetic states with the paper's findings built in, *not the model*. " +
			"The model's study could not be reproduced here (the first notebook that tried says why). " +
			"Run `ifprobe reproduce`, or delete `" + s.Dir + "` to try again.")
	}
	nb.Markdown(s.About())
	for _, m := range s.Models {
		nb.Markdown(m.Scope())
		rows, err := m.PassRates()
		if err != nil {
			continue // Scope said why
		}
		if err := nb.Table(rows[0], rows[1:]); err != nil {
			return err
		}
	}
	nb.Sync() // the cell may end before a Markdown message is delivered
	return nil
}

// each calls show for every model of the study of analysis that has the
// finding, under a heading with the model's name when there are several, and
// says why for those that do not.
func each(analysis string, show func(m Model, r analyses.Result) error) error {
	s, err := Open(analysis)
	if err != nil {
		return err
	}
	for _, m := range s.Models {
		if len(s.Models) > 1 {
			nb.Markdown("#### " + m.Name)
		}
		if m.Missing != "" {
			nb.Markdown(fmt.Sprintf("No %s result for `%s`: %s.", analysis, m.Name, m.Missing))
			continue
		}
		r, err := m.Result()
		if err != nil {
			return err
		}
		if err := show(m, r); err != nil {
			return err
		}
	}
	nb.Sync()
	return nil
}

// Figures shows, for every model of the study, the finding's figures and what
// they show on this run (Describe's Figures note).
func Figures(analysis string) error {
	return each(analysis, func(_ Model, r analyses.Result) error {
		if err := ShowFigures(r); err != nil {
			return err
		}
		if n := Describe(r).Figures; n != "" {
			nb.Markdown(n)
		}
		return nil
	})
}

// Tables shows, for every model of the study, the finding's table, after what
// it holds on this run (Describe's Table note).
func Tables(analysis string) error {
	return each(analysis, func(_ Model, r analyses.Result) error {
		if n := Describe(r).Table; n != "" {
			nb.Markdown(n)
		}
		return ShowTable(r)
	})
}

// Verdicts shows the finding's verdicts: a table of every model's status and
// evidence, then per model the reasons, what would settle it and the caveats of
// this run (Describe's Verdict note), and the cross-model row of report.json
// when the run has several models.
func Verdicts(analysis string) error {
	s, err := Open(analysis)
	if err != nil {
		return err
	}
	rows, err := VerdictRows(s)
	if err != nil {
		return err
	}
	nb.Markdown(StatusGuide)
	if err := nb.Table(rows[0], rows[1:]); err != nil {
		return err
	}
	for _, m := range s.Available() {
		r, err := m.Result()
		if err != nil {
			return err
		}
		nb.Markdown(VerdictText(m.Name, r.Verdict()) + "\n\n" + Describe(r).Verdict)
	}
	if t := CrossModelRows(s); t != nil {
		nb.Markdown(crossModelIntro)
		if err := nb.Table(t[0], t[1:]); err != nil {
			return err
		}
	}
	nb.Sync()
	return nil
}

// StatusGuide says what each status means, as the analyses contract decides it.
const StatusGuide = "How to read a status: **holds** needs positive evidence (the 95% CI of the statistic on the paper's side " +
	"of zero, the probes reading the labels at all, and the claim's other parts holding too); **partly**: only part of " +
	"the claim has it (for example on raw AUROC but not over the text baseline); **not_supported**: the effect is reliably " +
	"smaller than the smallest the claim could mean; **contradicted**: the CI lies on the other side of zero; " +
	"**inconclusive**: this run cannot tell (the CI spans zero and effects the claim could mean, or the probes do not " +
	"read the labels), and the verdict says what n would settle it. MDE: the minimum detectable effect at this n (power 0.8)."

const crossModelIntro = "**Across models** (report.json): each model's status, how many models' estimates are above " +
	"or below zero, and the fixed-effect pooled estimate with its 95% CI; a small heterogeneity p says the models " +
	"disagree more than their CIs allow."

// VerdictRows is the table of a finding's verdicts across the study's models,
// header first: status, the primary statistic with its CI, n and MDE, the margin
// over the text baseline and the decodability gate, each with its own status.
func VerdictRows(s *Study) ([][]string, error) {
	rows := [][]string{{"model", "status", "statistic", "estimate [95% CI]", "n", "MDE", "over the text baseline", "decodability (AUROC − 0.5)", "n to settle"}}
	for _, m := range s.Models {
		if m.Missing != "" {
			rows = append(rows, []string{m.Name, "not computed", m.Missing, "", "", "", "", "", ""})
			continue
		}
		r, err := m.Result()
		if err != nil {
			return nil, err
		}
		v := r.Verdict()
		p := v.Primary
		rows = append(rows, []string{m.Name, string(v.Status), p.Statistic, ci3(p.Estimate), fmt.Sprintf("%d %s", p.N, p.Unit),
			num3(float64(p.MDE)), judged(v.Margin, "no text baseline in this run"), judged(v.Decodability, "not gated"), neededN(p)})
	}
	return rows, nil
}

// judged is a piece of evidence with its own status, or none when absent.
func judged(e *analyses.Evidence, none string) string {
	if e == nil {
		return none
	}
	return fmt.Sprintf("%s: %s", ci3(e.Estimate), e.Judge())
}

// neededN says what n would detect the observed effect, when the run says.
func neededN(e analyses.Evidence) string {
	if e.NeededN > 0 {
		return fmt.Sprintf("about %d %s", e.NeededN, e.Unit)
	}
	return ""
}

func num3(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return fmt.Sprintf("%.3f", v)
}

// VerdictText is one model's verdict as Markdown: the status, the reasons and
// what would settle it, and the supporting statistics.
func VerdictText(model string, v analyses.Verdict) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s: %s.** ", model, v.Status)
	if len(v.Reasons) > 0 {
		fmt.Fprintf(&b, "Why: %s.", strings.Join(v.Reasons, "; "))
	}
	if v.Settle != "" {
		fmt.Fprintf(&b, " To settle it: %s.", v.Settle)
	}
	for _, e := range v.Supporting {
		fmt.Fprintf(&b, "\n\n* Also measured: %s: %s.", e, e.Judge())
	}
	return b.String()
}

// CrossModelRows is the row of the study's finding in the run's cross-model
// table (report.json), header first; nil when the run has none.
func CrossModelRows(s *Study) [][]string {
	if s.Report == nil || len(s.Report.CrossModel) == 0 {
		return nil
	}
	t := s.Report.CrossModelTable()
	for _, row := range t[1:] {
		if row[0] == s.Analysis {
			return [][]string{t[0], row}
		}
	}
	return nil
}

// Baselines shows, for every model of the study, each task's probe beside what
// a probe reads from the text alone and from the instruction alone, and its
// control task (pipeline.ModelRun.Baselines), with what that says on this run.
func Baselines(analysis string) error {
	s, err := Open(analysis)
	if err != nil {
		return err
	}
	for _, m := range s.Models {
		nb.Markdown(BaselineText(s, m))
		if m.Run == nil || m.Run.Baselines == nil {
			continue
		}
		for _, t := range pipeline.BaselineTables(m.Run.Baselines) {
			nb.Markdown(fmt.Sprintf("`%s`, %s:", m.Name, t.Title))
			if err := nb.Table(t.Rows[0], t.Rows[1:]); err != nil {
				return err
			}
		}
	}
	nb.Sync()
	return nil
}

// ShowFigures shows every figure of a result inline.
func ShowFigures(r analyses.Result) error {
	figs, err := r.Figures()
	if err != nil {
		return fmt.Errorf("findings: %s figures: %w", r.Name(), err)
	}
	for _, f := range figs {
		if err := nb.Figure(f); err != nil {
			return err
		}
	}
	return nil
}

// ShowTable shows a result's table (its first row is the header) as HTML. A table
// longer than MaxTableRows is shown in part, the rows that matter first (for
// transfer and ablation: the diagonal, then the pairs whose interval excludes
// chance), with a note saying which and a link to every row as CSV.
func ShowTable(r analyses.Result) error {
	t := r.Table()
	if len(t) == 0 {
		return fmt.Errorf("findings: %s has an empty table", r.Name())
	}
	show, why := shownRows(r.Name(), t)
	return nb.TableWith(t[0], t[1:], nb.TableOptions{Show: show, Why: why, CSV: r.Name() + ".csv"})
}
