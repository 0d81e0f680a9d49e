package stats_test

import (
	"fmt"

	"github.com/ifprobe/ifprobe/pkg/stats"
	"gonum.org/v1/gonum/mat"
)

func ExampleAUROC() {
	// The tie between the 0.4 negative and the 0.4 positive counts one half.
	scores := []float64{0.1, 0.4, 0.4, 0.8}
	labels := []int{0, 0, 1, 1}
	auc, err := stats.AUROC(scores, labels)
	if err != nil {
		panic(err)
	}
	fmt.Printf("AUROC %.4f\n", auc)
	// Output: AUROC 0.8750
}

func ExampleBootstrap() {
	scores := []float64{0.1, 0.4, 0.35, 0.8, 0.7, 0.2, 0.9, 0.3}
	labels := []int{0, 0, 1, 1, 1, 0, 1, 0}
	iv, err := stats.Bootstrap(len(scores), stats.AUROCStatistic(scores, labels), stats.BootstrapParams{Reps: 500, Seed: 1})
	if err != nil {
		panic(err)
	}
	fmt.Printf("AUROC %.4f, 95%% CI contains it: %v\n", iv.Estimate, iv.Lo <= iv.Estimate && iv.Estimate <= iv.Hi)
	// Output: AUROC 0.9375, 95% CI contains it: true
}

func ExampleLinearCKA() {
	x := mat.NewDense(4, 2, []float64{1, 0, 0, 1, -1, 0, 0, -1})
	// y is x rotated by 90° and scaled by 2: CKA is 1.
	y := mat.NewDense(4, 2, []float64{0, 2, -2, 0, 0, -2, 2, 0})
	cka, err := stats.LinearCKA(x, y)
	if err != nil {
		panic(err)
	}
	fmt.Printf("CKA %.4f\n", cka)
	// Output: CKA 1.0000
}

func ExampleAverageLinkage() {
	// Four layers; 0 and 1 are similar, so are 2 and 3.
	dist := mat.NewSymDense(4, []float64{
		0, 1, 5, 6,
		1, 0, 4, 5,
		5, 4, 0, 1.5,
		6, 5, 1.5, 0,
	})
	dg, err := stats.AverageLinkage(dist)
	if err != nil {
		panic(err)
	}
	for _, m := range dg.Merges {
		fmt.Printf("merge %d+%d at %.4f (size %d)\n", m.A, m.B, m.Height, m.Size)
	}
	fmt.Println("leaf order:", dg.Leaves())
	// Output:
	// merge 0+1 at 1.0000 (size 2)
	// merge 2+3 at 1.5000 (size 2)
	// merge 4+5 at 5.0000 (size 4)
	// leaf order: [0 1 2 3]
}
