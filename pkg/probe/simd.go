package probe

import "gonum.org/v1/gonum/floats"

// Kernels used by the solver; simd_amd64.go replaces them with AVX2 + FMA
// versions where the CPU has both. kernelName says which are in use.
var (
	dotKernel  = floats.Dot
	axpyKernel = func(a float64, x, y []float64) { floats.AddScaled(y, a, x) }
	dot4Kernel = dot4Go
	kernelName = "gonum"
)

// dot4Go returns the dot products of b with a0..a3 (each at least len(b) long)
// in one pass over b.
func dot4Go(a0, a1, a2, a3, b []float64) (s0, s1, s2, s3 float64) {
	a0, a1, a2, a3 = a0[:len(b)], a1[:len(b)], a2[:len(b)], a3[:len(b)]
	for i, v := range b {
		s0 += a0[i] * v
		s1 += a1[i] * v
		s2 += a2[i] * v
		s3 += a3[i] * v
	}
	return s0, s1, s2, s3
}

// KernelName says which numeric kernels the solver uses: "avx2-fma" or "gonum".
func KernelName() string { return kernelName }
