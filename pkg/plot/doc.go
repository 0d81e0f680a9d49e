// Package plot draws ifprobe's figures (PNG and SVG) from plain numbers: lines with
// confidence bands, small multiples of such plots, grouped bars with error bars,
// and clustered heatmaps with a dendrogram.
//
// It knows nothing of models or probes: analyses turn their results into the specs
// here (LinesSpec, PanelsSpec, BarsSpec, HeatmapSpec) and get back a *Figure, which
// renders to PNG or SVG bytes or saves both next to each other.
//
//	fig, err := plot.Lines(plot.LinesSpec{
//		Name: "auroc_by_layer", Title: "AUROC by layer",
//		XLabel: "normalised depth", YLabel: "AUROC",
//		Series: []plot.Series{{Label: "lowercase", X: x, Y: y, Lo: lo, Hi: hi}},
//	})
//	paths, err := fig.Save("out/figures") // out/figures/auroc_by_layer.{png,svg}
//
// # Layout
//
// A figure is laid out before it is drawn, so that nothing covers or cuts off
// anything else:
//   - The legend is outside the plot region: to its right, the canvas widening by
//     the legend's width, or, when that would take more than 45% of the plot's
//     width, below it in as many columns as fit (the canvas grows taller; a label
//     wider than the canvas wraps). A spec's Width and Height are the size of the
//     plot region; Figure.Width and Height are the whole canvas.
//   - The title keeps 12pt when it fits, shrinks to 10pt, then wraps at spaces.
//   - The right-most X tick label keeps a margin from the canvas edge, and nominal
//     tick labels turn when they would touch their neighbours.
//   - A spec's YMin/YMax is a preferred range that the data widen: every value
//     drawn (line, band, error bar, reference line) lies inside the Y range, with
//     a 3% margin on a side the data set. A figure never drops a point silently.
//
// # Uncertainty
//
// Numbers the project publishes carry their uncertainty. Series and bar groups take
// an interval (Lo, Hi) drawn as a translucent band or an error bar, and heatmap
// cells print theirs as "[lo, hi]" under the value when the cells can hold it
// (a note under the title says so when they cannot). Bands stay legible for two or
// three series per plot; beyond that, use Panels (small multiples with one shared
// Y range and legend), e.g. one panel per task kind with PanelsByKind. Bands are
// fainter when more than three share a plot. Say in the title what the bands are.
//
// # Rules
//   - Inputs are never modified; every spec is validated before drawing and a bad
//     spec (mismatched lengths, NaN where a value is required, empty data) returns an
//     error naming the field, never a panic.
//   - Output is deterministic: the same spec renders to the same bytes.
//   - Save writes each file to a temporary name and renames it, so a figure on disk
//     is always whole.
//   - Colours are stable: the same label gets the same colour in every figure
//     (see Color), and task kinds have fixed hues (KindColor, KindShade).
package plot
