package probe_test

import (
	"fmt"

	"github.com/ifprobe/ifprobe/pkg/probe"
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
