package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/analyses/ablation"
	"github.com/ifprobe/ifprobe/analyses/layers"
	"github.com/ifprobe/ifprobe/analyses/specialist"
	"github.com/ifprobe/ifprobe/analyses/temporal"
	"github.com/ifprobe/ifprobe/analyses/transfer"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/planted"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/stats"
)

// PlantedProfile is the profile name given to results computed on the planted
// study (see Planted), where a reproduction's results would name quick, ci or paper.
const PlantedProfile = "planted"

// Planted computes the five findings on the planted study (planted.PaperConfig:
// synthetic states in which every finding holds by construction) and saves them
// into dir in the layout Run writes for one model: grid.json, and for each
// analysis <analysis>/result.json, table.csv, verdict.txt and figures/. So code
// that reads a reproduction reads the planted study the same way.
//
// The sizes are fixed (4 grouped folds, 200 bootstrap resamples, seed 1, every
// finding read at eos) and small: it takes seconds on a laptop CPU. progress, when
// not nil, is told how many probe-grid cells are done. Unlike Run, nothing is
// resumed: every file is computed and written again.
func Planted(ctx context.Context, dir string, progress func(done, total int)) error {
	if err := computePlanted(ctx, dir, progress); err != nil {
		return fmt.Errorf("reproduce: planted study: %w", err)
	}
	return nil
}

func computePlanted(ctx context.Context, dir string, progress func(done, total int)) error {
	src, err := planted.New(planted.PaperConfig())
	if err != nil {
		return err
	}
	bp := stats.BootstrapParams{Reps: 200, Seed: 1}
	cv := probe.CVParams{Probe: probe.DefaultParams(), Folds: 4, Bootstrap: bp}
	grid, err := probeset.EvaluateGrid(ctx, src, probeset.GridConfig{CV: cv, Progress: progress})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := grid.Save(filepath.Join(dir, "grid.json")); err != nil {
		return err
	}
	pos := hook.EOS
	spec, err := specialist.Run(ctx, src, specialist.Config{Position: pos, CV: cv})
	if err != nil {
		return err
	}
	tr, err := transfer.Run(ctx, src, transfer.Config{Position: pos, Folds: 4, Probe: cv.Probe, Bootstrap: bp})
	if err != nil {
		return err
	}
	ab, err := ablation.Run(ctx, src, grid, ablation.Config{Position: pos, CV: cv, Seed: 1, Bootstrap: bp})
	if err != nil {
		return err
	}
	ly, err := layers.Run(ctx, grid, layers.Config{Position: pos, Bootstrap: bp, Source: src})
	if err != nil {
		return err
	}
	tm, err := temporal.Run(ctx, grid, temporal.Config{Bootstrap: bp})
	if err != nil {
		return err
	}
	for _, r := range []analyses.Result{spec, tr, ab, ly, tm} {
		if err := analyses.Save(filepath.Join(dir, r.Name()), r); err != nil {
			return err
		}
	}
	return nil
}
