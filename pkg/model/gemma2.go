package model

import "math"

// gemma2: Gemma 2. Embeddings scaled by sqrt(d_model); RMSNorm as x*(1+w) (GGUF
// stores 1+w already); norms both before and after attention and MLP; GeGLU (tanh
// GELU); attention-logit soft-capping (50) and final-logit soft-capping (30);
// sliding-window attention on even layers; query scale query_pre_attn_scalar^-1/2.
func init() {
	registerFamily(&Family{
		Arch: "gemma2",
		hf:   hfNaming{names: gemma2HFNames},
		fromGGUF: func(md Metadata, c *Config) error {
			r := metaReader{md: md, prefix: "gemma2."}
			c.AttnSoftcap = r.float("attn_logit_softcapping", false)
			c.FinalSoftcap = r.float("final_logit_softcapping", false)
			c.SlidingWindow = r.int("attention.sliding_window", false)
			gemmaCommon(c, 2)
			// llama.cpp scales queries by 1/sqrt(d_model/n_heads) for the 27B model
			// (46 layers) and by 1/sqrt(head_dim) otherwise, as query_pre_attn_scalar says.
			if c.NLayers == 46 {
				c.AttnScale = 1 / math.Sqrt(float64(c.DModel/c.NHeads))
			}
			return r.err
		},
		fromHF: func(hf hfConfig, c *Config) error {
			c.NormAddOne = true
			if hf.AttnLogitSoftcapping != nil {
				c.AttnSoftcap = *hf.AttnLogitSoftcapping
			}
			if hf.FinalLogitSoftcapping != nil {
				c.FinalSoftcap = *hf.FinalLogitSoftcapping
			}
			if hf.SlidingWindow != nil {
				c.SlidingWindow = *hf.SlidingWindow
			}
			gemmaCommon(c, 2)
			c.AttnScale = gemmaAttnScale(hf)
			return nil
		},
	})
}

// gemma2HFNames are Llama's names (llamaHFNames) with Gemma's four norms per
// block: post_attention_layernorm is the norm of the attention output here, and
// the MLP's pre-norm is pre_feedforward_layernorm.
var gemma2HFNames = withNames(llamaHFNames, map[string]string{
	"post_attention_norm.weight": "post_attention_layernorm.weight",
	"ffn_norm.weight":            "pre_feedforward_layernorm.weight",
	"post_ffw_norm.weight":       "post_feedforward_layernorm.weight",
})

// gemmaCommon sets what Gemma 2 and 3 share; every pattern-th layer is global.
func gemmaCommon(c *Config, pattern int) {
	c.Act = GELUTanh
	c.PostNorms = true
	c.Tied = true
	c.EmbedScale = math.Sqrt(float64(c.DModel))
	c.SlidingLayers = make([]bool, c.NLayers)
	if c.SlidingWindow > 0 {
		for i := range c.SlidingLayers {
			c.SlidingLayers[i] = (i+1)%pattern != 0
		}
	}
}
