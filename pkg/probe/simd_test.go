package probe

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/floats"
)

// The kernels in use (AVX2 + FMA where available) agree with gonum's on every
// length, including the tails that do not fill a vector register.
func TestKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	vec := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		return v
	}
	const tol = 1e-12 // only the summation order differs
	for n := 1; n <= 70; n++ {
		x, y := vec(n), vec(n)
		if got, want := dotKernel(x, y), floats.Dot(x, y); math.Abs(got-want) > tol*float64(n) {
			t.Errorf("%s dot n=%d: %v, gonum %v", kernelName, n, got, want)
		}
		y2 := append([]float64(nil), y...)
		axpyKernel(0.37, x, y)
		floats.AddScaled(y2, 0.37, x)
		for i := range y {
			if math.Abs(y[i]-y2[i]) > tol {
				t.Fatalf("%s axpy n=%d: element %d: %v, gonum %v", kernelName, n, i, y[i], y2[i])
			}
		}
		a := [4][]float64{vec(n + 3), vec(n), vec(n + 1), vec(n)}
		s := [4]float64{}
		s[0], s[1], s[2], s[3] = dot4Kernel(a[0], a[1], a[2], a[3], x)
		for k := range a {
			if want := floats.Dot(a[k][:n], x); math.Abs(s[k]-want) > tol*float64(n) {
				t.Errorf("%s dot4 n=%d column %d: %v, gonum %v", kernelName, n, k, s[k], want)
			}
		}
	}
	t.Logf("kernels: %s", kernelName)
}
