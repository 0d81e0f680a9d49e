package pipeline

import (
	"fmt"
	"strings"

	"github.com/ifprobe/ifprobe/pkg/calibrate"
	"github.com/ifprobe/ifprobe/pkg/dataset"
	"github.com/ifprobe/ifprobe/pkg/tasks"
)

// calibrationSection shows each model's difficulty pilot: the pass rates it
// saw at each value of every numeric knob, the fitted curve, and the domain
// the dataset then used.
func (r *Report) calibrationSection(d *document) {
	if !r.Config.Profile.Calibrate {
		return
	}
	d.h(2, "Difficulty calibration")
	d.p("Before its dataset, each model answered a short pilot: a few items at each value of a grid of every numeric knob (passes/items per value below), without capturing states. A monotone curve (isotonic regression) was fitted to the pass rates, and the range of %d consecutive grid values whose predicted pass rate is nearest %.0f%% became the knob's domain; a knob whose curve never comes nearer than its usual domain keeps that domain. The chosen domains are part of the dataset's build stamp. Predicted rates are the fitted curve's; the dataset column is what the model then did.",
		r.Config.Profile.Pilot.WithDefaults().Window, 100*r.Config.Profile.Pilot.WithDefaults().Target)
	for _, m := range r.Models {
		c := m.Calibration
		if c == nil {
			continue
		}
		d.h(3, m.Model)
		d.add(block{kind: table, rows: calibrationRows(c, m.Summary)})
		d.p("Pilot: %d items in all (%d per value), seed %d, in %.0f s. Categorical knobs, left at their domains (their values are not ordered by difficulty): %s.",
			c.Items, c.Settings.PerValue, c.Settings.Seed, m.Timings["calibration"], codeList(c.Categorical))
	}
}

func calibrationRows(c *calibrate.Result, summary []dataset.Summary) [][]string {
	rows := [][]string{{"knob", "pilot: value passes/items", "fit", "without calibration (predicted)", "chosen (predicted)", "dataset pass rate"}}
	for _, k := range c.Knobs {
		var pilot []string
		for i, v := range k.Grid {
			pilot = append(pilot, fmt.Sprintf("%d: %d/%d", v, k.Pass[i], k.N[i]))
		}
		dir := "rising"
		if !k.Fit.Increasing {
			dir = "falling"
		}
		chosen := fmt.Sprintf("%s (%.2f)", domainText(k.Chosen), k.ChosenRate)
		if !k.Changed {
			chosen = "kept: no range nearer the target"
		}
		rate := ""
		for _, s := range summary {
			if s.Task == k.Task {
				rate = fmt.Sprintf("%.2f (n = %d)", s.PassRate, s.N)
			}
		}
		rows = append(rows, []string{"`" + k.Name() + "`", strings.Join(pilot, ", "), dir,
			fmt.Sprintf("%s (%.2f)", domainText(k.Base), k.BaseRate), chosen, rate})
	}
	return rows
}

func domainText(d tasks.Domain) string { return fmt.Sprintf("%d–%d", d.Min, d.Max) }

func codeList(v []string) string {
	if len(v) == 0 {
		return "none"
	}
	out := make([]string, len(v))
	for i, s := range v {
		out[i] = "`" + s + "`"
	}
	return strings.Join(out, ", ")
}
