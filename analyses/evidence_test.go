package analyses_test

import (
	"context"
	"testing"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/planted"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/stats"
)

// The decodability gate on permuted labels: its CI must cover chance in about
// 95% of runs (each side misses in 2.5%). Before CVCorrect, the plain cluster
// bootstrap missed in 6 of these 20 seeds (3 above, 3 below); a calibrated
// interval misses in one or none. The planted study itself passes the gate.
func TestDecodabilityNullCoverage(t *testing.T) {
	study, err := planted.New(planted.PaperConfig())
	if err != nil {
		t.Fatal(err)
	}
	bp := stats.BootstrapParams{Reps: 200, Seed: 1}
	cv := probe.CVParams{Probe: probe.DefaultParams(), Folds: 4, Bootstrap: bp, SkipCI: true}
	gate := func(src probeset.Source) *analyses.Evidence {
		g, err := probeset.EvaluateGrid(context.Background(), src, probeset.GridConfig{CV: cv, Positions: []hook.Position{hook.EOS}})
		if err != nil {
			t.Fatal(err)
		}
		e, err := analyses.Decodability(g, hook.EOS, bp)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	if e := gate(study); e.Judge() != analyses.Holds {
		t.Fatalf("planted study fails the gate: %s", e)
	}
	misses := 0
	for seed := uint64(1); seed <= 20; seed++ {
		e := gate(probeset.PermuteLabels(study, seed))
		if e.Estimate.Lo > 0 || e.Estimate.Hi < 0 {
			misses++
			t.Logf("seed %d misses chance: %s", seed, e)
		}
	}
	if misses > 2 {
		t.Errorf("the gate's CI misses chance on %d of 20 permuted-label runs (want about 1)", misses)
	}
}
