package model

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/compute"
	"github.com/ifprobe/ifprobe/pkg/registry"
)

// parityFixture is written by scripts/fixtures/model/make.sh (Hugging Face
// transformers on the same GGUF, dequantized to f32).
type parityFixture struct {
	Reference   string `json:"reference"`
	ModelFile   string `json:"model_file"`
	ModelSHA256 string `json:"model_sha256"`
	Prompts     []struct {
		Kind      string      `json:"kind"`
		Text      string      `json:"text"`
		IDs       []int       `json:"ids"`
		TopIDs    [][]int     `json:"top_ids"`
		TopLogits [][]float32 `json:"top_logits"`
		Greedy    []int       `json:"greedy"`
	} `json:"prompts"`
}

func readFixture(t *testing.T, name string) *parityFixture {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "parity-"+name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var f parityFixture
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("testdata/parity-%s.json: %v", name, err)
	}
	return &f
}

var realModels sync.Map // registry name -> *Model

// realModel loads a default model installed by install.sh (pkg/registry, under
// $IFPROBE_HOME/models) on the production backend, compute.Default() (XLA CPU when
// install.sh installed its plugin, else SimpleGo; $IFPROBE_BACKEND=go forces
// SimpleGo). Missing: the test fails under CI=true and skips otherwise.
func realModel(t testing.TB, name string) *Model {
	t.Helper()
	if m, ok := realModels.Load(name); ok {
		return m.(*Model)
	}
	loc, err := registry.Resolve(name)
	if err != nil {
		msg := fmt.Sprintf("%v (install it with ./install.sh or `ifprobe models install %s`)", err, name)
		if os.Getenv("CI") == "true" && !optionalModels[name] {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	backend, info, err := compute.Default()
	if err != nil {
		t.Fatal(err)
	}
	m, err := LoadGGUF(backend, loc.Path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s on %s (%s)", name, info.Name, info.Reason)
	realModels.Store(name, m)
	return m
}

// fixtureModels maps fixture names to registry names.
var fixtureModels = map[string]string{"smollm2": "smollm2-135m-instruct", "gemma3": "gemma3-270m",
	"qwen2": "qwen2.5-coder-0.5b-instruct"}

// optionalModels are not installed by install.sh: their tests skip when the model
// is missing, even under CI=true.
var optionalModels = map[string]bool{}

// parityTolByModel bounds |our logit - HF logit| over each position's top-50.
// Both sides run f32 on identical dequantized weights; they differ only in
// summation order (HF: oneDNN/MKL sgemm; here XLA's or SimpleGo's dot products),
// RoPE table rounding and the softmax formula, which accumulate over the layers.
// The issue asks for 1e-3 relative; logits here are of magnitude 10-30, so 1e-3
// absolute is 1e-4..1e-3 relative. Measured (test log, XLA CPU): SmolLM2 max
// 8.0e-5 over 13150 logits; Gemma 3 2.1e-4 over 8150; Qwen2.5-Coder-0.5B 4.3e-5
// over 12800.
var parityTolByModel = map[string]float64{
	"smollm2": 1e-3,
	"gemma3":  1e-3,
	"qwen2":   1e-3,
}

func testParity(t *testing.T, name string) {
	fx := readFixture(t, name)
	m := realModel(t, fixtureModels[name])
	if filepath.Base(m.Source) != fx.ModelFile {
		t.Fatalf("installed %s is %s, the fixture was made from %s", fixtureModels[name], m.Source, fx.ModelFile)
	}
	tol := parityTolByModel[name]
	seqs := make([][]int, len(fx.Prompts))
	for i, p := range fx.Prompts {
		seqs[i] = p.IDs
	}
	out, err := m.Forward(seqs, ForwardOptions{})
	if err != nil {
		t.Fatal(err)
	}
	worst, sumDiff, n := 0.0, 0.0, 0
	for i, p := range fx.Prompts {
		for pos := range p.IDs {
			got := out.Logits.At(i, pos)
			best := 0
			for j := range got {
				if got[j] > got[best] {
					best = j
				}
			}
			if best != p.TopIDs[pos][0] {
				t.Errorf("prompt %d (%q) position %d: argmax %d, reference %d (ref top-2 margin %.4g)",
					i, p.Text, pos, best, p.TopIDs[pos][0], p.TopLogits[pos][0]-p.TopLogits[pos][1])
			}
			for k, id := range p.TopIDs[pos] {
				d := float64(got[id] - p.TopLogits[pos][k])
				if d < 0 {
					d = -d
				}
				sumDiff += d
				n++
				if d > worst {
					worst = d
				}
			}
		}
	}
	t.Logf("%s vs %s: max |logit diff| %.3g, mean %.3g over %d top-50 logits (tol %g)", name, fx.Reference, worst, sumDiff/float64(n), n, tol)
	if !(worst <= tol) {
		t.Errorf("max |logit diff| %.4g > tol %g", worst, tol)
	}
}

// testGreedyParity generates the fixture's 32-token greedy continuations for all
// prompts in one left-padded batch with the KV cache, and requires them identical
// to the reference's (HF with its own KV cache, argmax at every step).
func testGreedyParity(t *testing.T, name string) {
	fx := readFixture(t, name)
	m := realModel(t, fixtureModels[name])
	if filepath.Base(m.Source) != fx.ModelFile {
		t.Fatalf("installed %s is %s, the fixture was made from %s", fixtureModels[name], m.Source, fx.ModelFile)
	}
	prompts := make([][]int, len(fx.Prompts))
	for i, p := range fx.Prompts {
		prompts[i] = p.IDs
	}
	seqs, stats, err := m.Generate(prompts, GenerateOptions{MaxTokens: len(fx.Prompts[0].Greedy), IgnoreStop: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d prompts: prefill %v, %d decode steps %v", len(prompts), stats.Prefill, stats.Steps, stats.Decode)
	for i, p := range fx.Prompts {
		if !slices.Equal(seqs[i].Tokens, p.Greedy) {
			t.Errorf("prompt %d (%q): greedy continuation\n got %v\nwant %v", i, p.Text, seqs[i].Tokens, p.Greedy)
		}
	}
}

func TestParitySmolLM2(t *testing.T)       { testParity(t, "smollm2") }
func TestGreedyParitySmolLM2(t *testing.T) { testGreedyParity(t, "smollm2") }
func TestParityGemma3(t *testing.T)        { testParity(t, "gemma3") }
func TestGreedyParityGemma3(t *testing.T)  { testGreedyParity(t, "gemma3") }
func TestParityQwen2(t *testing.T)         { testParity(t, "qwen2") }
func TestGreedyParityQwen2(t *testing.T)   { testGreedyParity(t, "qwen2") }

// hiddenAtol, hiddenRtol (CompareScaled: relative to each hook point's largest
// |value|): residual streams carry a few features of magnitude 10^2..10^3, and f32
// summation-order differences scale with them, as with the logits. Measured:
// SmolLM2 max |diff| 0.023 where max|ref| is 7.9e3; Gemma 3 0.012 where it is 8.3e4.
const hiddenAtol, hiddenRtol = 1e-3, 1e-5

func TestHiddenStatesMatchReference(t *testing.T) {
	for name, reg := range fixtureModels {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", "hidden-"+name+".json")
			if _, err := os.Stat(path); err != nil {
				t.Skipf("no fixture %s (scripts/fixtures/model/make.sh)", path)
			}
			ref, err := ReadHiddenReference(path)
			if err != nil {
				t.Fatal(err)
			}
			m := realModel(t, reg)
			diffs, first, err := m.CompareHidden(ref, hiddenAtol, hiddenRtol)
			if err != nil {
				t.Fatal(err)
			}
			worst := 0.0
			for _, d := range diffs {
				worst = max(worst, d.MaxAbs)
			}
			t.Logf("%d hook points, max |diff| %.3g", len(diffs), worst)
			if first >= 0 {
				d := diffs[first]
				t.Errorf("first divergence at %s: max |diff| %.4g, max rel %.3g", d.Hook, d.MaxAbs, d.MaxRel)
			}
		})
	}
}
