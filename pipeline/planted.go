package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/planted"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/stats"
)

// PlantedProfile is the profile name given to results computed on the planted
// study (see Planted), where a reproduction's results would name quick, ci or paper.
const PlantedProfile = "planted"

// Planted computes every registered finding on the planted study
// (planted.PaperConfig: synthetic states in which every finding holds by
// construction) and saves them into dir in the layout Run writes for one model:
// grid.json, and for each analysis <analysis>/result.json, table.csv,
// verdict.txt and figures/. So code that reads a reproduction reads the planted
// study the same way.
//
// The sizes are fixed (4 grouped folds, 200 bootstrap resamples, seed 1, every
// finding read at eos) and small: it takes seconds on a laptop CPU. progress, when
// not nil, is told how many probe-grid cells are done. Unlike Run, nothing is
// resumed: every file is computed and written again.
func Planted(ctx context.Context, dir string, progress func(done, total int)) error {
	_, err := RunPlanted(ctx, dir, PlantedOptions{Progress: progress})
	return err
}

// PlantedOptions varies RunPlanted.
type PlantedOptions struct {
	// Config replaces the planted study's configuration (default
	// planted.PaperConfig()).
	Config *planted.Config
	// NullSeed, when set, permutes every task's labels with this seed before
	// probing (probeset.PermuteLabels): the negative control on which nothing may
	// hold.
	NullSeed *uint64
	Progress func(done, total int)
}

// RunPlanted is Planted with options; it returns the verdicts by analysis.
func RunPlanted(ctx context.Context, dir string, opt PlantedOptions) (map[string]analyses.Verdict, error) {
	cfg := planted.PaperConfig()
	if opt.Config != nil {
		cfg = *opt.Config
	}
	study, err := planted.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("reproduce: planted study: %w", err)
	}
	results, _, err := runPlanted(ctx, dir, study, opt)
	if err != nil {
		return nil, fmt.Errorf("reproduce: planted study: %w", err)
	}
	verdicts := map[string]analyses.Verdict{}
	for name, r := range results {
		verdicts[name] = r.Verdict()
	}
	return verdicts, nil
}

// runPlanted computes and saves every finding on study; it returns the results
// and the files each saved (relative to its directory, in the order written) by
// analysis name.
func runPlanted(ctx context.Context, dir string, study *planted.Study, opt PlantedOptions) (map[string]analyses.Result, map[string][]string, error) {
	var src probeset.Source = study
	if opt.NullSeed != nil {
		src = probeset.PermuteLabels(study, *opt.NullSeed)
	}
	bp := stats.BootstrapParams{Reps: 200, Seed: 1}
	cv := probe.CVParams{Probe: probe.DefaultParams(), Folds: 4, Bootstrap: bp}
	grid, err := probeset.EvaluateGrid(ctx, src, probeset.GridConfig{CV: cv, Progress: opt.Progress})
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	if err := grid.Save(filepath.Join(dir, "grid.json")); err != nil {
		return nil, nil, err
	}
	in := analyses.Inputs{Source: src, Grid: grid, Position: hook.EOS, CV: cv, Bootstrap: bp, Seed: 1}
	results, files := map[string]analyses.Result{}, map[string][]string{}
	for _, a := range analyses.All() {
		r, err := a.Run(ctx, in)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", a.Name(), err)
		}
		saved, err := analyses.Save(filepath.Join(dir, a.Name()), r)
		if err != nil {
			return nil, nil, err
		}
		results[a.Name()], files[a.Name()] = r, saved
	}
	return results, files, nil
}
