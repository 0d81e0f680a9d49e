package pipeline

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/analyses/ablation"
	"github.com/ifprobe/ifprobe/analyses/layers"
	"github.com/ifprobe/ifprobe/analyses/specialist"
	"github.com/ifprobe/ifprobe/analyses/temporal"
	"github.com/ifprobe/ifprobe/analyses/transfer"
	"github.com/ifprobe/ifprobe/pipeline/build"
	"github.com/ifprobe/ifprobe/pkg/acts"
	"github.com/ifprobe/ifprobe/pkg/dataset"
	"github.com/ifprobe/ifprobe/pkg/lm"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/stats"
)

// Config configures Run.
type Config struct {
	Models  []string         `json:"models"` // registry names or GGUF paths
	Profile Profile          `json:"profile"`
	Out     string           `json:"out"`
	Seed    uint64           `json:"seed"`
	Backend backends.Backend `json:"-"` // nil: compute.Default()
	// Progress, when set, is told each stage's progress (e.g. "dataset", 40, 360).
	Progress func(model, stage string, done, total int) `json:"-"`
	// Log receives one line per stage.
	Log io.Writer `json:"-"`
}

// ModelRun is what one model's run produced.
type ModelRun struct {
	Model    string                     `json:"model"`
	Dir      string                     `json:"dir"` // relative to Config.Out
	Summary  []dataset.Summary          `json:"summary"`
	Skipped  []probeset.SkippedTask     `json:"skipped"` // tasks not probed (too few of a label)
	Results  map[string]analyses.Result `json:"-"`       // by analysis name; absent when it failed
	Verdicts map[string]string          `json:"verdicts"`
	Timings  map[string]float64         `json:"timings_s"`
}

// analysisNames are the five findings, in the paper's order.
var analysisNames = []string{"specialist", "transfer", "ablation", "layers", "temporal"}

// Run reproduces the study for every model in cfg and writes the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if len(cfg.Models) == 0 {
		return nil, fmt.Errorf("reproduce: no models")
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return nil, fmt.Errorf("reproduce: %w", err)
	}
	rep := &Report{Config: cfg, Started: time.Now()}
	for _, name := range cfg.Models {
		mr, err := runModel(ctx, cfg, name)
		if err != nil {
			return nil, fmt.Errorf("reproduce: %s: %w", name, err)
		}
		rep.Models = append(rep.Models, mr)
	}
	rep.Finished = time.Now()
	if err := rep.Write(cfg.Out); err != nil {
		return nil, err
	}
	return rep, nil
}

func (cfg Config) logf(format string, args ...any) {
	if cfg.Log != nil {
		fmt.Fprintf(cfg.Log, format+"\n", args...)
	}
}

func (cfg Config) progress(model, stage string) func(done, total int) {
	if cfg.Progress == nil {
		return nil
	}
	return func(done, total int) { cfg.Progress(model, stage, done, total) }
}

