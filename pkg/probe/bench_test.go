package probe_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/probe"
	"gonum.org/v1/gonum/mat"
)

// anisotropic returns n rows of d features mixed from a 32-dimensional latent
// with a power-law spectrum plus noise, and labels from a noisy linear readout:
// a small stand-in for residual-stream activations.
func anisotropic(n, d int, seed uint64) probe.Dataset {
	rng := rand.New(rand.NewPCG(seed, 3))
	const k = 32
	mix := mat.NewDense(k, d, nil)
	for i := 0; i < k; i++ {
		for j := 0; j < d; j++ {
			mix.Set(i, j, 3/math.Sqrt(1+float64(i))*rng.NormFloat64())
		}
	}
	z := mat.NewDense(n, k, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < k; j++ {
			z.Set(i, j, rng.NormFloat64())
		}
	}
	x := mat.NewDense(n, d, nil)
	x.Mul(z, mix)
	y := make([]int, n)
	groups := make([]int, n)
	for i := 0; i < n; i++ {
		row := x.RawRowView(i)
		var s float64
		for j := range row {
			row[j] += rng.NormFloat64()
			s += row[j] / math.Sqrt(float64(d))
		}
		if s/3+rng.NormFloat64() > 0 {
			y[i] = 1
		}
		groups[i] = i / 2
	}
	return probe.Dataset{Name: fmt.Sprintf("n%d-d%d", n, d), X: x, Y: y, Groups: groups}
}

// benchmarkEvaluate times a 5-fold grouped CV (5 fits, no CIs) on one problem.
func benchmarkEvaluate(b *testing.B, n, d int, solver string) {
	ds := anisotropic(n, d, 1)
	cv := probe.CVParams{Probe: probe.DefaultParams(), SkipCI: true}
	cv.Probe.Solver, cv.Probe.Backend = solver, "go"
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := cv.Evaluate(ds); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(5*b.N)/b.Elapsed().Seconds(), "fits/s")
}

func BenchmarkEvaluateLBFGS_n2000_d64(b *testing.B) {
	benchmarkEvaluate(b, 2000, 64, probe.SolverLBFGS)
}
func BenchmarkEvaluateLBFGS_n2000_d576(b *testing.B) {
	benchmarkEvaluate(b, 2000, 576, probe.SolverLBFGS)
}
func BenchmarkEvaluateNewton_n2000_d64(b *testing.B) {
	benchmarkEvaluate(b, 2000, 64, probe.SolverNewtonGoMLX)
}
func BenchmarkEvaluateNewton_n2000_d576(b *testing.B) {
	benchmarkEvaluate(b, 2000, 576, probe.SolverNewtonGoMLX)
}

// The text baseline's shape: few rows, many features (pkg/textfeat), where the
// preconditioner works through the rows (Woodbury) rather than a d×d factor.
func BenchmarkEvaluateLBFGS_n40_d2600(b *testing.B) {
	benchmarkEvaluate(b, 40, 2600, probe.SolverLBFGS)
}
func BenchmarkEvaluateKernel_n40_d2600(b *testing.B) {
	benchmarkEvaluate(b, 40, 2600, probe.SolverNewtonKernel)
}

// The standard profile's text baseline (150 rows a task) and activation grid
// (150 rows, SmolLM2's 576 features), each with both solvers.
func BenchmarkEvaluateLBFGS_n150_d2600(b *testing.B) {
	benchmarkEvaluate(b, 150, 2600, probe.SolverLBFGS)
}
func BenchmarkEvaluateKernel_n150_d2600(b *testing.B) {
	benchmarkEvaluate(b, 150, 2600, probe.SolverNewtonKernel)
}
func BenchmarkEvaluateLBFGS_n150_d576(b *testing.B) {
	benchmarkEvaluate(b, 150, 576, probe.SolverLBFGS)
}
func BenchmarkEvaluateKernel_n150_d576(b *testing.B) {
	benchmarkEvaluate(b, 150, 576, probe.SolverNewtonKernel)
}
func BenchmarkEvaluateLBFGS_n40_d576(b *testing.B) {
	benchmarkEvaluate(b, 40, 576, probe.SolverLBFGS)
}
func BenchmarkEvaluateKernel_n40_d576(b *testing.B) {
	benchmarkEvaluate(b, 40, 576, probe.SolverNewtonKernel)
}
