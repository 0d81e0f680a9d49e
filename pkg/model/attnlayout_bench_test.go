package model

import (
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// BenchmarkDecodeAttentionLayout times the 30 layers of SmolLM2's decode
// attention alone (batch 128, 192 cache columns, 3 KV heads of 3 query heads
// each, the cache on the device) with the keys kept as [T,hd] per head (q·Kᵀ,
// the layout before colAxis) and as [hd,T] (colAxis, what the model does): the
// measurement behind colAxis (BENCHMARKS.md, "Keys transposed in the KV cache").
// Each side runs twice, alternated, against this machine's noise.
//
//	go test ./pkg/model -run '^$' -bench BenchmarkDecodeAttentionLayout -benchtime 5x
func BenchmarkDecodeAttentionLayout(b *testing.B) {
	m := benchModel(b)
	const L, B, KV, G, T, hd = 30, 128, 3, 3, 192, 64
	for _, side := range []struct {
		name      string
		keyAxis   int // the contracting axis of the keys: 3 for [T,hd], 2 for [hd,T]
		keysShape []int
	}{{"keys-T-hd", 3, []int{B, KV, T, hd}}, {"keys-hd-T", 2, []int{B, KV, hd, T}},
		{"keys-T-hd-again", 3, []int{B, KV, T, hd}}, {"keys-hd-T-again", 2, []int{B, KV, hd, T}}} {
		b.Run(side.name, func(b *testing.B) {
			exec, err := NewExec(m.backend, func(in []*Node) *Node {
				q, bias := in[0], in[1]
				for l := range L {
					keys, vals := in[2+2*l], in[3+2*l]
					scores := DotGeneral(q, []int{3}, []int{0, 1}, keys, []int{side.keyAxis}, []int{0, 1}) // [B,KV,G,T]
					scores = Add(scores, BroadcastToDims(bias, B, KV, G, T))
					e := Exp(Sub(scores, ReduceAndKeep(scores, ReduceMax, -1)))
					p := Div(e, ReduceAndKeep(e, ReduceSum, -1))
					out := DotGeneral(p, []int{3}, []int{0, 1}, vals, []int{2}, []int{0, 1}) // [B,KV,G,hd]
					q = Add(q, MulScalar(out, 1e-3))                                         // the next layer depends on this one
				}
				return ReduceAllSum(q)
			})
			if err != nil {
				b.Fatal(err)
			}
			defer exec.Finalize()
			fill := func(dims ...int) *tensors.Tensor {
				n := 1
				for _, d := range dims {
					n *= d
				}
				x := make([]float32, n)
				for i := range x {
					x[i] = float32(i%13) * 0.01
				}
				return tensors.FromFlatDataAndDimensions(x, dims...)
			}
			args := []any{fill(B, KV, G, hd), fill(B, 1, 1, T)}
			for range L {
				args = append(args, fill(side.keysShape...), fill(B, KV, T, hd))
			}
			b.ReportMetric(timeExec(b, exec, args).Seconds()*1e3, "ms/step")
		})
	}
}
