package model

import (
	"os"
	"sync"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/compute"
)

// EnvBenchWeights selects the weights the SmolLM2 benchmarks run on: unset or
// "installed" means the installed GGUF (realModel); "random" means random weights
// in SmolLM2-135M's exact shape, read from testdata/hf/smollm2-135m-instruct.json.
// Throughput does not depend on the weights' values (benchmarks never stop at EOS),
// so "random" measures the same work where the 98 MB model file cannot travel, as
// on the lent GPU machine (BENCHMARKS.md, "GPU").
const envBenchWeights = "IFPROBE_BENCH_WEIGHTS"

var randomSmolLM2 = sync.OnceValues(func() (*Model, error) {
	raw, err := os.ReadFile("testdata/hf/smollm2-135m-instruct.json")
	if err != nil {
		return nil, err
	}
	cfg, err := ConfigFromHF(raw)
	if err != nil {
		return nil, err
	}
	w, err := RandomWeights(cfg, 7)
	if err != nil {
		return nil, err
	}
	backend, _, err := compute.Default()
	if err != nil {
		return nil, err
	}
	return New(backend, cfg, w)
})

// benchModel is the model the SmolLM2 throughput benchmarks run (see envBenchWeights).
func benchModel(b testing.TB) *Model {
	b.Helper()
	switch w := os.Getenv(envBenchWeights); w {
	case "", "installed":
		return realModel(b, "smollm2-135m-instruct")
	case "random":
		m, err := randomSmolLM2()
		if err != nil {
			b.Fatalf("%s=random: %v", envBenchWeights, err)
		}
		return m
	default:
		b.Fatalf("%s=%q: want installed or random", envBenchWeights, w)
		return nil
	}
}

// Batch-32 workloads: the dataset step's batch on a GPU, where batch 1 and 8
// leave most of the device idle.
func BenchmarkSmolLM2Prefill32x64(b *testing.B) { benchmarkPrefill(b, 32, 64) }
func BenchmarkSmolLM2Decode32(b *testing.B)     { benchmarkDecode(b, 32, 32, false) }

// Large-batch decode: the dataset stage's continuous batches on the CPU (issue 14).
func BenchmarkSmolLM2Decode64(b *testing.B)  { benchmarkDecode(b, 64, 32, false) }
func BenchmarkSmolLM2Decode128(b *testing.B) { benchmarkDecode(b, 128, 32, false) }
func BenchmarkSmolLM2Decode256(b *testing.B) { benchmarkDecode(b, 256, 32, false) }
