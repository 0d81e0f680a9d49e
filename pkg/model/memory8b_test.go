package model

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/compute"
)

// llama8B is the Config of Llama-3.1-8B-Instruct (testdata/hf).
func llama8B(t *testing.T) Config {
	t.Helper()
	raw, err := os.ReadFile("testdata/hf/llama-3.1-8b-instruct.json")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ConfigFromHF(raw)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestWeightMemory8B sizes Llama-3.1-8B's weights from its shape: 8.03e9
// parameters, 29.9 GiB in f32 (more than this 24 GiB machine has) and 15.0 GiB in
// bf16, and checks WeightMemory against WeightBytes of a loaded model.
func TestWeightMemory8B(t *testing.T) {
	cfg := llama8B(t)
	f32, err := WeightMemory(cfg, WeightsF32)
	if err != nil {
		t.Fatal(err)
	}
	bf16, err := WeightMemory(cfg, WeightsBF16)
	if err != nil {
		t.Fatal(err)
	}
	if const8B := int64(8_030_261_248); f32 != 4*const8B || bf16 != 2*const8B {
		t.Errorf("Llama-3.1-8B: f32 %d bytes, bf16 %d bytes; want 4 and 2 x %d parameters", f32, bf16, const8B)
	}
	t.Logf("Llama-3.1-8B: f32 %.1f GiB, bf16 %.1f GiB", float64(f32)/(1<<30), float64(bf16)/(1<<30))
	tiny := tinyConfigs()["gemma3"]
	var gen [2]float64
	for i, d := range []WeightDType{WeightsF32, WeightsBF16} {
		m, err := NewRandom(backendForTest(t), tiny, 1, LoadOptions{Weights: d})
		if err != nil {
			t.Fatal(err)
		}
		if est, _ := WeightMemory(tiny, d); est != m.WeightBytes() {
			t.Errorf("%s: WeightMemory %d, WeightBytes %d", d, est, m.WeightBytes())
		}
		gen[i] = m.GenerateMemory(4, 16, 16, nil)
		m.Close()
	}
	// bf16 generation holds one more thing: the f32 copy of the largest weight,
	// here the [vocab, d_model] embedding.
	if extra := gen[1] - gen[0]; extra != float64(4*tiny.VocabSize*tiny.DModel) {
		t.Errorf("GenerateMemory bf16 - f32 = %g bytes, want the f32 embedding's %d", extra, 4*tiny.VocabSize*tiny.DModel)
	}
}

// envBench8B runs TestRandomLlama8BShape: "LAYERS:WEIGHTS", e.g. "1:bf16", builds
// Llama-3.1-8B's shape with its first LAYERS blocks (its whole vocabulary and
// width) from random weights kept as WEIGHTS on the production backend, and logs
// the weights' bytes, the process's peak memory and batch-1 throughput. One
// configuration per process, so that the peak is its own (BENCHMARKS.md, "bf16
// and f16 weights").
const envBench8B = "IFPROBE_BENCH_8B"

func TestRandomLlama8BShape(t *testing.T) {
	spec := os.Getenv(envBench8B)
	if spec == "" {
		t.Skipf("set %s=LAYERS:WEIGHTS (e.g. 1:bf16) to measure an 8B-shaped model", envBench8B)
	}
	ls, ws, _ := strings.Cut(spec, ":")
	layers, err := strconv.Atoi(ls)
	if err != nil || layers < 1 || layers > 32 {
		t.Fatalf("%s=%q: LAYERS in [1, 32]", envBench8B, spec)
	}
	w, err := ParseWeightDType(envBench8B, ws)
	if err != nil {
		t.Fatal(err)
	}
	cfg := llama8B(t)
	cfg.NLayers = layers
	cfg.SlidingLayers = nil
	backend, info, err := compute.Default()
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewRandom(backend, cfg, 1, LoadOptions{Weights: w})
	if err != nil {
		t.Fatal(err)
	}
	loaded := vmHWM(t)
	tp, err := m.MeasureThroughput(1, 64, 16, 1)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("8B shape, %d layers, %s on %s: %d parameters, weights %.0f MiB, peak RSS after load %.0f MiB, after the run %.0f MiB, prefill %.1f tok/s, decode %.2f tok/s\n",
		layers, w, info.Name, m.Params(), float64(m.WeightBytes())/(1<<20), loaded, vmHWM(t), tp.Prefill, tp.Decode)
}

// vmHWM is this process's peak resident memory in MiB (Linux).
func vmHWM(t *testing.T) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}
