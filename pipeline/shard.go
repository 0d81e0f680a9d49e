package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/ifprobe/ifprobe/internal/shard"
	"github.com/ifprobe/ifprobe/pipeline/build"
	"github.com/ifprobe/ifprobe/pkg/acts"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/registry"
)

// Stage is the part of a reproduction that the processes of a job array split
// between them (Config.Shard); the stages run in this order, each after the
// previous one has finished in every process:
//
//	dataset  part I/N of each model's dataset build (build.Config.Shard)
//	grid     the dataset merged (once, by whichever process comes first; the
//	         others wait), then part I/N of the probe grid's (position, layer)
//	         units into the grid cache (probeset.GridConfig.Shard)
//
// A last, whole Run reads the grid from the cache, runs the analyses and writes
// the report.
type Stage string

// The stages.
const (
	StageDataset Stage = "dataset"
	StageGrid    Stage = "grid"
)

// ParseStage checks a --stage value.
func ParseStage(s string) (Stage, error) {
	switch st := Stage(s); st {
	case StageDataset, StageGrid:
		return st, nil
	}
	return "", fmt.Errorf("reproduce: stage %q: want %s or %s", s, StageDataset, StageGrid)
}

// checkShard validates Shard and Stage together.
func (cfg Config) checkShard() error {
	if err := cfg.Shard.Validate(); err != nil {
		return fmt.Errorf("reproduce: %w", err)
	}
	if cfg.Shard.Whole() {
		return nil
	}
	_, err := ParseStage(string(cfg.Stage))
	return err
}

// shardOf is the part of stage this process runs: the whole of it unless the
// run is sharded at that stage.
func (cfg Config) shardOf(stage Stage) shard.Shard {
	if cfg.Stage != stage {
		return shard.Shard{}
	}
	return cfg.Shard
}

// runGridShard is the grid stage of one process for one model: merge the
// dataset parts if no process has yet, then evaluate this part of the grid
// (labels permuted for a null run, as the whole run does). It reads the
// activation store only: a CPU node never loads the model's weights.
func runGridShard(ctx context.Context, cfg Config, name string) (*ModelRun, error) {
	loc, err := registry.Resolve(name)
	if err != nil {
		return nil, err
	}
	dirs := cfg.dirs(loc.Name)
	mr := &ModelRun{Model: loc.Name, Timings: map[string]float64{}}
	t0 := time.Now()
	st, err := build.MergeIfSharded(dirs.data)
	if err != nil {
		return nil, err
	}
	if st != nil {
		mr.Summary, mr.Timings["dataset"] = st.Summary, time.Since(t0).Seconds()
	}
	store, err := acts.Open(build.ActsDir(dirs.data))
	if err != nil {
		return nil, err
	}
	ss, err := probeset.FromStore(store, probeset.StoreOptions{NumLayers: len(store.Layers()), MinPerClass: max(cfg.Profile.Folds, 2)})
	if err != nil {
		return nil, err
	}
	mr.Skipped = ss.Skipped()
	var src probeset.Source = ss
	if cfg.NullSeed != nil {
		src = probeset.PermuteLabels(ss, *cfg.NullSeed)
	}
	cfg.logf("%s: probe grid, part %s", loc.Name, cfg.Shard)
	t0 = time.Now()
	if _, err := gridFor(ctx, cfg, loc.Name, dirs.results, "", src, cfg.Profile.cv(cfg.Seed)); err != nil {
		return nil, err
	}
	mr.Timings["grid"] = time.Since(t0).Seconds()
	return mr, nil
}
