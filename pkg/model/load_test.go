package model

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/gguf"
)

// permuteQK is llama.cpp's convert_hf_to_gguf permute(): Hugging Face row
// h*hd + j*hd/2 + i goes to GGUF row h*hd + 2i + j.
func permuteQK(w []float32, nHeads, hd, in int) []float32 {
	out := make([]float32, len(w))
	half := hd / 2
	for h := 0; h < nHeads; h++ {
		for i := 0; i < half; i++ {
			for j := 0; j < 2; j++ {
				copy(out[(h*hd+2*i+j)*in:(h*hd+2*i+j+1)*in], w[(h*hd+j*half+i)*in:(h*hd+j*half+i+1)*in])
			}
		}
	}
	return out
}

// writeTinyGGUF writes cfg and w as a GGUF file the way llama.cpp's converter
// would (q/k permuted for llama), letting edit change the tensors first.
func writeTinyGGUF(t *testing.T, cfg Config, w map[string][]float32, edit func([]gguf.WriteTensor) []gguf.WriteTensor) string {
	t.Helper()
	p := cfg.Arch + "."
	u32 := func(k string, v int) gguf.KV { return gguf.KV{Key: p + k, Value: gguf.MustValueOf(uint32(v))} }
	f32 := func(k string, v float64) gguf.KV { return gguf.KV{Key: p + k, Value: gguf.MustValueOf(float32(v))} }
	meta := []gguf.KV{
		{Key: "general.architecture", Value: gguf.MustValueOf(cfg.Arch)},
		u32("embedding_length", cfg.DModel), u32("block_count", cfg.NLayers), u32("feed_forward_length", cfg.FFDim),
		u32("attention.head_count", cfg.NHeads), u32("attention.head_count_kv", cfg.NKVHeads),
		u32("attention.key_length", cfg.HeadDim), u32("attention.value_length", cfg.HeadDim),
		u32("context_length", 128), f32("attention.layer_norm_rms_epsilon", cfg.RMSEps), f32("rope.freq_base", cfg.RopeBase),
		{Key: "tokenizer.ggml.eos_token_id", Value: gguf.MustValueOf(uint32(2))},
	}
	if cfg.SlidingWindow > 0 {
		meta = append(meta, u32("attention.sliding_window", cfg.SlidingWindow))
	}
	var ts []gguf.WriteTensor
	for _, s := range layoutFor(&cfg).specs {
		data := w[s.Name]
		if cfg.Arch == "llama" && strings.HasSuffix(s.Name, ".attn_q.weight") {
			data = permuteQK(data, cfg.NHeads, cfg.HeadDim, cfg.DModel)
		}
		if cfg.Arch == "llama" && strings.HasSuffix(s.Name, ".attn_k.weight") {
			data = permuteQK(data, cfg.NKVHeads, cfg.HeadDim, cfg.DModel)
		}
		ts = append(ts, gguf.F32Tensor(s.Name, s.Shape, data))
	}
	if edit != nil {
		ts = edit(ts)
	}
	path := filepath.Join(t.TempDir(), "tiny.gguf")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := gguf.Write(f, meta, ts); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadGGUFMatchesWeights(t *testing.T) {
	for _, arch := range []string{"llama", "gemma3"} {
		t.Run(arch, func(t *testing.T) {
			cfg := tinyConfigs()[arch]
			cfg.RopeScaling = nil // GGUF carries Llama 3 scaling as rope_freqs.weight, not metadata
			cfg.Tied = true
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			w, err := RandomWeights(cfg, 5)
			if err != nil {
				t.Fatal(err)
			}
			path := writeTinyGGUF(t, cfg, w, nil)
			loaded, err := LoadGGUF(backendForTest(t), path)
			if err != nil {
				t.Fatal(err)
			}
			direct, err := New(backendForTest(t), loaded.Config, w)
			if err != nil {
				t.Fatal(err)
			}
			seqs := [][]int{{1, 5, 9, 13, 17, 21}}
			a, err := loaded.Forward(seqs, ForwardOptions{})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := direct.Forward(seqs, ForwardOptions{})
			// Same weights in Hugging Face layout, same graph: bit-identical.
			if d := MaxAbsDiff(a.Logits.Data, b.Logits.Data); d != 0 {
				t.Errorf("GGUF-loaded model differs from the weights it was written from: max |diff| %g", d)
			}
		})
	}
}

func TestLoadGGUFRejects(t *testing.T) {
	cfg := tinyConfigs()["llama"]
	cfg.RopeScaling = nil
	cfg.Tied = true
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	w, _ := RandomWeights(cfg, 5)
	lying := writeTinyGGUF(t, cfg, w, func(ts []gguf.WriteTensor) []gguf.WriteTensor {
		for i := range ts {
			if ts[i].Name == "blk.1.ffn_up.weight" { // claims [48, 16]: a header that disagrees with the config
				ts[i] = gguf.F32Tensor(ts[i].Name, []int{48, 16}, make([]float32, 48*16))
			}
		}
		return ts
	})
	if _, err := LoadGGUF(backendForTest(t), lying); err == nil || !strings.Contains(err.Error(), `"blk.1.ffn_up.weight"`) {
		t.Errorf("lying shape: err = %v, want one naming blk.1.ffn_up.weight", err)
	}
	missing := writeTinyGGUF(t, cfg, w, func(ts []gguf.WriteTensor) []gguf.WriteTensor { return ts[:len(ts)-1] })
	if _, err := LoadGGUF(backendForTest(t), missing); err == nil || !strings.Contains(err.Error(), "output_norm.weight") {
		t.Errorf("missing tensor: err = %v", err)
	}
	unknown := cfg
	unknown.Arch = "mamba"
	if _, err := LoadGGUF(backendForTest(t), writeTinyGGUF(t, unknown, w, nil)); !errors.Is(err, ErrUnknownArch) {
		t.Errorf("unknown arch: err = %v, want ErrUnknownArch", err)
	}
	if _, err := LoadGGUF(backendForTest(t), filepath.Join(t.TempDir(), "none.gguf")); err == nil {
		t.Error("missing file: no error")
	}
}
