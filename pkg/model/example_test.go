package model_test

import (
	"fmt"

	"github.com/ifprobe/ifprobe/pkg/compute"
	"github.com/ifprobe/ifprobe/pkg/model"
)

// tiny is a 2-layer random-weight Llama-style model.
func tiny() *model.Model {
	cfg := model.Config{Arch: "llama", VocabSize: 50, DModel: 16, NLayers: 2, NHeads: 2, FFDim: 32, BOS: -1, Tied: true}
	w, err := model.RandomWeights(cfg, 42)
	if err != nil {
		panic(err)
	}
	backend, _, err := compute.Open("go")
	if err != nil {
		panic(err)
	}
	m, err := model.New(backend, cfg, w)
	if err != nil {
		panic(err)
	}
	return m
}

func ExampleParseHook() {
	h, err := model.ParseHook("blocks.3.resid_post")
	fmt.Println(h == model.ResidPost(3), err, h)
	_, err = model.ParseHook("blocks.x.resid_post")
	fmt.Println(err)
	// Output:
	// true <nil> blocks.3.resid_post
	// model: bad hook "blocks.x.resid_post": layer "x" is not a non-negative integer
}

func ExampleParsePosition() {
	for _, s := range []string{"prompt_last", "step:4", "frac:0.5"} {
		p, _ := model.ParsePosition(s)
		idx, ok := p.Index(10, 6, true) // 10 prompt tokens, 6 generated
		fmt.Println(p, idx, ok)
	}
	// Output:
	// prompt_last [9] true
	// step:4 [14] true
	// frac:0.5 [12] true
}

func ExampleModel_Forward() {
	m := tiny()
	out, err := m.Forward([][]int{{1, 2, 3}, {4, 5}}, model.ForwardOptions{Capture: []model.Hook{model.ResidPost(1)}})
	if err != nil {
		panic(err)
	}
	fmt.Println(out.Logits.Batch, out.Logits.Seq, out.Logits.Width, out.Logits.Pad)
	fmt.Println(len(out.Captures[model.ResidPost(1)].At(1, 0)))
	// Output:
	// 2 3 50 [0 1]
	// 16
}

func ExampleIntervention() {
	m := tiny()
	d := m.Config.DModel
	u := make([]float32, d)
	u[0] = 1 // remove the first coordinate of the residual stream after block 0
	out, _ := m.Forward([][]int{{1, 2, 3}}, model.ForwardOptions{
		Logits:        model.NoLogits,
		Capture:       []model.Hook{model.ResidPost(0)},
		Interventions: []model.Intervention{{Kind: model.ProjectOut, Hook: model.ResidPost(0), Rank: 1, Basis: u}},
	})
	fmt.Printf("%.4f\n", out.Captures[model.ResidPost(0)].At(0, 2)[0])
	// Output:
	// 0.0000
}

func ExampleModel_Generate() {
	m := tiny()
	seqs, _, err := m.Generate([][]int{{1, 2, 3}}, model.GenerateOptions{MaxTokens: 4, IgnoreStop: true,
		OnToken: func(row, step, tok int) { fmt.Print(step, " ") }})
	if err != nil {
		panic(err)
	}
	fmt.Println(len(seqs[0].Tokens), seqs[0].Stop)
	// Output:
	// 0 1 2 3 4 max_tokens
}

// SyntheticPrompts are the token ids the throughput measurements run on, the same
// for every implementation compared in BENCHMARKS.md.
func ExampleSyntheticPrompts() {
	for _, row := range model.SyntheticPrompts(2, 4, 49152) {
		fmt.Println(row)
	}
	// Output:
	// [200 217 234 251]
	// [331 348 365 382]
}
