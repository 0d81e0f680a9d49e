package temporal

import (
	"context"
	"slices"
	"testing"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/planted"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/stats"
)

var positions = []hook.Position{hook.EOS, hook.Frac(0.5), hook.PromptLast, hook.ResponseFirst, hook.Frac(1)} // deliberately unordered

// rising plants a signal absent at the prompt end that grows through the response;
// flat plants a signal already present at the prompt end.
func grid(t *testing.T) *probeset.Grid {
	t.Helper()
	strength := map[hook.Position]float64{hook.PromptLast: 0, hook.ResponseFirst: 0.2, hook.Frac(0.5): 0.6, hook.Frac(1): 1, hook.EOS: 1}
	src, err := planted.New(planted.Config{
		Tasks:     []probeset.Task{{Name: "rising", Kind: "structural"}, {Name: "rising2", Kind: "lexical"}, {Name: "flat", Kind: "semantic"}},
		NumLayers: 3, N: 120, D: 12, Seed: 3, Positions: positions,
		Scale: func(task string, _ int, pos hook.Position) float64 {
			if task == "flat" {
				return 1
			}
			return strength[pos]
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	g, err := probeset.EvaluateGrid(context.Background(), src, probeset.GridConfig{CV: probe.CVParams{Folds: 4, Probe: probe.DefaultParams(), SkipCI: true}})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestPlantedRise(t *testing.T) {
	r, err := Run(context.Background(), grid(t), nil, Config{Bootstrap: stats.BootstrapParams{Reps: 200}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []hook.Position{hook.PromptLast, hook.ResponseFirst, hook.Frac(0.5), hook.Frac(1), hook.EOS}; !slices.Equal(r.Positions, want) {
		t.Fatalf("positions %v, want %v", r.Positions, want)
	}
	want := map[string]string{"rising": Monitoring, "rising2": Monitoring, "flat": Planning}
	for _, tc := range r.Tasks {
		if tc.Pattern != want[tc.Task] {
			t.Errorf("%s: pattern %s (rise %v, prompt end %v), planted %s", tc.Task, tc.Pattern, tc.Rise, tc.PromptEnd, want[tc.Task])
		}
	}
	if v := r.Verdict(); !(r.MeanRise.Lo > 0) || v.Status != analyses.Holds {
		t.Errorf("mean rise %v, verdict %s: %s", r.MeanRise, v.Status, v.Text)
	}
	if _, err := r.Figures(); err != nil {
		t.Fatal(err)
	}
	if _, err := analyses.Save(t.TempDir(), r); err != nil {
		t.Fatal(err)
	}
}
