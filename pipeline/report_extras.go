package pipeline

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/ifprobe/ifprobe/analyses/baselines"
	"github.com/ifprobe/ifprobe/analyses/controls"
	"github.com/ifprobe/ifprobe/pkg/plot"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/stats"
)

const baselinesIntro = "Each probe (its layer chosen on the other folds, so the AUROC is not inflated by the choice) " +
	"beside what a probe reads without the model's states: the text the model has seen " +
	"at that position (token bags, the verifiers' surface features, the task's verifier on the text so far), the " +
	"instruction alone (parameters, phrasing), and the probe's control task (random labels per base request). " +
	"AUROC out of fold on the same rows and folds, 95% cluster-bootstrap CIs over base requests; the margin is the " +
	"probe's AUROC minus the text baseline's, paired. A margin near 0 says the text alone gives the label away."

const controlsIntro = "Uninstructed controls (each base request answered with no instruction) projected on each " +
	"task's probe direction, fit on the instructed rows only and scored on held-out base requests. Separation: " +
	"AUROC of the projection for instructed against uninstructed (0.5: the direction ignores whether an " +
	"instruction was given). Met: the projection's AUROC on the controls against whether their response meets " +
	"the constraint anyway."

// extrasTable is a report table: header and rows of cells.
type extrasTable struct {
	title string
	head  []string
	rows  [][]string
}

// ci formats an interval as "0.81 [0.74, 0.88]".
func ci(iv stats.Interval) string {
	return fmt.Sprintf("%.2f [%.2f, %.2f]", iv.Estimate, iv.Lo, iv.Hi)
}

func baselineTables(r *baselines.Result) []extrasTable {
	var out []extrasTable
	for _, pos := range r.Positions {
		t := extrasTable{title: "at " + pos.String(), head: []string{"task", "n", "probe AUROC", "probe bal. acc."}}
		for _, k := range r.Kinds {
			t.head = append(t.head, string(k)+" baseline")
		}
		t.head = append(t.head, "control task", "margin over text")
		for _, row := range r.Rows {
			if row.Position != pos {
				continue
			}
			line := []string{row.Task, fmt.Sprint(row.N), ci(row.Probe), ci(row.ProbeBalancedAcc)}
			for _, k := range r.Kinds {
				cell := "-"
				if v := row.Baselines[k]; v != nil {
					cell = ci(v.AUROC)
				}
				line = append(line, cell)
			}
			margin := "-"
			if v := row.Baselines[probeset.TextBaseline]; v != nil {
				margin = ci(v.Margin)
			}
			if row.Error != "" {
				margin = "not computed: " + row.Error
			}
			t.rows = append(t.rows, append(line, ci(row.Control), margin))
		}
		out = append(out, t)
	}
	return out
}

func controlTables(r *controls.Result) []extrasTable {
	var out []extrasTable
	for _, pos := range r.Config.Positions {
		t := extrasTable{title: "at " + pos.String(), head: []string{"task", "layer", "n", "controls", "separation AUROC",
			"mean satisfied", "mean failed", "mean control", "met / pairs", "met AUROC"}}
		for _, row := range r.Rows {
			if row.Position != pos {
				continue
			}
			if row.Error != "" {
				t.rows = append(t.rows, []string{row.Task, "-", "-", "-", "not computed: " + row.Error, "", "", "", "", ""})
				continue
			}
			t.rows = append(t.rows, []string{row.Task, fmt.Sprint(row.Layer), fmt.Sprint(row.N), fmt.Sprint(row.Controls),
				ci(row.Separation), ci(row.Satisfied), ci(row.Failed), ci(row.Control),
				fmt.Sprintf("%d / %d", row.ControlsMet, row.Pairs), ci(row.MetAUROC)})
		}
		out = append(out, t)
	}
	return out
}

// extrasSection is one of the report's sections after the pass rates: per
// model, its tables and figures (dir: its files under the model's directory).
type extrasSection struct {
	title, intro, dir string
	of                func(m *ModelRun) (tables []extrasTable, figures func() ([]*plot.Figure, error), note string)
}

func extrasSections() []extrasSection {
	return []extrasSection{
		{"Baselines: what the text and the instruction give away", baselinesIntro, "baselines",
			func(m *ModelRun) ([]extrasTable, func() ([]*plot.Figure, error), string) {
				if m.Baselines == nil {
					return nil, nil, ""
				}
				return baselineTables(m.Baselines), m.Baselines.Figures, ""
			}},
		{"Uninstructed controls", controlsIntro, "controls",
			func(m *ModelRun) ([]extrasTable, func() ([]*plot.Figure, error), string) {
				if m.Controls == nil {
					return nil, nil, m.ControlsNote
				}
				return controlTables(m.Controls), m.Controls.Figures, ""
			}},
	}
}

// extras adds the baseline and controls sections to the report: per model,
// each position's table, then the figures saved beside the CSV.
// A section no model has anything for (the planted study) is left out.
func (r *Report) extras(d *document) {
	for _, s := range extrasSections() {
		if !slices.ContainsFunc(r.Models, func(m *ModelRun) bool {
			tables, _, note := s.of(m)
			return tables != nil || note != ""
		}) {
			continue
		}
		d.h(2, s.title)
		d.p("%s", s.intro)
		for _, m := range r.Models {
			d.h(3, m.Model)
			tables, figures, note := s.of(m)
			if tables == nil {
				d.p("%s", cmp.Or(note, "Not computed."))
				continue
			}
			dir := filepath.Join(m.Dir, s.dir)
			for _, t := range tables {
				d.p("%s", t.title)
				d.add(block{kind: table, rows: append([][]string{t.head}, t.rows...)})
			}
			figs, err := figures()
			if err != nil {
				d.p("Figures not drawn: %v", err)
			}
			for _, f := range figs {
				d.add(block{kind: figure, path: filepath.ToSlash(filepath.Join(dir, "figures", f.Name+".png"))})
			}
			d.p("All numbers: `%s`.", filepath.ToSlash(filepath.Join(dir, "table.csv")))
		}
	}
}
