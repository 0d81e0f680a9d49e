package controls

import (
	"fmt"
	"strings"

	"github.com/ifprobe/ifprobe/pkg/plot"
	"github.com/ifprobe/ifprobe/pkg/stats"
)

// Table is one row per task and position, with every interval.
func (r *Result) Table() [][]string {
	out := [][]string{{"task", "kind", "position", "layer", "n", "controls", "separation_auroc", "sep_lo", "sep_hi",
		"mean_satisfied", "sat_lo", "sat_hi", "mean_failed", "fail_lo", "fail_hi", "mean_control", "ctl_lo", "ctl_hi",
		"shift", "shift_lo", "shift_hi", "pairs", "controls_met", "met_auroc", "met_lo", "met_hi", "error"}}
	for _, row := range r.Rows {
		line := []string{row.Task, row.Kind, row.Position.String(), fmt.Sprint(row.Layer), fmt.Sprint(row.N), fmt.Sprint(row.Controls)}
		for _, iv := range []stats.Interval{row.Separation, row.Satisfied, row.Failed, row.Control, row.Shift} {
			line = append(line, cells(iv)...)
		}
		line = append(line, fmt.Sprint(row.Pairs), fmt.Sprint(row.ControlsMet))
		line = append(line, cells(row.MetAUROC)...)
		out = append(out, append(line, row.Error))
	}
	return out
}

func cells(iv stats.Interval) []string {
	return []string{fmt.Sprintf("%.4f", iv.Estimate), fmt.Sprintf("%.4f", iv.Lo), fmt.Sprintf("%.4f", iv.Hi)}
}

// Figures draws, per position, the mean projection on each task's probe
// direction of satisfied, failed and uninstructed responses (95% CIs): the
// panel that shows where the controls fall.
func (r *Result) Figures() ([]*plot.Figure, error) {
	var figs []*plot.Figure
	for _, pos := range r.Config.Positions {
		groups := []plot.BarGroup{
			{Label: "instructed, satisfied", Color: plot.KindColor("structural")},
			{Label: "instructed, failed", Color: plot.KindColor("semantic")},
			{Label: "no instruction (control)", Color: plot.KindColor("control")},
		}
		var cats []string
		for _, row := range r.Rows {
			if row.Position != pos || row.Error != "" {
				continue
			}
			cats = append(cats, row.Task)
			for g, iv := range []stats.Interval{row.Satisfied, row.Failed, row.Control} {
				groups[g].Values = append(groups[g].Values, iv.Estimate)
				groups[g].Lo, groups[g].Hi = append(groups[g].Lo, iv.Lo), append(groups[g].Hi, iv.Hi)
			}
		}
		if len(cats) == 0 {
			continue
		}
		fig, err := plot.Bars(plot.BarsSpec{Name: "controls_" + strings.NewReplacer(":", "_", ".", "_").Replace(pos.String()),
			Title:  fmt.Sprintf("%s at %s: projection on each task's probe direction (held-out; 95%% CI)", r.Model, pos),
			YLabel: "probe decision value", Categories: cats, Groups: groups, HLines: []float64{0},
			Width: 760, Height: 380})
		if err != nil {
			return nil, err
		}
		figs = append(figs, fig)
	}
	return figs, nil
}
