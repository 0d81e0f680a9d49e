package capture_test

import (
	"context"
	"fmt"

	"github.com/ifprobe/ifprobe/pkg/capture"
	"github.com/ifprobe/ifprobe/pkg/compute"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/lm"
	"github.com/ifprobe/ifprobe/pkg/model"
)

// A 2-layer random-weight model reads two prompts of token ids; the cache holds the
// residual stream after each block at each prompt's last token and at all tokens.
func Example() {
	cfg := model.Config{Arch: "llama", VocabSize: 50, DModel: 16, NLayers: 2, NHeads: 2, FFDim: 32, BOS: -1, Tied: true}
	w, _ := model.RandomWeights(cfg, 42)
	backend, _, _ := compute.Open("go")
	mod, err := model.New(backend, cfg, w)
	if err != nil {
		panic(err)
	}
	m := &lm.LM{Name: "tiny", Model: mod}
	hooks, _ := hook.ParsePoints("blocks.*.resid_post", cfg.NLayers)
	c, _, err := capture.Run(context.Background(), m,
		[]capture.Prompt{{ID: "a", Tokens: []int{1, 2, 3}}, {ID: "b", Tokens: []int{4, 5}}},
		capture.Options{Hooks: hooks, Positions: []hook.Position{hook.PromptLast, hook.AllPositions}})
	if err != nil {
		panic(err)
	}
	fmt.Print(c)
	a, _ := c.Layer(hook.KindResidPost, -1, hook.AllPositions)
	fmt.Println(a.Key, a.IDs, a.Tokens)
	st, _ := c.Stack(hook.KindResidPost, hook.PromptLast)
	fmt.Println(len(st.Layers), st.N, st.D, st.Labels)
	// Output:
	// capture.Cache: 2 examples, 4 keys
	//   blocks.0.resid_post@prompt_last          [2, 16]
	//   blocks.0.resid_post@all                  [5, 16]
	//   blocks.1.resid_post@prompt_last          [2, 16]
	//   blocks.1.resid_post@all                  [5, 16]
	// blocks.1.resid_post@all [a a a b b] [0 1 2 0 1]
	// 2 2 16 [blocks.0.resid_post blocks.1.resid_post]
}
