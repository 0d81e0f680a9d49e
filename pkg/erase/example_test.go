package erase_test

import (
	"fmt"

	"github.com/ifprobe/ifprobe/pkg/erase"
	"gonum.org/v1/gonum/mat"
)

func ExampleLEACEParams_Fit() {
	// The concept (y) shifts feature 0; feature 1 is noise.
	X := mat.NewDense(6, 2, []float64{
		0, 1, 0.5, -1, 1, 0.5,
		3, 0.2, 3.5, -0.4, 4, 0.9,
	})
	y := []int{0, 0, 0, 1, 1, 1}
	l, err := erase.LEACEParams{}.Fit(X, y)
	if err != nil {
		panic(err)
	}
	Xe, _ := l.Apply(X)
	var m0, m1 float64
	for i := 0; i < 3; i++ {
		m0 += Xe.At(i, 0) / 3
		m1 += Xe.At(i+3, 0) / 3
	}
	fmt.Printf("rank %d, class means of feature 0 after erasure: %.4f %.4f\n", l.Rank(), m0, m1)
	// Output: rank 1, class means of feature 0 after erasure: 2.0000 2.0000
}
