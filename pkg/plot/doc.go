// Package plot draws ifprobe's figures (PNG and SVG) from plain numbers: lines with
// confidence bands, grouped bars with error bars, and clustered heatmaps with a
// dendrogram.
//
// It knows nothing of models or probes: analyses turn their results into the specs
// here (LinesSpec, BarsSpec, HeatmapSpec) and get back a *Figure, which renders to
// PNG or SVG bytes or saves both next to each other.
//
//	fig, err := plot.Lines(plot.LinesSpec{
//		Name: "auroc_by_layer", Title: "AUROC by layer",
//		XLabel: "normalised depth", YLabel: "AUROC",
//		Series: []plot.Series{{Label: "lowercase", X: x, Y: y, Lo: lo, Hi: hi}},
//	})
//	paths, err := fig.Save("out/figures") // out/figures/auroc_by_layer.{png,svg}
//
// Rules:
//   - Inputs are never modified; every spec is validated before drawing and a bad
//     spec (mismatched lengths, NaN where a value is required, empty data) returns an
//     error naming the field, never a panic.
//   - Save writes each file to a temporary name and renames it, so a figure on disk
//     is always whole.
//   - Colours are stable: the same label gets the same colour in every figure
//     (see Color), and task kinds have fixed hues (KindColor).
package plot
