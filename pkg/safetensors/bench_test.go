package safetensors

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkEncodeFloat32 measures float32 -> F32/F16/BF16 encoding of a 34,560-value
// row (30 layers × 2 positions × d_model 576), the Writer's per-example work in pkg/acts.
func BenchmarkEncodeFloat32(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	src := make([]float32, 30*2*576)
	for i := range src {
		src[i] = float32(rng.NormFloat64() * 4)
	}
	for _, dt := range []DType{F32, F16, BF16} {
		b.Run(string(dt), func(b *testing.B) {
			dst := make([]byte, 0, len(src)*dt.Size())
			b.SetBytes(int64(len(src) * 4))
			for b.Loop() {
				dst, _ = EncodeFloat32(dst[:0], src, dt)
			}
		})
	}
}
