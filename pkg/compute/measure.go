package compute

import (
	"fmt"
	"math"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// MatMulResult is one measured f32 matrix product.
type MatMulResult struct {
	N       int           `json:"n"`       // the product is [N,N]·[N,N]
	Runs    int           `json:"runs"`    // timed executions, after one untimed warm-up (compilation)
	Elapsed time.Duration `json:"elapsed"` // total time of the timed runs
	GFLOPs  float64       `json:"gflops"`  // 2·N³·Runs / Elapsed, in 10⁹ floating-point operations per second
}

// MeasureMatMul times an f32 [n,n]·[n,n] product on backend b, repeating it until
// at least minTime has passed (and at least once), after one untimed run that
// compiles the graph and moves the operands to the device. It also checks one
// row of the result against a float64 product computed here, so a backend that
// runs fast but wrong is an error, not a number.
func MeasureMatMul(b backends.Backend, n int, minTime time.Duration) (res MatMulResult, err error) {
	if n < 1 || n > 8192 {
		return res, fmt.Errorf("compute: MeasureMatMul: n=%d out of [1, 8192]", n)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("compute: MeasureMatMul on %s: %v", b.Name(), r)
		}
	}()
	lhs, rhs := make([]float32, n*n), make([]float32, n*n)
	for i := range lhs {
		// Small, exactly representable values keep the float32 sums accurate.
		lhs[i] = float32(i%13-6) / 8
		rhs[i] = float32(i%7-3) / 4
	}
	tl := tensors.FromFlatDataAndDimensions(lhs, n, n)
	tr := tensors.FromFlatDataAndDimensions(rhs, n, n)
	defer tl.FinalizeAll()
	defer tr.FinalizeAll()
	exec, err := graph.NewExec(b, func(x, y *graph.Node) *graph.Node { return graph.MatMul(x, y) })
	if err != nil {
		return res, fmt.Errorf("compute: MeasureMatMul: %w", err)
	}
	defer exec.Finalize()
	out, err := exec.Exec(tl, tr)
	if err != nil {
		return res, fmt.Errorf("compute: MeasureMatMul on %s: %w", b.Name(), err)
	}
	if err := checkFirstRow(out[0], lhs, rhs, n); err != nil {
		return res, fmt.Errorf("compute: MeasureMatMul on %s: %w", b.Name(), err)
	}
	out[0].FinalizeAll()
	start := time.Now()
	for res.Runs == 0 || time.Since(start) < minTime {
		out, err := exec.Exec(tl, tr)
		if err != nil {
			return res, fmt.Errorf("compute: MeasureMatMul on %s: %w", b.Name(), err)
		}
		out[0].FinalizeAll() // Exec returns after the device finished (PJRT awaits its events)
		res.Runs++
	}
	res.N, res.Elapsed = n, time.Since(start)
	res.GFLOPs = 2 * math.Pow(float64(n), 3) * float64(res.Runs) / res.Elapsed.Seconds() / 1e9
	return res, nil
}

// checkFirstRow compares row 0 of got with a float64 product.
func checkFirstRow(got *tensors.Tensor, lhs, rhs []float32, n int) error {
	flat, ok := got.Value().([][]float32)
	if !ok || len(flat) != n {
		return fmt.Errorf("result has shape %s, want [%d %d] float32", got.Shape(), n, n)
	}
	const tol = 1e-3 // relative; the inputs are multiples of 1/32, so float32 sums are nearly exact
	for j := range n {
		var want float64
		for k := range n {
			want += float64(lhs[k]) * float64(rhs[k*n+j])
		}
		if d := math.Abs(float64(flat[0][j]) - want); d > tol*math.Max(1, math.Abs(want)) {
			return fmt.Errorf("result[0][%d] = %g, want %g", j, flat[0][j], want)
		}
	}
	return nil
}
