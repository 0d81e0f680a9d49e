package pipeline

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ifprobe/ifprobe/analyses/baselines"
	"github.com/ifprobe/ifprobe/analyses/controls"
	"github.com/ifprobe/ifprobe/internal/jsonnan"
	"github.com/ifprobe/ifprobe/pipeline/build"
	"github.com/ifprobe/ifprobe/pkg/atomicfile"
	"github.com/ifprobe/ifprobe/pkg/dataset"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/lm"
	"github.com/ifprobe/ifprobe/pkg/plot"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/stats"
	"github.com/ifprobe/ifprobe/pkg/textfeat"
)

// baselineSources builds the text and instruction baselines over the rows of
// src from the build's dataset records; the text baseline decodes response
// prefixes with the model's tokenizer.
func baselineSources(m *lm.LM, dataDir string, src *probeset.StoreSource) ([]*probeset.FeatureSource, []dataset.Record, error) {
	recs, err := dataset.ReadRecords(build.DatasetPath(dataDir))
	if err != nil {
		return nil, nil, err
	}
	text, err := probeset.NewTextBaseline(src, recs, m.Tokenizer.Decode, textfeat.Config{})
	if err != nil {
		return nil, nil, err
	}
	instr, err := probeset.NewInstructionBaseline(src, recs)
	if err != nil {
		return nil, nil, err
	}
	return []*probeset.FeatureSource{text, instr}, recs, nil
}

// BaselineGridPath is where a model's baseline grid of a kind is saved, beside
// grid.json.
func BaselineGridPath(dir string, kind probeset.BaselineKind) string {
	return filepath.Join(dir, "baseline-"+string(kind)+".json")
}

// baselineGrids loads or evaluates each baseline's grid with the probe grid's
// CVParams (hence its folds), resumable and complete by its stage record like
// grid.json (key: the inputs'). wrap, when set, wraps each source first (the
// permutation null relabels baselines as it relabels the activations).
func baselineGrids(ctx context.Context, cfg Config, model, dir, key string, srcs []*probeset.FeatureSource, cv probe.CVParams, wrap func(probeset.Source) probeset.Source) (map[probeset.BaselineKind]*probeset.Grid, error) {
	out := map[probeset.BaselineKind]*probeset.Grid{}
	for _, s := range srcs {
		var src probeset.Source = s
		if wrap != nil {
			src = wrap(src)
		}
		name := "baseline-" + string(s.Kind())
		g, err := stagedGrid(ctx, dir, name, key, src, probeset.GridConfig{CV: cv, CacheDir: filepath.Join(dir, name+"-cache"),
			Progress: cfg.progress(model, string(s.Kind())+" baseline")})
		if err != nil {
			return nil, fmt.Errorf("%s baseline: %w", s.Kind(), err)
		}
		out[s.Kind()] = g
	}
	return out, nil
}

// readPositions are the positions the baseline and control tables show: the
// profile's read position, and prompt_last (before any response).
func readPositions(p Profile, have []hook.Position) []hook.Position {
	pos := p.Position
	if pos.IsZero() {
		pos = probeset.DefaultPosition(have)
	}
	out := []hook.Position{pos}
	if pos != hook.PromptLast {
		out = append(out, hook.PromptLast)
	}
	return out
}

// selectedScores are the probe's scores baselines.Compare reads: the grid's
// selection-corrected scores (probeset.Grid.Select: the layer chosen on the
// other folds).
func selectedScores(g *probeset.Grid) baselines.Probes {
	return func(task string, pos hook.Position) (*baselines.Scored, error) {
		s, err := g.Select(task, pos)
		if err != nil {
			return nil, err
		}
		return &baselines.Scored{Scores: s.Scores, Y: s.Y, Groups: s.Groups}, nil
	}
}

// extras are the baseline comparison and the uninstructed controls of one
// model, computed after the probe grid.
type extras struct {
	Baselines *baselines.Result
	Controls  *controls.Result
	// ControlsNote says why there is no controls result (a profile without
	// controls).
	ControlsNote string
	Grids        map[probeset.BaselineKind]*probeset.Grid
}