func runModel(ctx context.Context, cfg Config, name string) (*ModelRun, error) {
	p := cfg.Profile
	t0 := time.Now()
	m, err := lm.Load(name, lm.Options{Backend: cfg.Backend})
	if err != nil {
		return nil, err
	}
	mr := &ModelRun{Model: m.Name, Dir: m.Name, Verdicts: map[string]string{}, Results: map[string]analyses.Result{},
		Timings: map[string]float64{"load": time.Since(t0).Seconds()}}
	dir := filepath.Join(cfg.Out, m.Name)
	space, err := dataset.ParseSpace(p.Space)
	if err != nil {
		return nil, err
	}
	plan := dataset.Config{Tasks: p.Tasks, PerTask: p.PerTask, Seed: cfg.Seed, Folds: p.Folds, NoControls: !p.Controls, Space: space}
	ccfg := build.Config{Plan: plan, MaxTokens: p.MaxTokens, Batch: p.Batch, Fractions: p.Fractions,
		Progress: cfg.progress(m.Name, "dataset")}
	cfg.logf("%s: dataset (%d items per task, up to %d tokens each)", m.Name, p.PerTask, p.MaxTokens)
	t0 = time.Now()
	st, err := build.Build(ctx, m, filepath.Join(dir, "data"), ccfg)
	if err != nil {
		return nil, err
	}
	mr.Summary, mr.Timings["dataset"] = st.Summary, time.Since(t0).Seconds()
	store, err := acts.Open(build.ActsDir(filepath.Join(dir, "data")))
	if err != nil {
		return nil, err
	}
	src, err := probeset.FromStore(store, probeset.StoreOptions{NumLayers: m.Model.Config.NLayers, MinPerClass: max(p.Folds, 2)})
	if err != nil {
		return nil, err
	}
	mr.Skipped = src.Skipped()
	cv := probe.CVParams{Probe: probe.DefaultParams(), Folds: p.Folds, CGrid: p.CGrid,
		Bootstrap: stats.BootstrapParams{Reps: p.BootstrapReps}}
	cv.Probe.Seed = cfg.Seed
	cfg.logf("%s: probe grid", m.Name)
	t0 = time.Now()
	grid, err := gridFor(ctx, cfg, m.Name, dir, src, cv)
	if err != nil {
		return nil, err
	}
	mr.Timings["grid"] = time.Since(t0).Seconds()
	items, err := dataset.Plan(plan)
	if err != nil {
		return nil, err
	}
	beh := newBehaviour(m, items, p.BehaviourPrompts, p.MaxTokens, p.Batch)
	for _, an := range analysisNames {
		cfg.logf("%s: %s", m.Name, an)
		t0 = time.Now()
		r, err := analysis(ctx, an, filepath.Join(dir, an), src, grid, cv, p, cfg.Seed, beh)
		mr.Timings[an] = time.Since(t0).Seconds()
		if err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			// One finding that cannot be computed on this model (say, fewer than
			// two probe-able tasks) must not hide the others.
			mr.Verdicts[an] = "Not computed on this model: " + err.Error()
			cfg.logf("%s: %s failed: %v", m.Name, an, err)
			continue
		}
		mr.Results[an] = r
		mr.Verdicts[an] = r.Verdict()
	}
	return mr, nil
}

func gridFor(ctx context.Context, cfg Config, model, dir string, src probeset.Source, cv probe.CVParams) (*probeset.Grid, error) {
	path := filepath.Join(dir, "grid.json")
	if g, err := probeset.LoadGrid(path); err == nil {
		return g, nil
	}
	g, err := probeset.EvaluateGrid(ctx, src, probeset.GridConfig{CV: cv, CacheDir: filepath.Join(dir, "grid-cache"), Progress: cfg.progress(model, "probes")})
	if err != nil {
		return nil, err
	}
	return g, g.Save(path)
}

// analysis loads a saved result or runs the analysis and saves it.
func analysis(ctx context.Context, name, dir string, src probeset.Source, g *probeset.Grid, cv probe.CVParams, p Profile, seed uint64, beh *behaviour) (analyses.Result, error) {
	var r analyses.Result
	load := func(into analyses.Result) (analyses.Result, bool) {
		if analyses.Load(dir, into) == nil {
			return into, true
		}
		return nil, false
	}
	bp := stats.BootstrapParams{Reps: p.BootstrapReps, Seed: seed}
	switch name {
	case "specialist":
		if res, ok := load(&specialist.Result{}); ok {
			return res, nil
		}
		res, err := specialist.Run(ctx, src, specialist.Config{Position: p.Position, CV: cv})
		if err != nil {
			return nil, err
		}
		r = res
	case "transfer":
		if res, ok := load(&transfer.Result{}); ok {
			return res, nil
		}
		res, err := transfer.Run(ctx, src, transfer.Config{Position: p.Position, Folds: p.Folds, Probe: cv.Probe, Bootstrap: bp})
		if err != nil {
			return nil, err
		}
		r = res
	case "ablation":
		if res, ok := load(&ablation.Result{}); ok {
			return res, nil
		}
		acfg := ablation.Config{Position: p.Position, CV: cv, Seed: seed, Bootstrap: bp, BehaviourTop: p.BehaviourSources}
		if p.BehaviourSources > 0 && p.BehaviourPrompts > 0 {
			acfg.Behaviour = beh
		}
		res, err := ablation.Run(ctx, src, g, acfg)
		if err != nil {
			return nil, err
		}
		r = res
	case "layers":
		if res, ok := load(&layers.Result{}); ok {
			return res, nil
		}
		res, err := layers.Run(ctx, g, layers.Config{Position: p.Position, Bootstrap: bp, Source: src})
		if err != nil {
			return nil, err
		}
		r = res
	case "temporal":
		if res, ok := load(&temporal.Result{}); ok {
			return res, nil
		}
		res, err := temporal.Run(ctx, g, temporal.Config{Bootstrap: bp})
		if err != nil {
			return nil, err
		}
		r = res
	default:
		return nil, fmt.Errorf("unknown analysis %q", name)
	}
	return r, analyses.Save(dir, r)
}
