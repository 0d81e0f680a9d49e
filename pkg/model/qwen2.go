package model

// qwen2: Qwen2 / Qwen2.5. Llama layout plus biases on the q, k and v projections;
// llama.cpp does not permute q/k (it uses NeoX rotary pairing, as Hugging Face does).
// Hugging Face names the tensors as Llama does (Qwen2ForCausalLM).
func init() {
	registerFamily(&Family{
		Arch: "qwen2",
		hf:   hfNaming{names: llamaHFNames},
		fromGGUF: func(md Metadata, c *Config) error {
			c.Act, c.QKVBias = SiLU, true
			return nil
		},
		fromHF: func(hf hfConfig, c *Config) error {
			c.QKVBias = true
			// Qwen2's use_sliding_window is false in every released checkpoint; honour it if set.
			if hf.UseSlidingWindow != nil && *hf.UseSlidingWindow && hf.SlidingWindow != nil {
				c.SlidingWindow = *hf.SlidingWindow
				c.SlidingLayers = make([]bool, c.NLayers)
				for i := range c.SlidingLayers {
					c.SlidingLayers[i] = true
				}
			}
			return nil
		},
	})
}
