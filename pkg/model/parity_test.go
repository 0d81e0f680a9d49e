package model

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
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

var realModels sync.Map // file name -> *Model

// realModel loads a default model's GGUF file. It looks in $IFPROBE_TEST_MODEL_DIR,
// then $IFPROBE_HOME/models (default ~/.cache/ifprobe/models), where install.sh
// puts the default models. Missing: the test fails under CI=true, else skips.
func realModel(t *testing.T, file string) *Model {
	t.Helper()
	if m, ok := realModels.Load(file); ok {
		return m.(*Model)
	}
	var dirs []string
	if d := os.Getenv("IFPROBE_TEST_MODEL_DIR"); d != "" {
		dirs = append(dirs, d)
	}
	home := os.Getenv("IFPROBE_HOME")
	if home == "" {
		if h, err := os.UserHomeDir(); err == nil {
			home = filepath.Join(h, ".cache", "ifprobe")
		}
	}
	dirs = append(dirs, filepath.Join(home, "models"))
	for _, d := range dirs {
		p := filepath.Join(d, file)
		if _, err := os.Stat(p); err != nil {
			continue
		}
		m, err := LoadGGUF(backendForTest(t), p)
		if err != nil {
			t.Fatal(err)
		}
		realModels.Store(file, m)
		return m
	}
	msg := "model file " + file + " not found in " + filepath.Join(home, "models") + " or $IFPROBE_TEST_MODEL_DIR: run ./install.sh"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return nil
}

// parityTolByModel bounds |our logit - HF logit| over each position's top-50.
// Both sides run f32 on identical dequantized weights; they differ only in
// summation order (HF: oneDNN/MKL sgemm; here SimpleGo's blocked dot products),
// RoPE table rounding and the softmax formula, which accumulate over the layers.
// The issue asks for 1e-3 relative; logits here are of magnitude 10-30, so 1e-3
// absolute is 1e-4..1e-3 relative. Measured (test log): SmolLM2 max 8.0e-5 over
// 13150 logits.
var parityTolByModel = map[string]float64{
	"smollm2": 1e-3,
	"gemma3":  1e-3,
}

func testParity(t *testing.T, name string) {
	fx := readFixture(t, name)
	m := realModel(t, fx.ModelFile)
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

func TestParitySmolLM2(t *testing.T) { testParity(t, "smollm2") }
