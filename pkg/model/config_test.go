package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// testdata/hf holds config.json files as published on the Hugging Face hub for
// the paper's models (Llama 3.1 8B Instruct, Gemma 2 2B it, Qwen2.5 0.5B Instruct)
// and our defaults (SmolLM2-135M-Instruct, Gemma 3 270M it).
func readHFConfig(t *testing.T, name string) Config {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "hf", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := ConfigFromHF(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return c
}

func TestConfigFromHF(t *testing.T) {
	l := readHFConfig(t, "llama-3.1-8b-instruct")
	if l.Arch != "llama" || l.NKVHeads != 8 || l.HeadDim != 128 || l.Tied || l.RopeBase != 500000 || len(l.Stop) != 3 {
		t.Errorf("llama 3.1: %+v", l)
	}
	// Llama 3 scaling (transformers _compute_llama3_parameters): wavelengths below
	// 8192/4 = 2048 keep their frequency, above 8192 are divided by 8.
	if f := l.RopeFreqFactors; len(f) != 64 || f[0] != 1 || f[63] != 8 {
		t.Errorf("llama 3.1 rope factors: first %v last %v", f[0], f[len(f)-1])
	}
	q := readHFConfig(t, "qwen2.5-0.5b-instruct")
	if !q.QKVBias || q.NKVHeads != 2 || q.HeadDim != 64 || !q.Tied || q.SlidingWindow != 0 || q.RMSEps != 1e-6 {
		t.Errorf("qwen2.5: %+v", q)
	}
	g2 := readHFConfig(t, "gemma-2-2b-it")
	if g2.AttnSoftcap != 50 || g2.FinalSoftcap != 30 || g2.SlidingWindow != 4096 || !g2.SlidingLayers[0] || g2.SlidingLayers[1] ||
		!g2.NormAddOne || !g2.PostNorms || g2.Act != GELUTanh || g2.AttnScale != 1.0/16 || math.Abs(g2.EmbedScale-48) > 1e-12 {
		t.Errorf("gemma 2: %+v", g2)
	}
	g3 := readHFConfig(t, "gemma-3-270m-it")
	for i, s := range g3.SlidingLayers {
		if want := (i+1)%6 != 0; s != want {
			t.Errorf("gemma 3 layer %d sliding = %v, want %v", i, s, want)
		}
	}
	if !g3.QKNorm || g3.RopeBase != 1e6 || g3.RopeBaseLocal != 1e4 || g3.SlidingWindow != 512 || g3.AttnSoftcap != 0 || g3.FinalSoftcap != 0 || g3.HeadDim != 256 {
		t.Errorf("gemma 3: %+v", g3)
	}
	if _, err := ConfigFromHF([]byte(`{"model_type":"mamba","hidden_size":4}`)); !errors.Is(err, ErrUnknownArch) {
		t.Errorf("unknown model_type: %v", err)
	}
	if _, err := ConfigFromHF([]byte(`{"model_type":"llama","hidden_size":-4}`)); !errors.Is(err, ErrBadConfig) {
		t.Errorf("bad hidden_size: %v", err)
	}
}

func TestValidateRejects(t *testing.T) {
	ok := Config{Arch: "llama", VocabSize: 10, DModel: 8, NLayers: 1, NHeads: 2, FFDim: 8, BOS: -1}
	cases := []func(c *Config){
		func(c *Config) { c.Arch = "" },                      // 0
		func(c *Config) { c.NKVHeads = 3 },                   // 1: does not divide NHeads
		func(c *Config) { c.HeadDim = 3 },                    // 2: odd
		func(c *Config) { c.Act = "relu" },                   // 3
		func(c *Config) { c.RMSEps = -1 },                    // 4
		func(c *Config) { c.RopeFreqFactors = []float32{1} }, // 5: wrong length
		func(c *Config) { c.SlidingLayers = []bool{true, true} },
		func(c *Config) { c.Stop = []int{10} },    // 7
		func(c *Config) { c.VocabSize = 1 << 30 }, // 8: implausible size
		func(c *Config) { c.AttnSoftcap = -1 },    // 9
	}
	for i, mut := range cases {
		c := ok
		mut(&c)
		if err := c.Validate(); !errors.Is(err, ErrBadConfig) {
			t.Errorf("case %d: err = %v, want ErrBadConfig", i, err)
		}
	}
	if err := ok.Validate(); err != nil || ok.HeadDim != 4 || ok.NKVHeads != 2 || ok.AttnScale != 0.5 {
		t.Errorf("defaults: %+v, %v", ok, err)
	}
}

// TestGGUFConfigMatchesHF reads the installed default models' GGUF metadata and
// checks every architectural value against the model's published config.json,
// so nothing silently falls back to a default.
func TestGGUFConfigMatchesHF(t *testing.T) {
	for _, c := range []struct{ registry, hf string }{
		{"smollm2-135m-instruct", "smollm2-135m-instruct"},
		{"gemma3-270m", "gemma-3-270m-it"},
	} {
		t.Run(c.registry, func(t *testing.T) {
			got := realModel(t, c.registry).Config
			want := readHFConfig(t, c.hf)
			type f struct {
				name      string
				got, want float64
			}
			b2f := func(b bool) float64 {
				if b {
					return 1
				}
				return 0
			}
			fields := []f{
				{"VocabSize", float64(got.VocabSize), float64(want.VocabSize)},
				{"DModel", float64(got.DModel), float64(want.DModel)},
				{"NLayers", float64(got.NLayers), float64(want.NLayers)},
				{"NHeads", float64(got.NHeads), float64(want.NHeads)},
				{"NKVHeads", float64(got.NKVHeads), float64(want.NKVHeads)},
				{"HeadDim", float64(got.HeadDim), float64(want.HeadDim)},
				{"FFDim", float64(got.FFDim), float64(want.FFDim)},
				{"RMSEps", got.RMSEps, want.RMSEps},
				{"RopeBase", got.RopeBase, want.RopeBase},
				{"RopeBaseLocal", got.RopeBaseLocal, want.RopeBaseLocal},
				{"AttnScale", got.AttnScale, want.AttnScale},
				{"EmbedScale", got.EmbedScale, want.EmbedScale},
				{"SlidingWindow", float64(got.SlidingWindow), float64(want.SlidingWindow)},
				{"AttnSoftcap", got.AttnSoftcap, want.AttnSoftcap},
				{"FinalSoftcap", got.FinalSoftcap, want.FinalSoftcap},
				{"Tied", b2f(got.Tied), b2f(want.Tied)},
				{"QKVBias", b2f(got.QKVBias), b2f(want.QKVBias)},
				{"QKNorm", b2f(got.QKNorm), b2f(want.QKNorm)},
				{"PostNorms", b2f(got.PostNorms), b2f(want.PostNorms)},
			}
			for _, x := range fields {
				// GGUF stores epsilons as float32: compare to f32 precision.
				if math.Abs(x.got-x.want) > 1e-7*math.Max(1, math.Abs(x.want)) {
					t.Errorf("%s: GGUF %v, config.json %v", x.name, x.got, x.want)
				}
			}
			if string(got.Act) != string(want.Act) {
				t.Errorf("Act: GGUF %s, config.json %s", got.Act, want.Act)
			}
			for i := range got.SlidingLayers {
				if got.SlidingLayers[i] != want.SlidingLayers[i] {
					t.Errorf("SlidingLayers[%d]: GGUF %v, config.json %v", i, got.SlidingLayers[i], want.SlidingLayers[i])
				}
			}
			// llama.cpp's converter adds 1 to Gemma norm weights; HF applies (1+w).
			if got.NormAddOne || (want.NormAddOne != (want.Arch == "gemma3" || want.Arch == "gemma2")) {
				t.Errorf("NormAddOne: GGUF %v, config.json %v", got.NormAddOne, want.NormAddOne)
			}
		})
	}
}

func FuzzConfigFromHF(f *testing.F) {
	for _, name := range []string{"smollm2-135m-instruct", "gemma-2-2b-it", "gemma-3-270m-it", "qwen2.5-0.5b-instruct", "llama-3.1-8b-instruct"} {
		data, err := os.ReadFile(filepath.Join("testdata", "hf", name+".json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	tiny, _ := filepath.Glob(filepath.Join("testdata", "hf-tiny", "*", "config.json")) // transformers 5.x spelling
	for _, p := range tiny {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ConfigFromHF(data)
		if err != nil {
			return
		}
		// A config that passes must describe a model we can lay out.
		if c.HeadDim <= 0 || len(c.SlidingLayers) != c.NLayers || c.NHeads%c.NKVHeads != 0 {
			t.Fatalf("accepted an inconsistent config: %+v", c)
		}
	})
}

// TestConfigFromHFRopeParameters: transformers 5.x writes rope_parameters instead
// of rope_theta / rope_scaling / rope_local_base_freq. Each published config is
// rewritten in the 5.x spelling, with the rope_parameters that transformers 5.23.0
// itself writes for it (CONFIG_MAPPING[model_type].from_dict(config).to_json_string()),
// and must give the same Config as the 4.x spelling.
func TestConfigFromHFRopeParameters(t *testing.T) {
	cases := []struct{ name, rope string }{
		{"llama-3.1-8b-instruct", `{"factor": 8.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0, "original_max_position_embeddings": 8192, "rope_theta": 500000.0, "rope_type": "llama3"}`}, // 0
		{"gemma-3-270m-it", `{"full_attention": {"rope_theta": 1000000.0, "rope_type": "default"}, "sliding_attention": {"rope_theta": 10000.0, "rope_type": "default"}}`},                     // 1
		{"qwen2.5-0.5b-instruct", `{"rope_theta": 1000000.0, "rope_type": "default"}`},                                                                                                         // 2
		{"gemma-2-2b-it", `{"rope_theta": 10000.0, "rope_type": "default"}`},                                                                                                                   // 3
		{"smollm2-135m-instruct", `{"rope_theta": 100000, "rope_type": "default"}`},                                                                                                            // 4
	}
	for i, c := range cases {
		data, err := os.ReadFile(filepath.Join("testdata", "hf", c.name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var j map[string]any
		if err := json.Unmarshal(data, &j); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"rope_theta", "rope_scaling", "rope_local_base_freq"} {
			delete(j, k)
		}
		j["rope_parameters"] = json.RawMessage(c.rope)
		v5, _ := json.Marshal(j)
		got, err := ConfigFromHF(v5)
		if err != nil {
			t.Fatalf("case %d %s: %v", i, c.name, err)
		}
		if want := readHFConfig(t, c.name); !reflect.DeepEqual(got, want) {
			t.Errorf("case %d %s: rope_parameters spelling gives\n%+v\nrope_theta spelling gives\n%+v", i, c.name, got, want)
		}
	}
}

// TestConfigFromHFRopeParametersLinear: Gemma 3 4B+ scale global layers linearly;
// rope_parameters says it per layer type. Bad blocks name their field.
func TestConfigFromHFRopeParametersLinear(t *testing.T) {
	base := `{"model_type":"gemma3_text","vocab_size":64,"hidden_size":32,"num_hidden_layers":2,"num_attention_heads":2,"head_dim":16,
		"intermediate_size":32,"sliding_window":4,"layer_types":["sliding_attention","full_attention"],"rope_parameters":%s}`
	c, err := ConfigFromHF([]byte(fmt.Sprintf(base, `{"full_attention":{"rope_type":"linear","factor":8.0,"rope_theta":1e6},"sliding_attention":{"rope_theta":1e4}}`)))
	if err != nil {
		t.Fatal(err)
	}
	if c.RopeLinearFactor != 8 || c.RopeBase != 1e6 || c.RopeBaseLocal != 1e4 || !slices.Equal(c.SlidingLayers, []bool{true, false}) {
		t.Errorf("%+v", c)
	}
	bad := []struct{ rope, want string }{
		{`{"full_attention":{"rope_theta":1e6},"sliding_attention":{"rope_type":"linear","factor":2}}`, "rope_parameters.sliding_attention.rope_type"}, // 0
		{`{"full_attention":{"rope_theta":1e6},"chunked_attention":{"rope_theta":1e4}}`, "rope_parameters.chunked_attention"},                          // 1
		{`{"rope_theta":-5}`, "rope_parameters.rope_theta"},                              // 2
		{`{"full_attention":{"rope_theta":"big"}}`, "rope_parameters.full_attention"},    // 3
		{`{"rope_type":"yarn","factor":4,"rope_theta":1e6}`, `rope_scaling type "yarn"`}, // 4
	}
	for i, b := range bad {
		if _, err := ConfigFromHF([]byte(fmt.Sprintf(base, b.rope))); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("case %d: error %v, want one naming %s", i, err, b.want)
		}
	}
}
