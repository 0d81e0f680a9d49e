package specialist

import (
	"context"
	"testing"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/pkg/planted"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/stats"
)

func run(t *testing.T, comps map[string][]planted.Component) *Result {
	t.Helper()
	src, err := planted.New(planted.Config{
		Tasks:     []probeset.Task{{Name: "a", Kind: "structural"}, {Name: "b", Kind: "lexical"}, {Name: "c", Kind: "semantic"}},
		NumLayers: 3, N: 120, D: 12, Seed: 5, Components: comps,
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(context.Background(), src, Config{CV: probe.CVParams{Folds: 4, Probe: probe.DefaultParams(), Bootstrap: stats.BootstrapParams{Reps: 200}}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Orthogonal task directions: a pooled probe must average them and lose.
func TestPlantedSpecialists(t *testing.T) {
	r := run(t, nil) // default: one own direction per task
	if v := r.Verdict(); !(r.MeanDiff.Lo > 0) || v.Status != analyses.Holds {
		t.Fatalf("mean diff %v, verdict %s: %s", r.MeanDiff, v.Status, v.Text)
	}
	if len(r.ByLayer) != 3 || len(r.Tasks) != 3 || len(r.Table()) != 4 {
		t.Fatalf("shape: %d layers, %d tasks", len(r.ByLayer), len(r.Tasks))
	}
	figs, err := r.Figures()
	if err != nil || len(figs) != 2 {
		t.Fatalf("figures: %v", err)
	}
	if _, err := analyses.Save(t.TempDir(), r); err != nil {
		t.Fatal(err)
	}
}

// One direction shared by all tasks: the general probe is as good, so the claim
// must not be declared to hold.
func TestSharedDirectionNoSpecialistAdvantage(t *testing.T) {
	shared := []planted.Component{{Direction: 0, Weight: 3}}
	r := run(t, map[string][]planted.Component{"a": shared, "b": shared, "c": shared})
	if v := r.Verdict(); v.Status == analyses.Holds {
		t.Fatalf("shared direction but verdict holds: %s", v.Text)
	}
}
