package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/pkg/dataset"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/planted"
)

// PlantedRun computes the planted study once per configuration, each as one
// synthetic model named by its Config.Name, into out in the layout Run writes:
// <out>/<name>/ with grid.json and every finding, and report.json, report.md
// and report.html across them (cross-model table included). It is a run of
// several models that takes seconds: what readers of runs (the notebooks and
// their tests) are tried on without a model. Names must be distinct and not
// empty. Each study is computed as RunPlanted computes one, with the sizes
// Planted documents; nothing is resumed.
func PlantedRun(ctx context.Context, out string, studies []planted.Config) (*Report, error) {
	if len(studies) == 0 {
		return nil, fmt.Errorf("reproduce: planted run: no studies")
	}
	rep := &Report{Started: time.Now()}
	seen := map[string]bool{}
	for _, cfg := range studies {
		if cfg.Name == "" || seen[cfg.Name] {
			return nil, fmt.Errorf("reproduce: planted run: study name %q is empty or repeated", cfg.Name)
		}
		seen[cfg.Name] = true
		mr, err := plantedModel(ctx, out, cfg)
		if err != nil {
			return nil, fmt.Errorf("reproduce: planted run: %s: %w", cfg.Name, err)
		}
		rep.Models = append(rep.Models, mr)
		rep.Config.Models = append(rep.Config.Models, cfg.Name)
	}
	rep.Config.Out, rep.Config.Seed = out, 1
	rep.Config.Profile = Profile{Name: PlantedProfile, PerTask: rep.Models[0].Summary[0].N, Position: hook.EOS,
		Folds: 4, BootstrapReps: 200}
	rep.Finished = time.Now()
	if err := rep.Write(out); err != nil {
		return nil, err
	}
	return rep, nil
}

// plantedModel computes one planted study into out/<name> and describes it as
// Run describes a model: pass rates from the planted labels, every task probed.
func plantedModel(ctx context.Context, out string, cfg planted.Config) (*ModelRun, error) {
	study, err := planted.New(cfg)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(out, cfg.Name)
	t0 := time.Now()
	results, files, err := runPlanted(ctx, dir, study, PlantedOptions{})
	if err != nil {
		return nil, err
	}
	mr := &ModelRun{Model: cfg.Name, Dir: cfg.Name, Results: results, Verdicts: map[string]analyses.Verdict{},
		Files: map[string][]string{}, Timings: map[string]float64{"planted": time.Since(t0).Seconds()}}
	for name, r := range results {
		mr.Verdicts[name], mr.Files[name] = r.Verdict(), files[name]
	}
	if mr.Summary, err = plantedSummary(study); err != nil {
		return nil, err
	}
	return mr, nil
}

// plantedSummary is the dataset summary of a planted study: each task's labels
// as the verifiers' would be counted (no response, so nothing is truncated).
func plantedSummary(s *planted.Study) ([]dataset.Summary, error) {
	var recs []dataset.Record
	for _, t := range s.Tasks() {
		ds, err := s.Dataset(t.Name, s.Layers()[0], s.Positions()[0])
		if err != nil {
			return nil, err
		}
		for _, y := range ds.Y {
			ok := y == 1
			recs = append(recs, dataset.Record{Task: t.Name, Label: &ok})
		}
	}
	return dataset.Summarize(recs), nil
}
