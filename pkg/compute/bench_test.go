package compute

import (
	"fmt"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"gonum.org/v1/gonum/mat"
)

// Benchmarks run every backend this machine can open (compute.Available) next
// to a peer measured in the same run: gonum's float64 Dense.Mul for matmuls, and
// SimpleGo with GoMLX's stock gradients for the training step. BENCHMARKS.md,
// "Backends", has the numbers and the command:
//
//	go test -run '^$' -bench . -benchtime 2s ./pkg/compute

var matMulSizes = []int{128, 512, 1024}

func openAll(b *testing.B) (names []string, bks []backends.Backend) {
	b.Helper()
	for _, c := range Available() {
		bk, _, err := OpenCandidate(c)
		if err != nil {
			b.Logf("skipping %s: %v", c.Kind, err)
			continue
		}
		names, bks = append(names, string(c.Kind)), append(bks, bk)
	}
	return names, bks
}

// BenchmarkMatMul: f32 [n,n]·[n,n] on each backend, and gonum f64 as the peer.
// Metric: GFLOP/s (2n³ per product).
func BenchmarkMatMul(b *testing.B) {
	names, bks := openAll(b)
	for _, n := range matMulSizes {
		for i, bk := range bks {
			b.Run(fmt.Sprintf("%s/n=%d", names[i], n), func(b *testing.B) { benchMatMul(b, bk, n) })
		}
		b.Run(fmt.Sprintf("gonum-f64/n=%d", n), func(b *testing.B) { benchGonum(b, n) })
	}
}

func benchMatMul(b *testing.B, bk backends.Backend, n int) {
	x := make([]float32, n*n)
	for i := range x {
		x[i] = float32(i%13-6) / 8
	}
	t := tensors.FromFlatDataAndDimensions(x, n, n)
	e, err := graph.NewExec(bk, func(x, y *graph.Node) *graph.Node { return graph.MatMul(x, y) })
	if err != nil {
		b.Fatal(err)
	}
	defer e.Finalize()
	if _, err := e.Exec(t, t); err != nil { // compile and move the operand to the device
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		out, err := e.Exec(t, t)
		if err != nil {
			b.Fatal(err)
		}
		out[0].FinalizeAll()
	}
	b.ReportMetric(2*float64(n)*float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func benchGonum(b *testing.B, n int) {
	x := make([]float64, n*n)
	for i := range x {
		x[i] = float64(i%13-6) / 8
	}
	m := mat.NewDense(n, n, x)
	var dst mat.Dense
	for b.Loop() {
		dst.Mul(m, m)
	}
	b.ReportMetric(2*float64(n)*float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkForward: the 5M-parameter transformer of transformer_test.go on 8
// sequences of 64 tokens. Metric: tokens/s.
func BenchmarkForward(b *testing.B) {
	names, bks := openAll(b)
	for i, bk := range bks {
		b.Run(names[i], func(b *testing.B) {
			ctx := context.New()
			if err := ctx.SetRNGStateFromSeed(1); err != nil {
				b.Fatal(err)
			}
			e, err := context.NewExec(bk, ctx, func(ctx *context.Context, tokens *graph.Node) *graph.Node {
				return fiveM.modelFn(ctx, nil, []*graph.Node{tokens})[0]
			})
			if err != nil {
				b.Fatal(err)
			}
			tokens, _ := fiveM.batch(0)
			if _, err := e.Exec(tokens); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				out, err := e.Exec(tokens)
				if err != nil {
					b.Fatal(err)
				}
				out[0].FinalizeAll()
			}
			b.ReportMetric(float64(fiveM.Batch*fiveM.Seq*b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

// BenchmarkTrainStep: forward, backward and Adam on the 5M-parameter
// transformer, with this package's gradients (WithFastGradients). The peer
// go-stock-vjp is SimpleGo with GoMLX's own DotGeneral, Dot and Slice
// gradients. Metric: s/step.
func BenchmarkTrainStep(b *testing.B) {
	names, bks := openAll(b)
	for i, bk := range bks {
		b.Run(names[i], func(b *testing.B) { benchTrainStep(b, bk, true) })
	}
	b.Run("go-stock-vjp", func(b *testing.B) { benchTrainStep(b, mustGo(b), false) })
}

func benchTrainStep(b *testing.B, bk backends.Backend, fast bool) {
	trainer, _, err := fiveM.newTrainer(bk, 42)
	if err != nil {
		b.Fatal(err)
	}
	tokens, labels := fiveM.batch(0)
	step := func() {
		if _, err := trainer.TrainStep(nil, []*tensors.Tensor{tokens}, []*tensors.Tensor{labels}); err != nil {
			b.Fatal(err)
		}
	}
	if fast {
		WithFastGradients(step) // compile with this package's gradients
	} else {
		step() // compile with GoMLX's
	}
	b.ResetTimer()
	for b.Loop() {
		step()
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/step")
}
