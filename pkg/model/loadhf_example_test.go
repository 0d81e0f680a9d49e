package model_test

import (
	"fmt"

	"github.com/ifprobe/ifprobe/pkg/compute"
	"github.com/ifprobe/ifprobe/pkg/model"
)

// ExampleLoadHF loads a Hugging Face checkpoint directory (config.json and
// model.safetensors, as save_pretrained writes them): here the tiny random-weight
// Gemma 2 that pkg/model's tests compare with transformers.
func ExampleLoadHF() {
	backend, _, err := compute.Open("go")
	if err != nil {
		panic(err)
	}
	m, err := model.LoadHF(backend, "testdata/hf-tiny/gemma2")
	if err != nil {
		panic(err)
	}
	c := m.Config
	fmt.Printf("%s: %d layers, d_model %d, sliding window %d on %v, soft-caps %g/%g\n",
		c.Arch, c.NLayers, c.DModel, c.SlidingWindow, c.SlidingLayers, c.AttnSoftcap, c.FinalSoftcap)
	// The 7-token prompt of testdata/hf-tiny/gemma2/reference.json, where
	// transformers' next token is 27 with logit 2.9644704.
	out, err := m.Forward([][]int{{45, 32, 31, 7, 59, 57, 27}}, model.ForwardOptions{Logits: model.LastLogits})
	if err != nil {
		panic(err)
	}
	logits := out.Logits.At(0, 0)
	best := 0
	for i, l := range logits {
		if l > logits[best] {
			best = i
		}
	}
	fmt.Printf("next token %d (logit %.3f)\n", best, logits[best])
	// Output:
	// gemma2: 2 layers, d_model 32, sliding window 4 on [true false], soft-caps 2/3
	// next token 27 (logit 2.964)
}
