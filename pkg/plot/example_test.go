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
