package model

import (
	"fmt"
	"math"
)

// gemma3: Gemma 3 text decoder. Gemma 2's layout (sqrt(d) embedding scale, (1+w)
// RMSNorm, pre and post norms, GeGLU) without soft-capping, plus per-head RMSNorm
// of queries and keys, five sliding-window layers for each global one, and two RoPE
// bases: rope.freq_base (1e6) on global layers, 10000 on local ones (llama.cpp
// hard-codes the local base; it is not in the GGUF). Linear rope scaling, when
// present, applies to global layers only.
func init() {
	registerFamily(&Family{
		Arch:         "gemma3",
		HFModelTypes: []string{"gemma3", "gemma3_text"}, // gemma3_text: the text-only checkpoints (270M, 1B)
		hf:           gemma3HF,
		fromGGUF: func(md Metadata, c *Config) error {
			r := metaReader{md: md, prefix: "gemma3."}
			c.SlidingWindow = r.int("attention.sliding_window", false)
			c.FinalSoftcap = r.float("final_logit_softcapping", false)
			c.AttnSoftcap = r.float("attn_logit_softcapping", false)
			if f := r.float("rope.scaling.factor", false); f != 0 {
				c.RopeLinearFactor = f
			}
			c.QKNorm = true
			c.RopeBaseLocal = 10000
			gemmaCommon(c, 6)
			if c.NLayers == 62 { // 27B: llama.cpp's f_attention_scale, as for Gemma 2 27B
				c.AttnScale = 1 / math.Sqrt(float64(c.DModel/c.NHeads))
			}
			return r.err
		},
		fromHF: func(hf hfConfig, c *Config) error {
			c.NormAddOne = true
			c.QKNorm = true
			if hf.SlidingWindow != nil {
				c.SlidingWindow = *hf.SlidingWindow
			}
			c.RopeBaseLocal = hf.RopeLocalBaseFreq
			if c.RopeBaseLocal == 0 {
				c.RopeBaseLocal = 10000
			}
			if hf.FinalLogitSoftcapping != nil {
				c.FinalSoftcap = *hf.FinalLogitSoftcapping
			}
			if hf.AttnLogitSoftcapping != nil {
				c.AttnSoftcap = *hf.AttnLogitSoftcapping
			}
			pattern := hf.SlidingWindowPattern
			if pattern == 0 {
				pattern = 6
			}
			gemmaCommon(c, pattern) // layer_types, when given, overrides the pattern (applyLayerTypes)
			if rs := hf.RopeScaling; rs != nil {
				if t := firstNonEmpty(rs.RopeType, rs.Type); t != "linear" {
					return fmt.Errorf("model: gemma3 config.json rope_scaling type %q: unsupported", t)
				}
				c.RopeLinearFactor = rs.Factor
			}
			c.AttnScale = gemmaAttnScale(hf)
			return nil
		},
	})
}

// gemma3HF: Gemma 2's names plus the per-head q/k norms. Multimodal checkpoints
// (4B and up) hold the text decoder under model.language_model. (transformers
// 5.x) or language_model.model. (4.5x, whose head may sit under language_model.)
// beside a vision tower, which the loader ignores.
var gemma3HF = hfNaming{
	names: withNames(gemma2HFNames, map[string]string{
		"attn_q_norm.weight": "self_attn.q_norm.weight",
		"attn_k_norm.weight": "self_attn.k_norm.weight",
	}),
	prefixes: []string{"model.", "model.language_model.", "language_model.model."},
	heads:    map[string][]string{"language_model.model.": {"lm_head.weight", "language_model.lm_head.weight"}},
}
