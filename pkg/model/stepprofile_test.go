package model

import (
	"fmt"
	"testing"
	"time"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph-building code reads best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// The decode step's profile (BENCHMARKS.md, "Decode tokens/s by batch"): a step of batch B
// against its matrix products alone. matmulsB runs one graph holding exactly the
// step's products on the model's own weights (q, k, v, o, gate, up, down of every
// layer and the unembedding, each [B, in] x [in, out]), nothing else; decodeB
// times the decode steps of Generate. Both report GFLOP/s of
// the products (2 x parameters in products x tokens), so their ratio is the share
// of a step spent outside the products (attention over the KV cache, norms,
// rotary embeddings, the cache write, the argmax, host round trips).
//
//	IFPROBE_BACKEND=xla:cpu go test -run '^$' -bench 'SmolLM2StepProfile' -benchtime 2x ./pkg/model/

// matmulParams is the number of weights a token multiplies in one decode step.
func (m *Model) matmulParams() int {
	c := &m.Config
	per := c.DModel*c.NHeads*c.HeadDim*2 + c.DModel*c.NKVHeads*c.HeadDim*2 + 3*c.DModel*c.FFDim
	return c.NLayers*per + c.VocabSize*c.DModel
}

func benchmarkStepMatmuls(b *testing.B, batch int) {
	m := benchModel(b)
	var ws []*tensors.Tensor
	for _, bw := range m.lay.blocks {
		for _, i := range []int{bw.Q, bw.K, bw.V, bw.O, bw.Gate, bw.Up, bw.Down} {
			ws = append(ws, m.weights[i])
		}
	}
	ws = append(ws, m.weights[m.lay.unembed])
	exec, err := NewExec(m.backend, func(in []*Node) *Node {
		var sum *Node
		for _, w := range in[:len(in)-1] {
			x := in[len(in)-1]
			k := w.Shape().Dimensions[1]
			if d := x.Shape().Dimensions[1]; k != d { // down: [d, ffn]
				parts := make([]*Node, (k+d-1)/d)
				for i := range parts {
					parts[i] = x
				}
				x = SliceAxis(Concatenate(parts, 1), 1, AxisRange(0, k))
			}
			s := ReduceAllSum(DotGeneral(x, []int{1}, nil, w, []int{1}, nil))
			if sum == nil {
				sum = s
			} else {
				sum = Add(sum, s)
			}
		}
		return sum
	})
	if err != nil {
		b.Fatal(err)
	}
	defer exec.Finalize()
	x := make([]float32, batch*m.Config.DModel)
	for i := range x {
		x[i] = float32(i%7) * 0.01
	}
	args := make([]any, 0, len(ws)+1)
	for _, w := range ws {
		args = append(args, w)
	}
	args = append(args, tensors.FromFlatDataAndDimensions(x, batch, m.Config.DModel))
	step := timeExec(b, exec, args)
	b.ReportMetric(2*float64(m.matmulParams())*float64(batch)/step.Seconds()/1e9, "GFLOP/s")
	b.ReportMetric(step.Seconds()*1e3, "ms/step")
}

// timeExec runs exec on args once untimed (compilation, and the inputs to the
// device), then b.N times, and returns the mean time of a run.
func timeExec(b *testing.B, exec *Exec, args []any) time.Duration {
	if _, err := exec.Exec(args...); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	t0 := time.Now()
	for range b.N {
		out, err := exec.Exec(args...)
		if err != nil {
			b.Fatal(err)
		}
		out[0].FinalizeAll()
	}
	return time.Since(t0) / time.Duration(b.N)
}

func benchmarkDecodeProfile(b *testing.B, batch int) {
	m := benchModel(b)
	prompts := benchPrompts(batch, 32)
	opts := GenerateOptions{MaxTokens: 32, IgnoreStop: true}
	if _, _, err := m.Generate(prompts, opts); err != nil { // compile
		b.Fatal(err)
	}
	b.ResetTimer()
	var decode time.Duration
	steps := 0
	for range b.N {
		_, st, err := m.Generate(prompts, opts)
		if err != nil {
			b.Fatal(err)
		}
		decode += st.Decode
		steps += st.Steps
	}
	step := decode / time.Duration(steps)
	b.ReportMetric(2*float64(m.matmulParams())*float64(batch)/step.Seconds()/1e9, "GFLOP/s")
	b.ReportMetric(step.Seconds()*1e3, "ms/step")
	b.ReportMetric(float64(batch)/step.Seconds(), "gen_tokens/s")
}

func BenchmarkSmolLM2StepProfile(b *testing.B) {
	for _, batch := range []int{32, 128} {
		b.Run(fmt.Sprintf("matmuls%d", batch), func(b *testing.B) { benchmarkStepMatmuls(b, batch) })
		b.Run(fmt.Sprintf("decode%d", batch), func(b *testing.B) { benchmarkDecodeProfile(b, batch) })
	}
}
