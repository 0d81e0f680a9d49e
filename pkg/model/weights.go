package model

import (
	"fmt"
	"math/rand/v2"

	"github.com/gomlx/gomlx/backends"
)

// weightSpec names one weight tensor and its row-major shape. Names follow GGUF
// (llama.cpp) conventions; matrices are [out, in] as in PyTorch.
type weightSpec struct {
	Name  string
	Shape []int
}

// blockWeights indexes one block's weights in the model's weight list; -1 when the
// family has no such tensor.
type blockWeights struct {
	AttnNorm, Q, K, V, O, QBias, KBias, VBias, QNorm, KNorm, PostAttnNorm int
	MLPNorm, Gate, Up, Down, PostMLPNorm                                  int
}

// weightLayout is the ordered list of weights a Config needs, and where each is.
type weightLayout struct {
	specs            []weightSpec
	embed, finalNorm int
	unembed          int // == embed when tied
	ropeFreqs        int // -1: inverse frequencies are constants
	blocks           []blockWeights
}

// layoutFor lists every weight of cfg in a fixed order (the graph's input order).
func layoutFor(cfg *Config) *weightLayout {
	l := &weightLayout{ropeFreqs: -1}
	add := func(name string, shape ...int) int {
		l.specs = append(l.specs, weightSpec{name, shape})
		return len(l.specs) - 1
	}
	d, hd := cfg.DModel, cfg.HeadDim
	qd, kvd := cfg.NHeads*hd, cfg.NKVHeads*hd
	l.embed = add("token_embd.weight", cfg.VocabSize, d)
	for i := 0; i < cfg.NLayers; i++ {
		p := fmt.Sprintf("blk.%d.", i)
		b := blockWeights{QBias: -1, KBias: -1, VBias: -1, QNorm: -1, KNorm: -1, PostAttnNorm: -1, PostMLPNorm: -1}
		b.AttnNorm = add(p+"attn_norm.weight", d)
		b.Q = add(p+"attn_q.weight", qd, d)
		b.K = add(p+"attn_k.weight", kvd, d)
		b.V = add(p+"attn_v.weight", kvd, d)
		if cfg.QKVBias {
			b.QBias = add(p+"attn_q.bias", qd)
			b.KBias = add(p+"attn_k.bias", kvd)
			b.VBias = add(p+"attn_v.bias", kvd)
		}
		if cfg.QKNorm {
			b.QNorm = add(p+"attn_q_norm.weight", hd)
			b.KNorm = add(p+"attn_k_norm.weight", hd)
		}
		b.O = add(p+"attn_output.weight", d, qd)
		if cfg.PostNorms {
			b.PostAttnNorm = add(p+"post_attention_norm.weight", d)
		}
		b.MLPNorm = add(p+"ffn_norm.weight", d)
		b.Gate = add(p+"ffn_gate.weight", cfg.FFDim, d)
		b.Up = add(p+"ffn_up.weight", cfg.FFDim, d)
		b.Down = add(p+"ffn_down.weight", d, cfg.FFDim)
		if cfg.PostNorms {
			b.PostMLPNorm = add(p+"post_ffw_norm.weight", d)
		}
		l.blocks = append(l.blocks, b)
	}
	l.finalNorm = add("output_norm.weight", d)
	l.unembed = l.embed
	if !cfg.Tied {
		l.unembed = add("output.weight", cfg.VocabSize, d)
	}
	return l
}

// numel is the product of shape.
func numel(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return n
}

// RandomWeights returns weights for cfg drawn from a seeded normal distribution
// (std 0.02 for matrices, norms near 1), keyed by GGUF tensor name: a tiny
// random-weight model for tests and examples. cfg is validated (on a copy).
func RandomWeights(cfg Config, seed uint64) (map[string][]float32, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	draw := randomDraw(&cfg, seed)
	out := map[string][]float32{}
	for _, s := range layoutFor(&cfg).specs {
		out[s.Name] = draw(s)
	}
	return out, nil
}

// NewRandom builds a Model with the weights RandomWeights(cfg, seed) returns,
// drawn one tensor at a time and kept as opts says, so that a model of a real
// shape too large for its f32 weights to be held at once (an 8B Llama in bf16)
// can be built for throughput and memory measurements.
func NewRandom(backend backends.Backend, cfg Config, seed uint64, opts LoadOptions) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	draw := randomDraw(&cfg, seed)
	return newModel(backend, cfg, opts, weightSource{f32: func(s weightSpec) ([]float32, error) { return draw(s), nil }})
}

// randomDraw returns the draw of RandomWeights: called on the weights in layout
// order, it returns each one's values.
func randomDraw(cfg *Config, seed uint64) func(weightSpec) []float32 {
	rng := rand.New(rand.NewPCG(seed, 0x6966))
	return func(s weightSpec) []float32 {
		w := make([]float32, numel(s.Shape))
		isVector := len(s.Shape) == 1
		for i := range w {
			if isVector {
				w[i] = 1 + 0.1*float32(rng.NormFloat64())
			} else {
				w[i] = 0.02 * float32(rng.NormFloat64())
			}
		}
		if isVector && (hasSuffix(s.Name, ".bias")) {
			for i := range w {
				w[i] -= 1
			}
		}
		if cfg.NormAddOne && isVector && !hasSuffix(s.Name, ".bias") {
			for i := range w {
				w[i] -= 1 // stored as w-1, applied as 1+w
			}
		}
		return w
	}
}

func hasSuffix(s, suf string) bool { return len(s) >= len(suf) && s[len(s)-len(suf):] == suf }

// unpermuteQK undoes llama.cpp's convert_hf_to_gguf permute() of a [nHeads*hd, in]
// projection: GGUF row h*hd + 2i + j holds Hugging Face row h*hd + j*hd/2 + i.
func unpermuteQK(w []float32, nHeads, hd, in int) []float32 {
	out := make([]float32, len(w))
	half := hd / 2
	for h := 0; h < nHeads; h++ {
		for i := 0; i < half; i++ {
			for j := 0; j < 2; j++ {
				src := (h*hd + 2*i + j) * in
				dst := (h*hd + j*half + i) * in
				copy(out[dst:dst+in], w[src:src+in])
			}
		}
	}
	return out
}
