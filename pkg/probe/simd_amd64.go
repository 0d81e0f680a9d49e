package probe

import "golang.org/x/sys/cpu"

// The solver's inner loops are dot products and axpys over activation rows and
// Gram columns. gonum's assembly kernels use SSE2 (two doubles per instruction);
// on CPUs with AVX2 and FMA these kernels do four per fused instruction with four
// independent accumulators. The results differ from gonum's only by summation
// order.

//go:noescape
func dotAVX2(x, y []float64) float64

//go:noescape
func axpyAVX2(a float64, x, y []float64)

//go:noescape
func dot4AVX2(a0, a1, a2, a3, b []float64) (s0, s1, s2, s3 float64)

func init() {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		dotKernel = func(x, y []float64) float64 {
			_ = y[:len(x)] // bounds check: the assembly trusts len(x)
			return dotAVX2(x, y)
		}
		axpyKernel = func(a float64, x, y []float64) {
			_ = y[:len(x)]
			axpyAVX2(a, x, y)
		}
		dot4Kernel = func(a0, a1, a2, a3, b []float64) (float64, float64, float64, float64) {
			n := len(b)
			_, _, _, _ = a0[:n], a1[:n], a2[:n], a3[:n]
			return dot4AVX2(a0, a1, a2, a3, b)
		}
		kernelName = "avx2-fma"
	}
}
