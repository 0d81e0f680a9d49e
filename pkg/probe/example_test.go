package probe_test

import (
	"fmt"

	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/probe/probetest"
	"gonum.org/v1/gonum/mat"
)

func ExampleParams_Fit() {
	// Eight examples, two features; the label follows the first feature.
	X := mat.NewDense(8, 2, []float64{
		-2, 0.5, -1.5, -1, -1, 0.3, -0.5, 0.8,
		0.5, -0.2, 1, 1, 1.5, -0.7, 2, 0.1,
	})
	y := []int{0, 0, 0, 0, 1, 1, 1, 1}
	pr, err := probe.DefaultParams().Fit(X, y)
	if err != nil {
		panic(err)
	}
	acc, _ := pr.Score(X, y)
	auc, _ := pr.AUROC(X, y)
	fmt.Printf("%s %.4f, AUROC %.4f, converged %v\n", probe.MetricAccuracy, acc, auc, pr.Converged)
	fmt.Printf("weight on feature 0 > feature 1: %v\n", pr.Coef()[0] > pr.Coef()[1])
	// Output:
	// accuracy 1.0000, AUROC 1.0000, converged true
	// weight on feature 0 > feature 1: true
}

func ExampleCVParams_Evaluate() {
	// 400 examples, 2 per base request, labels read from a planted direction.
	X, y, _ := probetest.Planted(400, 8, 0.5, 1)
	groups := make([]int, len(y))
	for i := range groups {
		groups[i] = i / 2
	}
	cv := probe.CVParams{Probe: probe.DefaultParams(), Control: true}
	cv.Bootstrap.Reps = 200
	ev, err := cv.Evaluate(probe.Dataset{Name: "planted", X: X, Y: y, Groups: groups})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d folds, pooled AUROC %.4f, control AUROC %.4f, selectivity %.4f\n",
		len(ev.Folds), ev.Pooled.AUROC.Estimate, ev.Control.AUROC.Estimate, ev.Selectivity)
	// Output: 5 folds, pooled AUROC 0.9333, control AUROC 0.5337, selectivity 0.3996
}
