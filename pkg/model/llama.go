package model

import "fmt"

// llama: Llama 2/3, SmolLM2, Mistral-style decoders. Pre-norm RMSNorm, SwiGLU, GQA,
// RoPE with optional Llama 3 frequency scaling; untied or tied embeddings.
// llama.cpp's converter permutes the q/k rows for its interleaved RoPE and stores
// Llama 3 scaling as the tensor rope_freqs.weight.
func init() {
	registerFamily(&Family{
		Arch:       "llama",
		PermutedQK: true,
		hf:         hfNaming{names: llamaHFNames},
		fromGGUF: func(md Metadata, c *Config) error {
			c.Act = SiLU
			return nil
		},
		fromHF: func(hf hfConfig, c *Config) error {
			c.QKVBias = hf.AttentionBias
			if rs := hf.RopeScaling; rs != nil {
				switch t := firstNonEmpty(rs.RopeType, rs.Type); t {
				case "llama3":
					s := rs.Llama3RopeScaling
					c.RopeScaling = &s
				case "linear":
					c.RopeLinearFactor = rs.Factor
				default:
					return fmt.Errorf("model: llama config.json rope_scaling type %q: unsupported", t)
				}
			}
			return nil
		},
	})
}

// llamaHFNames are the Hugging Face names of LlamaForCausalLM's tensors (after
// the "model." prefix), by GGUF name; block tensors by their name after "blk.N."
// (Hugging Face: after "layers.N."). The MLP's pre-norm follows the attention,
// hence post_attention_layernorm. Biases exist with attention_bias.
var llamaHFNames = map[string]string{
	"token_embd.weight":  "embed_tokens.weight",
	"output_norm.weight": "norm.weight",
	"attn_norm.weight":   "input_layernorm.weight",
	"attn_q.weight":      "self_attn.q_proj.weight",
	"attn_k.weight":      "self_attn.k_proj.weight",
	"attn_v.weight":      "self_attn.v_proj.weight",
	"attn_q.bias":        "self_attn.q_proj.bias",
	"attn_k.bias":        "self_attn.k_proj.bias",
	"attn_v.bias":        "self_attn.v_proj.bias",
	"attn_output.weight": "self_attn.o_proj.weight",
	"ffn_norm.weight":    "post_attention_layernorm.weight",
	"ffn_gate.weight":    "mlp.gate_proj.weight",
	"ffn_up.weight":      "mlp.up_proj.weight",
	"ffn_down.weight":    "mlp.down_proj.weight",
}
