package plot_test

import (
	"fmt"

	"github.com/ifprobe/ifprobe/pkg/plot"
)

// A dendrogram lists leaves in the order of a depth-first walk of the merge tree.
func ExampleTree_Leaves() {
	// Four tasks: 0 and 2 merge first, then 1 and 3, then the two pairs.
	t := plot.Tree{Merges: [][2]int{{0, 2}, {1, 3}, {4, 5}}, Heights: []float64{0.1, 0.2, 0.6}}
	fmt.Println(t.Leaves())
	// Output: [0 2 1 3]
}

func ExampleBars() {
	fig, err := plot.Bars(plot.BarsSpec{
		Name: "specialist_vs_general", YLabel: "AUROC",
		Categories: []string{"lowercase", "topic"},
		Groups: []plot.BarGroup{
			{Label: "specialist", Values: []float64{0.91, 0.74}, Lo: []float64{0.88, 0.69}, Hi: []float64{0.94, 0.79}},
			{Label: "general", Values: []float64{0.83, 0.70}, Lo: []float64{0.79, 0.65}, Hi: []float64{0.87, 0.75}},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	png, err := fig.PNG()
	fmt.Println(fig.Name, err == nil && len(png) > 0)
	// Output: specialist_vs_general true
}

// Small multiples: one panel per task kind, each with its tasks' confidence bands,
// sharing one Y range and one legend to the right of the panels.
func ExamplePanelsByKind() {
	depth := []float64{0.25, 0.5, 0.75, 1}
	series := []plot.Series{
		{Label: "lowercase", X: depth, Y: []float64{0.6, 0.9, 0.95, 0.9}, Lo: []float64{0.5, 0.85, 0.9, 0.85}, Hi: []float64{0.7, 0.95, 1, 0.95}},
		{Label: "topic", X: depth, Y: []float64{0.5, 0.55, 0.8, 0.85}, Lo: []float64{0.4, 0.45, 0.7, 0.75}, Hi: []float64{0.6, 0.65, 0.9, 0.95}},
		{Label: "word_limit", X: depth, Y: []float64{0.7, 0.9, 0.9, 0.85}, Lo: []float64{0.6, 0.8, 0.8, 0.75}, Hi: []float64{0.8, 1, 1, 0.95}},
	}
	base := plot.LinesSpec{XLabel: "normalised depth", YLabel: "AUROC", HLines: []float64{0.5}, YMin: 0.3, YMax: 1}
	panels, err := plot.PanelsByKind(base, series, []string{"structural", "semantic", "structural"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range panels {
		fmt.Println(p.Title, len(p.Series))
	}
	fig, err := plot.Panels(plot.PanelsSpec{Name: "auroc_by_depth", Title: "AUROC by depth; shaded: 95% CI", Panels: panels})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s: %.0f x %.0f pt\n", fig.Name, fig.Width.Points(), fig.Height.Points())
	// Output:
	// structural 2
	// semantic 1
	// auroc_by_depth: 566 x 212 pt
}
