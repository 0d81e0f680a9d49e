package model

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ifprobe/ifprobe/internal/testfiles"

	"github.com/ifprobe/ifprobe/pkg/compute"
	"github.com/ifprobe/ifprobe/pkg/registry"
	"github.com/ifprobe/ifprobe/pkg/safetensors"
)

// hfTinyFamilies are the checkpoints of testdata/hf-tiny, written by
// scripts/fixtures/model/make_hf_tiny.sh with transformers' own model classes
// (llama is stored in bf16, the others in f32).
var hfTinyFamilies = []string{"llama", "qwen2", "gemma2", "gemma3"}

// hfTinyLogitTol bounds |Go - transformers| per logit. Both run the same f32
// weights (bf16 converts to f32 exactly) in f32; the difference is rounding from
// another summation order over d_model 32, a few layers and logits of magnitude
// below 10: at most 8e-6 measured (SimpleGo and XLA CPU), so 1e-4 leaves an order
// of magnitude of margin while a real mistake (a wrong norm, rope band or mask)
// moves logits by 1e-2 or more.
const hfTinyLogitTol = 1e-4

// hfTinyReference is reference.json of one tiny checkpoint.
type hfTinyReference struct {
	Family       string `json:"family"`
	Class        string `json:"class"`
	SavedDType   string `json:"saved_dtype"`
	Transformers string `json:"transformers"`
	Prompts      []struct {
		IDs         []int     `json:"ids"`
		LogitsShape []int     `json:"logits_shape"`
		Logits      []float32 `json:"logits"`
		Greedy      []int     `json:"greedy"`
	} `json:"prompts"`
}

func hfTinyDir(family string) string { return filepath.Join("testdata", "hf-tiny", family) }

func readHFTinyReference(t *testing.T, family string) *hfTinyReference {
	t.Helper()
	return readHFTinyFile(t, family, "reference.json")
}

