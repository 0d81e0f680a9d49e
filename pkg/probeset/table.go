package probeset

import (
	"fmt"

	"github.com/ifprobe/ifprobe/pkg/stats"
)

// Table returns the grid as rows, header first: per task, layer and position,
// n, the AUROC, accuracy and balanced accuracy with their 95% CIs, the control
// task's AUROC and the selectivity (grid.csv beside grid.json).
func (g *Grid) Table() [][]string {
	rows := [][]string{{"task", "kind", "layer", "depth", "position", "n", "auroc", "auroc_lo", "auroc_hi",
		"accuracy", "accuracy_lo", "accuracy_hi", "balanced_accuracy", "balanced_lo", "balanced_hi",
		"control_auroc", "selectivity", "error"}}
	for _, c := range g.Cells {
		ctl := "NaN"
		if c.Control != nil {
			ctl = f4(c.Control.Estimate)
		}
		row := []string{c.Task, g.Kind(c.Task), fmt.Sprint(c.Layer), f4(Depth(c.Layer, g.NumLayers)), c.Position.String(), fmt.Sprint(c.N)}
		for _, iv := range []stats.Interval{c.AUROC, c.Accuracy, c.BalancedAccuracy} {
			row = append(row, f4(iv.Estimate), f4(iv.Lo), f4(iv.Hi))
		}
		rows = append(rows, append(row, ctl, f4(c.Selectivity), c.Error))
	}
	return rows
}

func f4(v float64) string { return fmt.Sprintf("%.4f", v) }
