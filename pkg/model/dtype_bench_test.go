package model

import (
	"fmt"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/dtypes/bfloat16"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph-building code reads best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/ifprobe/ifprobe/pkg/compute"
)

// BenchmarkMLPWeights times SmolLM2-135M's 30 MLPs (gate, up, down: 80M of its
// 135M parameters) on the production backend, four ways: f32 weights; bf16
// weights converted to f32 just before each product (what --weights bf16 does,
// builder.matrix); the same conversion without its dependency on the product's
// input, which XLA CPU hoists to the start of the graph; and bf16 products
// (activations rounded to bf16, the product's bf16 output widened), the compute
// type a bf16 model could use instead. Batch 1 is a decode step at
// batch 1 (matrix-vector products, memory-bound); 64 and 256 are decode steps of
// the dataset stage's continuous batches (compute-bound).
//
//	go test ./pkg/model -run '^$' -bench BenchmarkMLPWeights -benchtime 3s
func BenchmarkMLPWeights(b *testing.B) {
	backend, _, err := compute.Default()
	if err != nil {
		b.Fatal(err)
	}
	const L, D, F = 30, 576, 1536
	for _, mode := range []string{"f32", "bf16-weights", "bf16-unordered", "bf16-products"} {
		var ws []any
		for i := 0; i < 3*L; i++ {
			shape := []int{F, D}
			if i%3 == 2 {
				shape = []int{D, F}
			}
			v := make([]float32, shape[0]*shape[1])
			for j := range v {
				v[j] = float32(j%7-3) * 0.01
			}
			if mode == "f32" {
				ws = append(ws, tensors.FromFlatDataAndDimensions(v, shape...))
				continue
			}
			h := make([]bfloat16.BFloat16, len(v))
			for j := range v {
				h[j] = bfloat16.FromFloat32(v[j])
			}
			ws = append(ws, tensors.FromFlatDataAndDimensions(h, shape...))
		}
		exec := MustNewExec(backend, func(in []*Node) *Node {
			lin := func(x, w *Node) *Node {
				switch mode {
				case "bf16-weights":
					w = after(ConvertDType(w, dtypes.Float32), x)
				case "bf16-unordered":
					w = ConvertDType(w, dtypes.Float32)
				case "bf16-products":
					return ConvertDType(DotGeneral(ConvertDType(x, dtypes.BFloat16), []int{1}, nil, w, []int{1}, nil), dtypes.Float32)
				}
				return DotGeneral(x, []int{1}, nil, w, []int{1}, nil)
			}
			h := in[0]
			for l := 0; l < L; l++ {
				g, u := lin(h, in[1+3*l]), lin(h, in[2+3*l])
				h = Add(h, MulScalar(lin(Mul(g, u), in[3+3*l]), 0.001))
			}
			return h
		})
		for _, B := range []int{1, 64, 256} {
			x := make([]float32, B*D)
			for j := range x {
				x[j] = float32(j%5) * 0.1
			}
			args := append([]any{tensors.FromFlatDataAndDimensions(x, B, D)}, ws...)
			b.Run(fmt.Sprintf("%s/batch=%d", mode, B), func(b *testing.B) {
				exec.MustExec(args...)[0].FinalizeAll() // compile
				b.ResetTimer()
				for range b.N {
					exec.MustExec(args...)[0].FinalizeAll()
				}
				b.ReportMetric(float64(B*b.N)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}