// readHFTinyFile reads one of a tiny checkpoint's transformers references.
func readHFTinyFile(t *testing.T, family, name string) *hfTinyReference {
	t.Helper()
	path := filepath.Join(hfTinyDir(family), name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r hfTinyReference
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &r
}

// TestLoadHFTiny loads each tiny checkpoint and compares every logit and the greedy
// continuation with transformers' (reference.json), one prompt at a time and as
// a left-padded batch, on SimpleGo and on the production backend (testBackends).
func TestLoadHFTiny(t *testing.T) {
	for bname, b := range testBackends(t) {
		for _, fam := range hfTinyFamilies {
			t.Run(bname+"/"+fam, func(t *testing.T) {
				ref := readHFTinyReference(t, fam)
				m, err := LoadHF(b, hfTinyDir(fam))
				if err != nil {
					t.Fatal(err)
				}
				checkAgainstReference(t, m, ref)
			})
		}
	}
}

func checkLogits(t *testing.T, what string, got *Acts, row int, shape []int, want []float32) {
	t.Helper()
	if len(shape) != 2 || got.Len(row) != shape[0] || got.Width != shape[1] {
		t.Fatalf("%s: logits %dx%d, reference %v", what, got.Len(row), got.Width, shape)
	}
	worst := 0.0
	for pos := 0; pos < shape[0]; pos++ {
		worst = max(worst, MaxAbsDiff(got.At(row, pos), want[pos*shape[1]:(pos+1)*shape[1]]))
	}
	if !(worst <= hfTinyLogitTol) {
		t.Errorf("%s: max |logit - transformers| = %.3g > %g", what, worst, hfTinyLogitTol)
	}
}

// TestLoadHFTinyConfig checks that each tiny config.json (transformers 5.x
// spelling: rope_parameters, layer_types) reached the Config: values the fixture
// script chose, so nothing fell back to a default silently.
func TestLoadHFTinyConfig(t *testing.T) {
	b, _, err := compute.Open("go")
	if err != nil {
		t.Fatal(err)
	}
	load := func(fam string) Config {
		m, err := LoadHF(b, hfTinyDir(fam))
		if err != nil {
			t.Fatal(err)
		}
		return m.Config
	}
	// Values from scripts/fixtures/model/hf_tiny.py.
	l := load("llama")
	if l.Tied || l.NKVHeads != 2 || l.RopeScaling == nil || l.RopeScaling.Factor != 8 || len(l.RopeFreqFactors) != 4 {
		t.Errorf("llama: %+v", l)
	}
	// Bands at head_dim 8, base 1e4, original length 64: wavelength 6.3 < 16 kept,
	// 63 in [16, 64] interpolated, 628 and 6283 > 64 divided by the factor 8.
	if f := l.RopeFreqFactors; f[0] != 1 || !(f[1] > 1 && f[1] < 8) || f[2] != 8 || f[3] != 8 {
		t.Errorf("llama rope factors %v", f)
	}
	q := load("qwen2")
	if !q.Tied || !q.QKVBias || q.RopeBase != 1e6 || slices.Contains(q.SlidingLayers, true) {
		t.Errorf("qwen2: %+v", q)
	}
	g2 := load("gemma2")
	if g2.AttnSoftcap != 2 || g2.FinalSoftcap != 3 || g2.SlidingWindow != 4 || !slices.Equal(g2.SlidingLayers, []bool{true, false}) ||
		math.Abs(g2.AttnScale-1/math.Sqrt(24)) > 1e-15 || !g2.NormAddOne || !g2.Tied {
		t.Errorf("gemma2: %+v", g2)
	}
	g3 := load("gemma3")
	if !g3.QKNorm || g3.RopeBase != 1e6 || g3.RopeBaseLocal != 1e4 || g3.RopeLinearFactor != 2 || g3.SlidingWindow != 4 ||
		!slices.Equal(g3.SlidingLayers, []bool{true, false, true}) || math.Abs(g3.AttnScale-1/math.Sqrt(20)) > 1e-15 || !g3.NormAddOne {
		t.Errorf("gemma3: %+v", g3)
	}
}

// copyHFTiny copies a tiny checkpoint into a temporary directory.
func copyHFTiny(t *testing.T, fam string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(hfTinyDir(fam))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(hfTinyDir(fam), e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// rewriteCheckpoint rewrites dir/model.safetensors in dtype dt after edit, which
// may change, add or delete tensors (values keyed by name, shapes beside).
func rewriteCheckpoint(t *testing.T, dir string, dt safetensors.DType, edit func(vals map[string][]float32, shapes map[string][]int)) {
	t.Helper()
	path := filepath.Join(dir, safetensors.SingleFile)
	ck, err := safetensors.OpenCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	vals, shapes := map[string][]float32{}, map[string][]int{}
	for _, n := range ck.Names() {
		info, _ := ck.Info(n)
		if vals[n], err = ck.Float32(n, nil); err != nil {
			t.Fatal(err)
		}
		shapes[n] = info.Shape
	}
	ck.Close()
	edit(vals, shapes)
	var ts []safetensors.Tensor
	for n, v := range vals {
		tn, err := safetensors.NewTensor(n, dt, shapes[n], v)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, tn)
	}
	if err := safetensors.WriteFile(path, ts, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
}

// TestLoadHFErrors: a wrong shape, a missing tensor, an unsupported dtype and a
// corrupt config.json or generation_config.json each fail with an error naming the
// file and the tensor or field.
func TestLoadHFErrors(t *testing.T) {
	b, _, err := compute.Open("go")
	if err != nil {
		t.Fatal(err)
	}
	const kProj = "model.layers.1.self_attn.k_proj.weight"
	const upProj = "model.layers.0.mlp.up_proj.weight"
	cases := []struct {
		name    string
		fam     string
		corrupt func(t *testing.T, dir string)
		want    []string // substrings of the error; "DIR" is the checkpoint directory
	}{
		{"wrong shape", "qwen2", func(t *testing.T, dir string) { // 0
			rewriteCheckpoint(t, dir, safetensors.F32, func(v map[string][]float32, s map[string][]int) {
				v[kProj] = v[kProj][:len(v[kProj])-32] // one row fewer
				s[kProj] = []int{s[kProj][0] - 1, s[kProj][1]}
			})
		}, []string{"DIR/model.safetensors", kProj, "shape [15 32], want [16 32]"}},
		{"missing tensor", "gemma3", func(t *testing.T, dir string) { // 1
			rewriteCheckpoint(t, dir, safetensors.F32, func(v map[string][]float32, s map[string][]int) { delete(v, upProj) })
		}, []string{"DIR", upProj, "missing"}},
		{"missing lm_head of an untied model", "llama", func(t *testing.T, dir string) { // 2
			rewriteCheckpoint(t, dir, safetensors.BF16, func(v map[string][]float32, s map[string][]int) { delete(v, "lm_head.weight") })
		}, []string{"DIR", "lm_head.weight", "missing"}},
		{"config field of the wrong type", "gemma2", func(t *testing.T, dir string) { // 3
			testfiles.EditJSON(t, filepath.Join(dir, "config.json"), func(c map[string]any) { c["hidden_size"] = "wide" })
		}, []string{"DIR/config.json", "hidden_size"}},
		{"config field out of range", "llama", func(t *testing.T, dir string) { // 4
			testfiles.EditJSON(t, filepath.Join(dir, "config.json"), func(c map[string]any) { c["num_attention_heads"] = 0 })
		}, []string{"DIR/config.json", "NHeads"}},
		{"truncated config", "qwen2", func(t *testing.T, dir string) { // 5
			p := filepath.Join(dir, "config.json")
			data, _ := os.ReadFile(p)
			os.WriteFile(p, data[:len(data)/2], 0o644)
		}, []string{"DIR/config.json", "unexpected end of JSON"}},
		{"unknown layer type", "gemma2", func(t *testing.T, dir string) { // 6
			testfiles.EditJSON(t, filepath.Join(dir, "config.json"), func(c map[string]any) { c["layer_types"] = []string{"sliding_attention", "linear_attention"} })
		}, []string{"DIR/config.json", "layer_types[1]", "linear_attention"}},
		{"unsupported dtype", "qwen2", func(t *testing.T, dir string) { // 7
			path := filepath.Join(dir, safetensors.SingleFile)
			ck, err := safetensors.OpenCheckpoint(path)
			if err != nil {
				t.Fatal(err)
			}
			var ts []safetensors.Tensor
			for _, n := range ck.Names() {
				info, _ := ck.Info(n)
				raw, _ := ck.Raw(n, nil)
				if n == "model.norm.weight" { // as F64: 8 bytes per value
					w, _ := ck.Float32(n, nil)
					raw = raw[:0]
					for _, x := range w {
						raw = binary.LittleEndian.AppendUint64(raw, math.Float64bits(float64(x)))
					}
					info.DType = safetensors.F64
				}
				ts = append(ts, safetensors.Tensor{Name: n, DType: info.DType, Shape: info.Shape, Data: raw})
			}
			ck.Close()
			if err := safetensors.WriteFile(path, ts, nil); err != nil {
				t.Fatal(err)
			}
		}, []string{"DIR/model.safetensors", "model.norm.weight", "dtype F64"}},
		{"stop token outside the vocabulary", "gemma3", func(t *testing.T, dir string) { // 8
			testfiles.EditJSON(t, filepath.Join(dir, "generation_config.json"), func(c map[string]any) { c["eos_token_id"] = []int{1, 64} })
		}, []string{"DIR/generation_config.json", "eos_token_id 64"}},
	}
	for i, c := range cases {
		t.Run(fmt.Sprintf("%d %s", i, c.name), func(t *testing.T) {
			dir := copyHFTiny(t, c.fam)
			c.corrupt(t, dir)
			_, err := LoadHF(b, dir)
			if err == nil {
				t.Fatal("LoadHF succeeded")
			}
			for _, w := range c.want {
				if w = strings.ReplaceAll(w, "DIR", dir); !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
	if _, err := LoadHF(b, t.TempDir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("empty directory: %v, want os.ErrNotExist", err)
	}
}

// TestLoadHFDTypes: F16 and BF16 convert to f32 exactly, so a checkpoint of
// f16-representable values gives bit-identical logits from F16 and F32 files; the
// unused tensors a checkpoint may hold are ignored; and stop tokens come from
// generation_config.json.
func TestLoadHFDTypes(t *testing.T) {
	b, _, err := compute.Open("go")
	if err != nil {
		t.Fatal(err)
	}
	roundF16 := func(v map[string][]float32, _ map[string][]int) {
		for _, w := range v {
			for i := range w {
				w[i] = safetensors.Float16ToFloat32(safetensors.Float32ToFloat16(w[i]))
			}
		}
	}
	f32, f16 := copyHFTiny(t, "gemma2"), copyHFTiny(t, "gemma2")
	rewriteCheckpoint(t, f32, safetensors.F32, roundF16)
	rewriteCheckpoint(t, f16, safetensors.F16, func(v map[string][]float32, s map[string][]int) {
		roundF16(v, s)
		v["model.layers.0.self_attn.rotary_emb.inv_freq"] = []float32{1, 2} // unused, as old checkpoints have
		s["model.layers.0.self_attn.rotary_emb.inv_freq"] = []int{2}
	})
	testfiles.EditJSON(t, filepath.Join(f16, "generation_config.json"), func(c map[string]any) { c["eos_token_id"] = []int{7, 1, 7} })
	ids := readHFTinyReference(t, "gemma2").Prompts[2].IDs
	var logits [2][]float32
	for i, dir := range []string{f32, f16} {
		m, err := LoadHF(b, dir)
		if err != nil {
			t.Fatal(err)
		}
		out, err := m.Forward([][]int{ids}, ForwardOptions{})
		if err != nil {
			t.Fatal(err)
		}
		logits[i] = out.Logits.Data
		if want := [][]int{{1}, {1, 7}}[i]; !slices.Equal(m.Config.Stop, want) {
			t.Errorf("%s: Stop %v, want %v", dir, m.Config.Stop, want)
		}
	}
	if d := MaxAbsDiff(logits[0], logits[1]); d != 0 {
		t.Errorf("F16 checkpoint differs from the F32 one by %g", d)
	}
}

// TestLoadHFMatchesGGUF compares LoadHF on a Hugging Face export of an installed
// GGUF with LoadGGUF on that GGUF: the same f32 numbers in another layout (names,
// q/k row order, Gemma's norm offset), so logits must agree to f32 rounding. Make
// an export with scripts/fixtures/model/hf_export.py (see its header) and point
// IFPROBE_HF_SMOLLM2 (and optionally IFPROBE_HF_GEMMA3, IFPROBE_HF_QWEN2) at it.
func TestLoadHFMatchesGGUF(t *testing.T) {
	cases := []struct{ env, name, file string }{
		{"IFPROBE_HF_SMOLLM2", "smollm2-135m-instruct", "SmolLM2-135M-Instruct.Q4_1.gguf"},             // 0
		{"IFPROBE_HF_GEMMA3", "gemma3-270m", "gemma-3-270m-q4_k_m.gguf"},                               // 1
		{"IFPROBE_HF_QWEN2", "qwen2.5-coder-0.5b-instruct", "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"}, // 2
	}
	// Token ids below every vocabulary: a chat-like start and a run of small ids.
	prompts := [][]int{{1, 9690, 198}, {504, 3575, 282, 4649, 314}, {1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}
	// Same f32 weights and graph; LoadGGUF undoes the q/k row order. Gemma's norm
	// weights could differ by f32 rounding (the GGUF stores 1+w, the export w, to
	// which the forward adds 1), but measured on XLA CPU with transformers 5.23.0
	// exports every logit of all three models is equal (0); 1e-5 leaves room for
	// that rounding and for a backend that fuses the two graphs differently.
	const tol = 1e-5
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := os.Getenv(c.env)
			if dir == "" {
				t.Skipf("%s is not set; make the export with: .cache/venv-model/bin/python scripts/fixtures/model/hf_export.py "+
					"~/.cache/ifprobe/models/%s/%s .cache/hf-%s", c.env, c.name, c.file, c.name)
			}
			loc, err := registry.Resolve(c.name)
			if err != nil {
				t.Skipf("case %d: GGUF not installed: %v", i, err)
			}
			b, _, err := compute.Default()
			if err != nil {
				t.Fatal(err)
			}
			hf, err := LoadHF(b, dir)
			if err != nil {
				t.Fatal(err)
			}
			gg, err := LoadGGUF(b, loc.Path)
			if err != nil {
				t.Fatal(err)
			}
			for j, p := range prompts {
				a, err := hf.Forward([][]int{p}, ForwardOptions{})
				if err != nil {
					t.Fatal(err)
				}
				g, err := gg.Forward([][]int{p}, ForwardOptions{})
				if err != nil {
					t.Fatal(err)
				}
				d := MaxAbsDiff(a.Logits.Data, g.Logits.Data)
				t.Logf("prompt %d (%d tokens): max |LoadHF - LoadGGUF| = %.3g", j, len(p), d)
				if !(d <= tol) {
					t.Errorf("prompt %d: max |logit diff| %.3g > %g", j, d, tol)
				}
			}
		})
	}
}

// TestLoadHFSharded splits a tiny checkpoint into two shards with
// model.safetensors.index.json, as save_pretrained does for large models: the
// logits are the same as from the single file, and a bad shape names its shard.
func TestLoadHFSharded(t *testing.T) {
	b, _, err := compute.Open("go")
	if err != nil {
		t.Fatal(err)
	}
	const oProj = "model.layers.2.self_attn.o_proj.weight"
	ids := readHFTinyReference(t, "gemma3").Prompts[2].IDs
	var logits [2][]float32
	for i, dir := range []string{hfTinyDir("gemma3"), shardHFTiny(t, "gemma3", "")} {
		m, err := LoadHF(b, dir)
		if err != nil {
			t.Fatal(err)
		}
		out, err := m.Forward([][]int{ids}, ForwardOptions{})
		if err != nil {
			t.Fatal(err)
		}
		logits[i] = out.Logits.Data
	}
	if d := MaxAbsDiff(logits[0], logits[1]); d != 0 {
		t.Errorf("sharded checkpoint differs from the single file by %g", d)
	}
	dir := shardHFTiny(t, "gemma3", oProj)
	_, err = LoadHF(b, dir)
	if want := filepath.Join(dir, "model-00002-of-00002.safetensors") + `: tensor "` + oProj + `": shape [32 16]`; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("bad shape in a shard: %v, want %q", err, want)
	}
}

// shardHFTiny copies a tiny checkpoint, splitting its tensors over two shards;
// the tensor named broken (if any) goes to the second with half its rows.
func shardHFTiny(t *testing.T, fam, broken string) string {
	t.Helper()
	dir := copyHFTiny(t, fam)
	ck, err := safetensors.OpenCheckpoint(filepath.Join(dir, safetensors.SingleFile))
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	shardName := func(i int) string { return fmt.Sprintf("model-%05d-of-00002.safetensors", i+1) }
	var shards [2][]safetensors.Tensor
	weightMap := map[string]string{}
	for i, n := range ck.Names() {
		info, _ := ck.Info(n)
		raw, err := ck.Raw(n, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n == broken {
			info.Shape = []int{info.Shape[0], info.Shape[1] / 2}
			raw, i = raw[:len(raw)/2], 1
		}
		shards[i%2] = append(shards[i%2], safetensors.Tensor{Name: n, DType: info.DType, Shape: info.Shape, Data: raw})
		weightMap[n] = shardName(i % 2)
	}
	for i, s := range shards {
		if err := safetensors.WriteFile(filepath.Join(dir, shardName(i)), s, nil); err != nil {
			t.Fatal(err)
		}
	}
	data, _ := json.Marshal(map[string]any{"metadata": map[string]any{}, "weight_map": weightMap})
	if err := os.WriteFile(filepath.Join(dir, safetensors.IndexFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, safetensors.SingleFile)); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestLoadHFMultimodalPrefixes: Gemma 3 4B+ checkpoints hold the text decoder
// under model.language_model. (transformers 5.x) or language_model.model.
// (4.5x) beside a vision tower, with the text config in text_config. Both load
// to the same logits as the text-only checkpoint; the vision tensors are ignored.
func TestLoadHFMultimodalPrefixes(t *testing.T) {
	b, _, err := compute.Open("go")
	if err != nil {
		t.Fatal(err)
	}
	ids := readHFTinyReference(t, "gemma3").Prompts[2].IDs
	forward := func(dir string) []float32 {
		m, err := LoadHF(b, dir)
		if err != nil {
			t.Fatal(err)
		}
		out, err := m.Forward([][]int{ids}, ForwardOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return out.Logits.Data
	}
	want := forward(hfTinyDir("gemma3"))
	for i, prefix := range []string{"model.language_model.", "language_model.model."} {
		dir := copyHFTiny(t, "gemma3")
		rewriteCheckpoint(t, dir, safetensors.F32, func(v map[string][]float32, s map[string][]int) {
			for n := range maps.Clone(v) {
				hf := prefix + strings.TrimPrefix(n, "model.")
				v[hf], s[hf] = v[n], s[n]
				delete(v, n)
			}
			v["model.vision_tower.patch_embedding.weight"] = make([]float32, 6)
			s["model.vision_tower.patch_embedding.weight"] = []int{2, 3}
		})
		testfiles.EditJSON(t, filepath.Join(dir, "config.json"), func(c map[string]any) {
			text := maps.Clone(c)
			clear(c)
			c["model_type"], c["architectures"], c["text_config"] = "gemma3", []string{"Gemma3ForConditionalGeneration"}, text
		})
		if d := MaxAbsDiff(forward(dir), want); d != 0 {
			t.Errorf("case %d (%s): logits differ from the text-only checkpoint by %g", i, prefix, d)
		}
	}
}

// checkAgainstReference compares m's logits (one prompt at a time and as a
// left-padded batch) and greedy continuations with transformers' in ref.
func checkAgainstReference(t *testing.T, m *Model, ref *hfTinyReference) {
	t.Helper()
	var batch [][]int
	for i, p := range ref.Prompts {
		batch = append(batch, p.IDs)
		out, err := m.Forward([][]int{p.IDs}, ForwardOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkLogits(t, fmt.Sprintf("prompt %d", i), out.Logits, 0, p.LogitsShape, p.Logits)
		seqs, _, err := m.Generate([][]int{p.IDs}, GenerateOptions{MaxTokens: len(p.Greedy), IgnoreStop: true})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(seqs[0].Tokens, p.Greedy) {
			t.Errorf("prompt %d: greedy %v, transformers %v", i, seqs[0].Tokens, p.Greedy)
		}
	}
	out, err := m.Forward(batch, ForwardOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range ref.Prompts {
		checkLogits(t, fmt.Sprintf("batch row %d", i), out.Logits, i, p.LogitsShape, p.Logits)
	}
}
