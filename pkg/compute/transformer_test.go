package compute

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/losses"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// tinyConfig sizes a decoder-only transformer built from GoMLX layers: the
// workload ifprobe's probes and small experiments put on a backend.
type tinyConfig struct {
	Vocab, Dim, Heads, Layers, FFN, Seq, Batch int
}

// fiveM has 5.0M parameters: 6 blocks of 0.79M (attention 4·256²+biases, MLP
// 2·256·1024+biases) plus token and position embeddings and the output head.
var fiveM = tinyConfig{Vocab: 1024, Dim: 256, Heads: 4, Layers: 6, FFN: 1024, Seq: 64, Batch: 8}

// modelFn returns next-token logits [batch, seq, vocab] for tokens [batch, seq].
func (c tinyConfig) modelFn(ctx *context.Context, _ any, inputs []*Node) []*Node {
	tokens := inputs[0]
	g := tokens.Graph()
	x := layers.Embedding(ctx.In("embed"), tokens, dtypes.Float32, c.Vocab, c.Dim)
	pos := ctx.In("pos").VariableWithShape("embeddings", shapes.Make(dtypes.Float32, c.Seq, c.Dim)).ValueGraph(g)
	x = Add(x, InsertAxes(pos, 0))
	for l := range c.Layers {
		h := layers.LayerNormalization(ctx.Inf("block_%d_ln1", l), x, -1).Done()
		h = layers.MultiHeadAttention(ctx.Inf("block_%d_attn", l), h, h, h, c.Heads, c.Dim/c.Heads).UseCausalMask().Done()
		x = Add(x, h)
		h = layers.LayerNormalization(ctx.Inf("block_%d_ln2", l), x, -1).Done()
		h = activations.Gelu(layers.Dense(ctx.Inf("block_%d_up", l), h, true, c.FFN))
		x = Add(x, layers.Dense(ctx.Inf("block_%d_down", l), h, true, c.Dim))
	}
	x = layers.LayerNormalization(ctx.In("final_ln"), x, -1).Done()
	return []*Node{layers.Dense(ctx.In("head"), x, false, c.Vocab)}
}

// batch returns tokens and next-token labels with a learnable pattern (each
// sequence counts up by a stride of its own), fixed by seed.
func (c tinyConfig) batch(seed int) (tokens, labels *tensors.Tensor) {
	tok := make([]int32, c.Batch*c.Seq)
	lab := make([]int32, c.Batch*c.Seq)
	for b := range c.Batch {
		stride := 1 + (b+seed)%5
		for s := range c.Seq {
			tok[b*c.Seq+s] = int32((b*31 + seed*17 + s*stride) % c.Vocab)
			lab[b*c.Seq+s] = int32((b*31 + seed*17 + (s+1)*stride) % c.Vocab)
		}
	}
	return tensors.FromFlatDataAndDimensions(tok, c.Batch, c.Seq), tensors.FromFlatDataAndDimensions(lab, c.Batch, c.Seq, 1)
}

// newTrainer builds the model, Adam and a trainer on b, seeded.
func (c tinyConfig) newTrainer(b backends.Backend, seed int64) (*train.Trainer, *context.Context, error) {
	ctx := context.New()
	if err := ctx.SetRNGStateFromSeed(seed); err != nil {
		return nil, nil, err
	}
	opt := optimizers.Adam().LearningRate(1e-3).Done()
	return train.NewTrainer(b, ctx, c.modelFn, losses.SparseCategoricalCrossEntropyLogits, opt, nil, nil), ctx, nil
}

func numParams(ctx *context.Context) int {
	n := 0
	ctx.EnumerateVariables(func(v *context.Variable) {
		if v.Trainable && v.Shape().DType.IsFloat() {
			n += v.Shape().Size()
		}
	})
	return n
}

// TestTrainStepSimpleGo runs forward+backward+Adam of a 5M-parameter transformer
// on SimpleGo as Open("go") configures it, with this package's gradients
// (WithFastGradients). With the stock DotGeneral gradient
// this needed GBs of memory, and with SimpleGo's default op scheduling it could
// deadlock; the watchdog turns a deadlock into a failure with all stacks printed
// instead of a hang until go test's global timeout. It checks that the loss of
// a fixed batch falls over three steps: the gradients point downhill.
func TestTrainStepSimpleGo(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the 5M-parameter training steps")
	}
	trainThreeSteps(t, mustGo(t))
}

// TestTrainStepXLACPU runs the same steps on the installed XLA CPU plugin: the
// replaced gradients must hold on XLA too. Without a plugin it skips, except
// under CI=true, where install.sh must have installed one.
func TestTrainStepXLACPU(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the 5M-parameter training steps")
	}
	if f := Discover(); f.CPUPlugin == "" || !f.XLACompiled {
		msg := "no XLA CPU plugin installed (run ./install.sh) or built without cgo"
		if os.Getenv("CI") == "true" && f.XLACompiled {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	b, _, err := Open("xla:cpu")
	if err != nil {
		t.Fatal(err)
	}
	trainThreeSteps(t, b)
}

// trainThreeSteps runs three forward+backward+Adam steps of the 5M-parameter
// transformer on one batch and checks the loss falls.
func trainThreeSteps(t *testing.T, b backends.Backend) {
	t.Helper()
	trainer, ctx, err := fiveM.newTrainer(b, 42)
	if err != nil {
		t.Fatal(err)
	}
	tokens, labels := fiveM.batch(0)
	done := make(chan struct{})
	var losses []float64
	go func() {
		defer close(done)
		for range 3 {
			var m []*tensors.Tensor
			var err error
			// The first step builds the training graph: with this package's gradients.
			WithFastGradients(func() { m, err = trainer.TrainStep(nil, []*tensors.Tensor{tokens}, []*tensors.Tensor{labels}) })
			if err != nil {
				t.Errorf("TrainStep: %v", err)
				return
			}
			losses = append(losses, float64(m[0].Value().(float32)))
		}
	}()
	const watchdog = 10 * time.Minute // deadlock detection, not a speed requirement
	select {
	case <-done:
	case <-time.After(watchdog):
		buf := make([]byte, 1<<20)
		t.Fatalf("training steps still running after %s (deadlock?); goroutines:\n%s", watchdog, buf[:runtime.Stack(buf, true)])
	}
	if t.Failed() {
		return
	}
	if n := numParams(ctx); n < 4_500_000 || n > 5_500_000 {
		t.Errorf("model has %d parameters, want about 5M", n)
	}
	for _, l := range losses {
		if math.IsNaN(l) || math.IsInf(l, 0) {
			t.Fatalf("losses %v: not finite", losses)
		}
	}
	// A freshly initialised model's cross-entropy over 1024 classes starts near or
	// above ln(1024) = 6.93 (7.78 here); three Adam steps on one batch must lower it.
	if !(losses[2] < losses[0]) {
		t.Errorf("losses %v: did not decrease over three steps on one batch", losses)
	}
	t.Logf("losses over 3 steps: %s", fmt.Sprint(losses))
}
