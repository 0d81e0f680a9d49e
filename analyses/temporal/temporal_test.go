package temporal

import (
	"context"
	"strings"
	"testing"

	"github.com/ifprobe/ifprobe/analyses/study"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/stats"
)

var positions = []string{"eos", "frac:0.5", "prompt_last", "response_first", "frac:1.0"} // deliberately unordered

// rising plants a signal absent at the prompt end that grows through the response;
// flat plants a signal already present at the prompt end.
func grid(t *testing.T) *study.Grid {
	t.Helper()
	strength := map[string]float64{"prompt_last": 0, "response_first": 0.2, "frac:0.5": 0.6, "frac:1.0": 1, "eos": 1}
	src, err := study.NewSynthetic(study.SyntheticConfig{
		Tasks:     []study.Task{{Name: "rising", Kind: "structural"}, {Name: "rising2", Kind: "lexical"}, {Name: "flat", Kind: "semantic"}},
		NumLayers: 3, N: 120, D: 12, Seed: 3, Positions: positions,
		Scale: func(task string, _ int, pos string) float64 {
			if task == "flat" {
				return 1
			}
			return strength[pos]
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	g, err := study.EvaluateGrid(context.Background(), src, study.GridConfig{CV: probe.CVParams{Folds: 4, Probe: probe.DefaultParams(), SkipCI: true}})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestPlantedRise(t *testing.T) {
	r, err := Run(context.Background(), grid(t), Config{Bootstrap: stats.BootstrapParams{Reps: 200}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"prompt_last", "response_first", "frac:0.5", "frac:1.0", "eos"}; strings.Join(r.Positions, ",") != strings.Join(want, ",") {
		t.Fatalf("positions %v, want %v", r.Positions, want)
	}
	want := map[string]string{"rising": Monitoring, "rising2": Monitoring, "flat": Planning}
	for _, tc := range r.Tasks {
		if tc.Pattern != want[tc.Task] {
			t.Errorf("%s: pattern %s (rise %v, prompt end %v), planted %s", tc.Task, tc.Pattern, tc.Rise, tc.PromptEnd, want[tc.Task])
		}
	}
	if !(r.MeanRise.Lo > 0) || !strings.Contains(r.Verdict(), "Holds") {
		t.Errorf("mean rise %v, verdict %q", r.MeanRise, r.Verdict())
	}
	if _, err := r.Figures(); err != nil {
		t.Fatal(err)
	}
	if err := study.Save(t.TempDir(), r); err != nil {
		t.Fatal(err)
	}
}
