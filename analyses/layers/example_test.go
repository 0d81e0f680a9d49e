package layers_test

import (
	"context"
	"fmt"

	"github.com/ifprobe/ifprobe/analyses/layers"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/planted"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/stats"
)

// Onsets on a synthetic study where a structural task becomes decodable at layer 1
// and a semantic one at layer 4.
func ExampleRun() {
	onset := map[string]int{"lowercase": 1, "topic": 4}
	src, _ := planted.New(planted.Config{
		Tasks:     []probeset.Task{{Name: "lowercase", Kind: "structural"}, {Name: "topic", Kind: "semantic"}},
		NumLayers: 6, N: 120, D: 8, Seed: 1,
		Scale: func(task string, layer int, _ hook.Position) float64 {
			if layer >= onset[task] {
				return 1
			}
			return 0
		},
	})
	grid, _ := probeset.EvaluateGrid(context.Background(), src, probeset.GridConfig{CV: probe.CVParams{Probe: probe.DefaultParams(), SkipCI: true}})
	r, err := layers.Run(context.Background(), grid, layers.Config{Bootstrap: stats.BootstrapParams{Reps: 100}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range r.Tasks {
		fmt.Printf("%s (%s): onset layer %d, depth %.2f\n", t.Task, t.Kind, t.Onset, t.OnsetDepth.Estimate)
	}
	// Output:
	// lowercase (structural): onset layer 1, depth 0.33
	// topic (semantic): onset layer 4, depth 0.83
}
