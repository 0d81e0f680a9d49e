package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/analyses/baselines"
	"github.com/ifprobe/ifprobe/analyses/controls"
	"github.com/ifprobe/ifprobe/internal/shard"
	"github.com/ifprobe/ifprobe/pipeline/build"
	"github.com/ifprobe/ifprobe/pipeline/stage"
	"github.com/ifprobe/ifprobe/pkg/acts"
	"github.com/ifprobe/ifprobe/pkg/calibrate"
	"github.com/ifprobe/ifprobe/pkg/dataset"
	"github.com/ifprobe/ifprobe/pkg/lm"
	"github.com/ifprobe/ifprobe/pkg/model"
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
	// Devices is how many of the backend's devices the model generates on at once
	// (lm.Options.Devices). Not recorded: where a prompt is answered does not
	// change its response (model.Model.OnDevices).
	Devices int `json:"-"`
	// Weights is the type each model's weights are kept in (--weights); "" is f32.
	// The graphs compute in f32 either way, but bf16 weights are not the f32 model:
	// it is recorded in the report's config.
	Weights model.WeightDType `json:"weights,omitempty"`
	// NullSeed, when set, runs the label-permutation null: the dataset is the
	// real run's, but before probing and erasure every task's labels are shuffled
	// (counts kept) with this seed. Nothing may hold on such a run. Its grid,
	// results and report go to NullDir below Out.
	NullSeed *uint64 `json:"null_seed,omitempty"`
	// ExcludeTruncated probes only the responses that ended before the token
	// limit, at every position (eos never holds the others): the findings
	// without truncated responses, beside the run's. It reuses the dataset;
	// grid, results and report go to NoTruncatedDir below Out.
	ExcludeTruncated bool `json:"exclude_truncated,omitempty"`
	// Progress, when set, is told each stage's progress (e.g. "dataset", 40, 360).
	Progress func(model, stage string, done, total int) `json:"-"`
	// Log receives one line per stage.
	Log io.Writer `json:"-"`
	// Shard, when not the whole run, runs only part of Stage (shard.go): one
	// process of a job array. No report is written.
	Shard shard.Shard `json:"-"`
	Stage Stage       `json:"-"`
}

// NullDir is the directory, below the report's or a model's directory, of the
// permutation null with seed k.
func NullDir(k uint64) string { return fmt.Sprintf("null-%d", k) }

// NoTruncatedDir is the directory, below the report's or a model's directory,
// of the results without truncated responses (Config.ExcludeTruncated).
const NoTruncatedDir = "no-truncated"

// variant is the path, below Out or a model's directory, of this run's
// results: "" for the run itself, else no-truncated, null-K or both.
func (cfg Config) variant() string {
	var parts []string
	if cfg.ExcludeTruncated {
		parts = append(parts, NoTruncatedDir)
	}
	if cfg.NullSeed != nil {
		parts = append(parts, NullDir(*cfg.NullSeed))
	}
	return filepath.Join(parts...)
}

// ReportDir is where the report goes: Out, or its variant's directory.
func (cfg Config) ReportDir() string { return filepath.Join(cfg.Out, cfg.variant()) }

// ModelRun is what one model's run produced.
type ModelRun struct {
	Model    string                      `json:"model"`
	Dir      string                      `json:"dir"` // results, relative to the report's directory
	Summary  []dataset.Summary           `json:"summary"`
	Skipped  []probeset.SkippedTask      `json:"skipped"` // tasks not probed (too few of a label)
	Results  map[string]analyses.Result  `json:"-"`       // by analysis name; absent when it failed
	Verdicts map[string]analyses.Verdict `json:"verdicts"`
	Errors   map[string]string           `json:"errors,omitempty"` // analyses that could not be computed
	Files    map[string][]string         `json:"-"`                // files each analysis saved, relative to its directory
	Timings  map[string]float64          `json:"timings_s"`
	// Baselines sets each task's probe beside what the text and the instruction
	// give away (baselines/), and Controls projects the uninstructed controls on
	// the probe directions (controls/; ControlsNote says why it is absent).
	Baselines    *baselines.Result `json:"baselines,omitempty"`
	Controls     *controls.Result  `json:"controls,omitempty"`
	ControlsNote string            `json:"controls_note,omitempty"`
	// Calibration is the difficulty pilot and the domains it chose (profiles with Calibrate).
	Calibration *calibrate.Result `json:"calibration,omitempty"`
}

