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
