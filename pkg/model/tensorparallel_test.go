package model

import (
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/distributed"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/ifprobe/ifprobe/pkg/compute"
)

// TestTensorParallelForwardPrototype is the prototype of docs/tensor-parallel.md:
// the forward graph of a model, unchanged, compiled by GoMLX's AutoSharding
// (XLA's Shardy partitioner) over two XLA CPU host devices with the weights
// sharded Megatron-style (q, k, v, gate and up by output rows, that is by
// attention head and MLP column; attn_output and ffn_down by input columns;
// everything else replicated). Shardy inserts the collectives; the logits equal
// one device's to batchTol (the all-reduce adds the two halves' partial products
// in another order than one device's matrix product does). It runs in a child
// process with two host devices (runDevicesChild).
func TestTensorParallelForwardPrototype(t *testing.T) {
	if os.Getenv(envDevicesChild) == "" {
		runDevicesChild(t, "TestTensorParallelForwardPrototype")
		return
	}
	backend, _, err := compute.Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg := tinyConfigs()["llama"] // 4 heads, 2 KV heads, FFDim 48: every sharded axis splits in two
	w, err := RandomWeights(cfg, 5)
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(backend, cfg, w)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(9, 1))
	seqs := [][]int{randomTokens(rng, 9, cfg.VocabSize), randomTokens(rng, 5, cfg.VocabSize)}
	want, err := m.Forward(seqs, ForwardOptions{})
	if err != nil {
		t.Fatal(err)
	}

	mesh, err := distributed.NewDeviceMesh([]int{2}, []string{"model"})
	if err != nil {
		t.Fatal(err)
	}
	byRows, _ := distributed.BuildSpec(mesh).S("model").R().Done()
	byCols, _ := distributed.BuildSpec(mesh).R().S("model").Done()
	prog := &program{kind: progForward, logits: logitsAll, attnBlock: m.attnBlock}
	var specs []*distributed.ShardingSpec
	shards := [2][]any{}
	for _, s := range m.lay.specs {
		data, spec := w[s.Name], (*distributed.ShardingSpec)(nil)
		switch {
		case len(s.Shape) == 2 && strings.HasSuffix(s.Name, "attn_output.weight"),
			len(s.Shape) == 2 && strings.HasSuffix(s.Name, "ffn_down.weight"):
			spec = byCols
		case len(s.Shape) == 2 && strings.Contains(s.Name, "blk.") && !strings.Contains(s.Name, "norm"):
			spec = byRows
		}
		specs = append(specs, spec)
		for d := range 2 {
			shards[d] = append(shards[d], shardOf(data, s.Shape, spec, d))
		}
	}
	for d := range 2 {
		in, err := m.newForward(seqs, 9)
		if err != nil {
			t.Fatal(err)
		}
		args, err := m.runArgs(prog, in, nil)
		if err != nil {
			t.Fatal(err)
		}
		shards[d] = append(shards[d], args[len(m.weights):]...)
	}
	for range len(shards[0]) - len(specs) {
		specs = append(specs, nil)
	}
	exec, err := graph.NewExec(backend, graphFn(&m.Config, m.lay, prog))
	if err != nil {
		t.Fatal(err)
	}
	exec.AutoSharding(mesh).WithInputShardingSpecs(specs...)
	outs, err := exec.Exec(append(shards[0], shards[1]...)...)
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 2 {
		t.Fatalf("%d outputs, want the logits on each of 2 devices", len(outs))
	}
	for d, o := range outs {
		got := tensors.MustCopyFlatData[float32](o)
		diff := MaxAbsDiff(got, want.Logits.Data)
		t.Logf("tensor-parallel prototype: device %d's logits differ from one device's by at most %g", d, diff)
		if len(got) != len(want.Logits.Data) || !(diff <= batchTol) {
			t.Errorf("device %d: %d logits differing by %g, want %d within %g", d, len(got), diff, len(want.Logits.Data), batchTol)
		}
	}
}

// shardOf is device d's half of a row-major tensor split by spec (nil: all of it).
func shardOf(data []float32, shape []int, spec *distributed.ShardingSpec, d int) *tensors.Tensor {
	if spec == nil {
		return tensors.FromFlatDataAndDimensions(append([]float32(nil), data...), shape...)
	}
	rows, cols := shape[0], shape[1]
	if spec.IsReplicated() {
		return tensors.FromFlatDataAndDimensions(append([]float32(nil), data...), shape...)
	}
	if spec.NumDevicesShardingAxis(0) == 2 {
		h := rows / 2
		return tensors.FromFlatDataAndDimensions(append([]float32(nil), data[d*h*cols:(d+1)*h*cols]...), h, cols)
	}
	h := cols / 2
	out := make([]float32, 0, rows*h)
	for r := range rows {
		out = append(out, data[r*cols+d*h:r*cols+(d+1)*h]...)
	}
	return tensors.FromFlatDataAndDimensions(out, rows, h)
}