// Run reproduces the study for every model in cfg and writes the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	release, err := cfg.claim()
	if err != nil {
		return nil, err
	}
	defer release()
	if err := cfg.checkShard(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.ReportDir(), 0o755); err != nil {
		return nil, fmt.Errorf("reproduce: %w", err)
	}
	rep := &Report{Config: cfg, Started: time.Now()}
	run := runModel
	if !cfg.shardOf(StageGrid).Whole() {
		run = runGridShard // no model weights needed
	}
	for _, name := range cfg.Models {
		mr, err := run(ctx, cfg, name)
		if err != nil {
			return nil, fmt.Errorf("reproduce: %s: %w", name, err)
		}
		rep.Models = append(rep.Models, mr)
	}
	rep.Finished = time.Now()
	if !cfg.Shard.Whole() {
		return rep, nil // the report waits for the whole run
	}
	cfg.logf("report: %s", cfg.ReportDir())
	if err := rep.Write(cfg.ReportDir()); err != nil {
		return nil, err
	}
	if err := stage.Complete(cfg.ReportDir(), "report", "", []string{"report.md", "report.html", "report.json"}); err != nil {
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

// modelDirs are a model's directories: data (the dataset build, shared with
// its null runs) and results (grid and analyses).
type modelDirs struct{ data, results string }

func (cfg Config) dirs(model string) modelDirs {
	return modelDirs{data: filepath.Join(cfg.Out, model, "data"), results: filepath.Join(cfg.Out, model, cfg.variant())}
}

func runModel(ctx context.Context, cfg Config, name string) (*ModelRun, error) {
	p := cfg.Profile
	t0 := time.Now()
	m, err := lm.Load(name, lm.Options{Backend: cfg.Backend, Devices: cfg.Devices, Weights: cfg.Weights})
	if err != nil {
		return nil, err
	}
	mr := &ModelRun{Model: m.Name, Verdicts: map[string]analyses.Verdict{}, Results: map[string]analyses.Result{},
		Files: map[string][]string{}, Timings: map[string]float64{"load": time.Since(t0).Seconds()}}
	dirs := cfg.dirs(m.Name)
	if mr.Dir, err = filepath.Rel(cfg.ReportDir(), dirs.results); err != nil {
		return nil, err
	}
	plan, err := p.plan(cfg.Seed)
	if err != nil {
		return nil, err
	}
	if err := cfg.calibrate(ctx, m, &plan, mr); err != nil {
		return nil, err
	}
	cfg.logf("%s: dataset (%d items per task, up to %d tokens each)", m.Name, p.PerTask, p.MaxTokens)
	t0 = time.Now()
	st, err := build.Build(ctx, m, dirs.data, build.Config{Plan: plan, MaxTokens: p.MaxTokens, Batch: p.Batch,
		Fractions: p.Fractions, ShardRows: p.ShardRows, Progress: cfg.progress(m.Name, "dataset"), Shard: cfg.shardOf(StageDataset)})
	if err != nil {
		return nil, err
	}
	mr.Summary, mr.Timings["dataset"] = st.Summary, time.Since(t0).Seconds()
	if g := st.Generation; g != nil && g.Steps > 0 {
		cfg.logf("%s: dataset: %s", m.Name, g)
	}
	if r := st.Repaired; r != nil {
		cfg.logf("%s: the activation store's shard %d was damaged (%s): dropped it and %d later shard(s), regenerated their %d examples",
			m.Name, r.Shard, r.Problem, r.Shards-1, r.Examples)
	}
	if !cfg.shardOf(StageDataset).Whole() {
		return mr, nil // one part of the dataset: the rest of the run follows the merge
	}
	dataSum, err := fileSum(filepath.Join(build.ActsDir(dirs.data), acts.ManifestFile))
	if err != nil {
		return nil, err
	}
	in, err := cfg.inputs(ctx, m, dirs, plan, mr, dataSum)
	if err != nil {
		return nil, err
	}
	gridSum, err := fileSum(filepath.Join(dirs.results, "grid.json"))
	if err != nil {
		return nil, err
	}
	for _, a := range analyses.All() {
		cfg.logf("%s: %s", m.Name, a.Name())
		t0 = time.Now()
		r, files, err := runAnalysis(ctx, a, dirs.results, cfg.stageKey(dataSum, gridSum), in)
		mr.Timings[a.Name()] = time.Since(t0).Seconds()
		var we *writeError
		if err != nil {
			if ctx.Err() != nil || errors.As(err, &we) {
				return nil, err
			}
			// One finding that cannot be computed on this model (say, fewer than
			// two probe-able tasks) must not hide the others.
			if mr.Errors == nil {
				mr.Errors = map[string]string{}
			}
			mr.Errors[a.Name()] = err.Error()
			cfg.logf("%s: %s failed: %v", m.Name, a.Name(), err)
			continue
		}
		mr.Results[a.Name()], mr.Verdicts[a.Name()], mr.Files[a.Name()] = r, r.Verdict(), files
	}
	return mr, nil
}

// inputs builds what the analyses read: the probing source (labels permuted
// for a null run), the probe grid, the behaviour runner, and the settings.
func (cfg Config) inputs(ctx context.Context, m *lm.LM, dirs modelDirs, plan dataset.Config, mr *ModelRun, dataSum string) (analyses.Inputs, error) {
	p := cfg.Profile
	store, err := acts.Open(build.ActsDir(dirs.data))
	if err != nil {
		return analyses.Inputs{}, err
	}
	ss, err := probeset.FromStore(store, probeset.StoreOptions{NumLayers: m.Model.Config.NLayers, MinPerClass: max(p.Folds, 2), ExcludeTruncated: cfg.ExcludeTruncated})
	if err != nil {
		return analyses.Inputs{}, err
	}
	mr.Skipped = ss.Skipped()
	var src probeset.Source = ss
	if cfg.NullSeed != nil {
		src = probeset.PermuteLabels(ss, *cfg.NullSeed)
	}
	in := analyses.Inputs{Source: src, Position: p.Position, CV: p.cv(cfg.Seed), Seed: cfg.Seed,
		Bootstrap: stats.BootstrapParams{Reps: p.BootstrapReps, Seed: cfg.Seed}, BehaviourSources: p.BehaviourSources}
	cfg.logf("%s: probe grid", m.Name)
	t0 := time.Now()
	if in.Grid, err = gridFor(ctx, cfg, m.Name, dirs.results, cfg.stageKey(dataSum), src, in.CV); err != nil {
		return analyses.Inputs{}, err
	}
	mr.Timings["grid"] = time.Since(t0).Seconds()
	if err := restrictToProbeable(&in, mr); err != nil {
		return analyses.Inputs{}, err
	}
	ex, err := cfg.runExtras(ctx, m, dirs, cfg.stageKey(dataSum), ss, in.Grid, in.CV, mr.Timings)
	if err != nil {
		return analyses.Inputs{}, err
	}
	in.Baselines = ex.Grids
	mr.Baselines, mr.Controls, mr.ControlsNote = ex.Baselines, ex.Controls, ex.ControlsNote
	if p.BehaviourSources > 0 && p.BehaviourPrompts > 0 {
		items, err := dataset.Plan(plan)
		if err != nil {
			return analyses.Inputs{}, err
		}
		answered, err := verdicts(build.DatasetPath(dirs.data))
		if err != nil {
			return analyses.Inputs{}, err
		}
		in.Behaviour = newBehaviour(m, items, p.BehaviourPrompts, p.MaxTokens, p.Batch, answered)
	}
	return in, nil
}

// restrictToProbeable leaves out of the analyses the tasks that have no probe
// scores at the read position (too few rows of a class there, or none: eos
// leaves truncated responses out), so that every finding works on the same
// tasks, and records them with the reason for the report.
func restrictToProbeable(in *analyses.Inputs, mr *ModelRun) error {
	pos := in.ReadPosition()
	kept, left := in.Grid.Probeable(pos)
	if len(left) == 0 {
		return nil
	}
	mr.Skipped = append(mr.Skipped, left...)
	if len(kept) == 0 {
		return fmt.Errorf("reproduce: no task can be probed at %s (%s: %s); raise --per-task, or --max-tokens when responses are truncated",
			pos, left[0].Task, left[0].Reason)
	}
	in.Source = probeset.Only(in.Source, kept)
	return nil
}

// gridFor loads the probe grid when its stage is complete for key, else evaluates
// it (resuming from its per-layer cache), saves it and records the stage.
func gridFor(ctx context.Context, cfg Config, model, dir, key string, src probeset.Source, cv probe.CVParams) (*probeset.Grid, error) {
	return stagedGrid(ctx, dir, "grid", key, src, probeset.GridConfig{CV: cv, CacheDir: filepath.Join(dir, "grid-cache"),
		Progress: cfg.progress(model, "probes"), Shard: cfg.shardOf(StageGrid)})
}

// stagedGrid loads dir/<name>.json when stage name is complete for key, else
// evaluates the grid of src with gc (resuming from gc.CacheDir), saves it and
// records the stage: a grid.json left by a killed run, or computed from other
// inputs, is never taken for the result.
func stagedGrid(ctx context.Context, dir, name, key string, src probeset.Source, gc probeset.GridConfig) (*probeset.Grid, error) {
	path := filepath.Join(dir, name+".json")
	if done, _, err := stage.Done(dir, name, key); err != nil {
		return nil, err
	} else if done {
		if g, err := probeset.LoadGrid(path); err == nil {
			return g, nil
		}
	}
	g, err := probeset.EvaluateGrid(ctx, src, gc)
	if err != nil || !gc.Shard.Whole() { // one part of the grid: its cache files only
		return g, err
	}
	files, err := saveGrid(g, path)
	if err != nil {
		return nil, err
	}
	return g, stage.Complete(dir, name, key, files)
}

// runAnalysis loads the result of analysis a from dir/<name> when its stage is
// complete for key (every file it saved still there and unchanged), else runs it,
// saves it and records the stage. It returns the result and the files saved,
// relative to dir/<name>. A failure to save is a *writeError.
func runAnalysis(ctx context.Context, a analyses.Analysis, dir, key string, in analyses.Inputs) (analyses.Result, []string, error) {
	sub := filepath.Join(dir, a.Name())
	if rec, err := stage.Read(dir, a.Name()); err == nil {
		if done, _, err := stage.Done(dir, a.Name(), key); err != nil {
			return nil, nil, &writeError{err}
		} else if done {
			r := a.NewResult()
			if _, err := analyses.Load(sub, r); err == nil {
				return r, recordedFiles(rec, a.Name()), nil
			}
		}
	}
	r, err := a.Run(ctx, in)
	if err != nil {
		return nil, nil, err
	}
	files, err := analyses.Save(sub, r)
	if err == nil {
		err = stage.Complete(dir, a.Name(), key, prefixed(a.Name(), files))
	}
	if err != nil {
		return nil, nil, &writeError{err}
	}
	return r, files, nil
}

// recordedFiles lists the files of a completion record, relative to its stage's
// directory sub.
func recordedFiles(rec *stage.Record, sub string) []string {
	var out []string
	for _, f := range rec.Files {
		if rel, err := filepath.Rel(sub, filepath.FromSlash(f.Path)); err == nil {
			out = append(out, rel)
		}
	}
	return out
}
