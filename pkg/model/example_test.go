package model_test

import (
	"fmt"

	"github.com/ifprobe/ifprobe/pkg/compute"
	"github.com/ifprobe/ifprobe/pkg/hook"
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

func ExampleModel_Forward() {
	m := tiny()
	out, err := m.Forward([][]int{{1, 2, 3}, {4, 5}}, model.ForwardOptions{Capture: []hook.Point{hook.ResidPost(1)}})
	if err != nil {
		panic(err)
	}
	fmt.Println(out.Logits.Batch, out.Logits.Seq, out.Logits.Width, out.Logits.Pad)
	fmt.Println(len(out.Captures[hook.ResidPost(1)].At(1, 0)))
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
		Capture:       []hook.Point{hook.ResidPost(0)},
		Interventions: []model.Intervention{{Kind: model.ProjectOut, Hook: hook.ResidPost(0), Rank: 1, Basis: u}},
	})
	fmt.Printf("%.4f\n", out.Captures[hook.ResidPost(0)].At(0, 2)[0])
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
