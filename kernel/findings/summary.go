package findings

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ifprobe/ifprobe/pipeline"
	"github.com/ifprobe/ifprobe/pkg/dataset"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/stats"
	"github.com/ifprobe/ifprobe/pkg/tasks"
)

// About is the study in a paragraph of Markdown: where it is, its profile and
// sizes, and its models.
func (s *Study) About() string {
	var b strings.Builder
	names := make([]string, len(s.Models))
	for i, m := range s.Models {
		names[i] = "`" + m.Name + "`"
	}
	switch {
	case s.Planted() && s.Report == nil:
		fmt.Fprintf(&b, "**Study:** the **planted study** in `%s`: synthetic hidden states in which the paper's findings hold by construction, not a model.", s.Dir)
	case s.Planted():
		fmt.Fprintf(&b, "**Study:** `%s`, a run of **planted studies**: synthetic hidden states in which the paper's findings hold by construction, one study per \"model\", %d items per task.",
			s.Dir, s.Report.Config.Profile.PerTask)
	case s.Report != nil:
		p := s.Report.Config.Profile
		fmt.Fprintf(&b, "**Study:** `%s`, profile **%s**: %d items per task, responses up to %d tokens, %d-fold grouped cross-validation, %d bootstrap resamples, probes read at `%s`.",
			s.Dir, s.Profile, p.PerTask, p.MaxTokens, p.Folds, p.BootstrapReps, p.Position)
	default:
		prof := "not recorded (the run has no report.json)"
		if s.Profile != "" {
			prof = "**" + s.Profile + "**"
		}
		fmt.Fprintf(&b, "**Study:** `%s`, profile %s.", s.Dir, prof)
	}
	if s.Report != nil && s.Report.Versions.Report != pipeline.ReportVersion {
		fmt.Fprintf(&b, " **Written by older code of ifprobe** (report version %q; this code writes %q): its numbers may differ from what ifprobe computes now. Reproduce it into a new `--out` directory to recompute them.",
			s.Report.Versions.Report, pipeline.ReportVersion)
	}
	if s.ReportErr != nil {
		fmt.Fprintf(&b, " Its report.json could not be read (%v), so the run summary comes from the probe grid.", s.ReportErr)
	}
	fmt.Fprintf(&b, " %s: %s.", plural(len(s.Models), "Model", "Models"), strings.Join(names, ", "))
	if len(s.Models) > 1 {
		b.WriteString(" Every figure and table below comes once per model; the verdicts are side by side.")
	}
	return b.String()
}

// Scope is one model's dataset in a paragraph of Markdown: how many tasks were
// probed and which were not, and why; how many responses the token limit cut
// off; and whether the study's finding is there.
func (m Model) Scope() string {
	rows, err := m.taskRows()
	if err != nil {
		return fmt.Sprintf("**%s:** no task summary (%v).", m.Name, err)
	}
	var b strings.Builder
	probed, skipped := 0, []string{}
	for _, r := range rows {
		if r.skip == "" {
			probed++
		} else {
			skipped = append(skipped, fmt.Sprintf("`%s` (%s)", r.task, r.skip))
		}
	}
	fmt.Fprintf(&b, "**%s:** %d of %d tasks probed", m.Name, probed, len(rows))
	if len(skipped) > 0 {
		fmt.Fprintf(&b, "; not probed: %s", joinAnd(skipped))
	}
	b.WriteString(". ")
	b.WriteString(m.truncation(rows))
	if m.Missing != "" {
		fmt.Fprintf(&b, " **No %s result for this model:** %s.", m.Analysis, m.Missing)
	}
	return b.String()
}

// truncation says how many responses the token limit cut off.
func (m Model) truncation(rows []taskRow) string {
	if m.Run == nil {
		return "Truncated responses: not recorded (no report.json)."
	}
	n, tr, sat := 0, 0, 0
	var where []string
	for _, r := range rows {
		n += r.sum.N
		tr, sat = tr+r.sum.Truncated, sat+r.sum.TruncatedSatisfied
		if r.sum.Truncated > 0 {
			where = append(where, fmt.Sprintf("`%s` %d", r.task, r.sum.Truncated))
		}
	}
	if tr == 0 {
		return fmt.Sprintf("No response of the %d was cut off by the token limit.", n)
	}
	return fmt.Sprintf("%d of %d responses were cut off by the token limit (%d of them satisfied): %s. They have no end, so they are left out at `eos`.",
		tr, n, sat, strings.Join(where, ", "))
}

// PassRates is one model's table of tasks: kind, n, satisfied, pass rate,
// truncated responses and whether the task was probed (and why not), header
// first.
func (m Model) PassRates() ([][]string, error) {
	rows, err := m.taskRows()
	if err != nil {
		return nil, err
	}
	out := [][]string{{"task", "kind", "n", "satisfied", "pass rate", "truncated (satisfied)", "probed"}}
	for _, r := range rows {
		trunc := "not recorded"
		if m.Run != nil {
			trunc = fmt.Sprintf("%d (%d)", r.sum.Truncated, r.sum.TruncatedSatisfied)
		}
		probed := "yes"
		if r.skip != "" {
			probed = "no: " + r.skip
		}
		out = append(out, []string{r.task, r.kind, fmt.Sprint(r.sum.N), fmt.Sprint(r.sum.Satisfied),
			fmt.Sprintf("%.2f", r.sum.PassRate), trunc, probed})
	}
	return out, nil
}

// taskRow is one task of a model's dataset.
type taskRow struct {
	task, kind string
	sum        dataset.Summary
	skip       string // why it was not probed; "" when it was
}

// taskRows are the model's tasks from its report entry, else from its probe
// grid (every task of a grid was probed; its labels give the pass rates).
func (m Model) taskRows() ([]taskRow, error) {
	if m.Run != nil && len(m.Run.Summary) > 0 {
		var out []taskRow
		for _, s := range m.Run.Summary {
			r := taskRow{task: s.Task, kind: kindOf(s.Task), sum: s}
			if i := slices.IndexFunc(m.Run.Skipped, func(k probeset.SkippedTask) bool { return k.Task == s.Task }); i >= 0 {
				r.skip = m.Run.Skipped[i].Reason
			}
			out = append(out, r)
		}
		return out, nil
	}
	g, err := m.Grid()
	if err != nil {
		return nil, err
	}
	var out []taskRow
	for _, t := range g.Tasks {
		r := taskRow{task: t.Name, kind: t.Kind, sum: dataset.Summary{Task: t.Name}}
		if c, ok := g.Cell(t.Name, g.Layers[0], g.Positions[0]); ok {
			for _, y := range c.Y {
				r.sum.N, r.sum.Satisfied = r.sum.N+1, r.sum.Satisfied+y
			}
			r.sum.PassRate = float64(r.sum.Satisfied) / float64(max(r.sum.N, 1))
		}
		out = append(out, r)
	}
	return out, nil
}

// kindOf is a task's kind, "" for a task the suite does not know.
func kindOf(task string) string {
	if t, err := tasks.Get(task); err == nil {
		return string(t.Kind)
	}
	return ""
}

// joinAnd joins items as prose: "a", "a and b", "a, b and c".
func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return "none"
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// plural picks the word for n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// ci formats an interval to two decimals, ci3 to three (for statistics near
// zero): stats.Interval.Format.
func ci(iv stats.Interval) string  { return iv.Format(2) }
func ci3(iv stats.Interval) string { return iv.Format(3) }