// runExtras computes the baseline grids and their comparison with the probe
// grid, and the controls' projections, saving each under dirs.results
// (baselines/, controls/: result.json, table.csv, figures/). src is what the
// grid probed: ss, or its permuted labels in a null run, whose baselines are
// permuted alike (and whose controls are not projected). key is the stage key
// of the baseline grids (their inputs'). It records its time in timings.
func (cfg Config) runExtras(ctx context.Context, m *lm.LM, dirs modelDirs, key string, ss *probeset.StoreSource, grid *probeset.Grid, cv probe.CVParams, timings map[string]float64) (*extras, error) {
	p := cfg.Profile
	bp := stats.BootstrapParams{Reps: p.BootstrapReps, Seed: cfg.Seed}
	positions := readPositions(p, ss.Positions())
	t0 := time.Now()
	cfg.logf("%s: baselines", m.Name)
	srcs, recs, err := baselineSources(m, dirs.data, ss)
	if err != nil {
		return nil, err
	}
	var wrap func(probeset.Source) probeset.Source
	if cfg.NullSeed != nil {
		wrap = func(s probeset.Source) probeset.Source { return probeset.PermuteLabels(s, *cfg.NullSeed) }
	}
	ex := &extras{}
	if ex.Grids, err = baselineGrids(ctx, cfg, m.Name, dirs.results, key, srcs, cv, wrap); err != nil {
		return nil, err
	}
	if ex.Baselines, err = baselines.Compare(grid, selectedScores(grid), ex.Grids, positions, bp); err != nil {
		return nil, err
	}
	if err := saveResult(filepath.Join(dirs.results, "baselines"), ex.Baselines, ex.Baselines.Table(), ex.Baselines.Figures); err != nil {
		return nil, err
	}
	timings["baselines"] = time.Since(t0).Seconds()
	if cfg.NullSeed != nil {
		ex.ControlsNote = "Not computed on the label-permutation null."
		return ex, nil
	}
	t0 = time.Now()
	ex.Controls, err = controls.Run(ctx, ss, grid, recs, controls.Config{Positions: positions, CV: cv, Bootstrap: bp})
	switch {
	case errors.Is(err, controls.ErrNoControls):
		ex.Controls, ex.ControlsNote = nil, fmt.Sprintf("Profile %q generates no uninstructed controls; the paper profile does (or add --controls).", p.Name)
	case err != nil:
		return nil, err
	default:
		if err := saveResult(filepath.Join(dirs.results, "controls"), ex.Controls, ex.Controls.Table(), ex.Controls.Figures); err != nil {
			return nil, err
		}
	}
	timings["controls"] = time.Since(t0).Seconds()
	return ex, nil
}

// saveResult writes dir/result.json (v), dir/table.csv and every figure under
// dir/figures, each atomically.
func saveResult(dir string, v any, table [][]string, figures func() ([]*plot.Figure, error)) error {
	if err := os.MkdirAll(filepath.Join(dir, "figures"), 0o755); err != nil {
		return fmt.Errorf("reproduce: %w", err)
	}
	b, err := jsonnan.MarshalIndent(v, "", " ")
	if err != nil {
		return fmt.Errorf("reproduce: %s: %w", dir, err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "result.json"), b); err != nil {
		return err
	}
	if err := writeCSV(filepath.Join(dir, "table.csv"), table); err != nil {
		return err
	}
	figs, err := figures()
	if err != nil {
		return fmt.Errorf("reproduce: %s: %w", dir, err)
	}
	for _, f := range figs {
		if _, err := f.Save(filepath.Join(dir, "figures")); err != nil {
			return err
		}
	}
	return nil
}

// writeCSV writes rows as a CSV file, atomically.
func writeCSV(path string, rows [][]string) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		cw.WriteAll(rows)
		return cw.Error()
	})
}

// saveGrid saves a grid as JSON at path and as CSV beside it (grid.csv: AUROC,
// accuracy and balanced accuracy with CIs per cell), and returns both paths.
func saveGrid(g *probeset.Grid, path string) ([]string, error) {
	if err := g.Save(path); err != nil {
		return nil, err
	}
	csvPath := strings.TrimSuffix(path, ".json") + ".csv"
	return []string{path, csvPath}, writeCSV(csvPath, g.Table())
}
