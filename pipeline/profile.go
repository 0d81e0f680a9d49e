package pipeline

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ifprobe/ifprobe/pkg/calibrate"
	"github.com/ifprobe/ifprobe/pkg/dataset"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/stats"
)

// Profile sets the sizes of a reproduction.
type Profile struct {
	Name string `json:"name"`
	// Models are the models a reproduction with this profile studies when none
	// are named (registry names); empty means DefaultModel.
	Models []string `json:"models,omitempty"`
	// Dataset. Tasks restricts the study to some tasks (default: all nine).
	Tasks     []string  `json:"tasks,omitempty"`
	PerTask   int       `json:"per_task"`   // instructed items per task
	Controls  bool      `json:"controls"`   // also answer every base request without instruction
	MaxTokens int       `json:"max_tokens"` // response length limit
	Batch     int       `json:"batch"`      // prompts generated together (continuous batching)
	Fractions []float64 `json:"fractions"`  // response fractions with stored states
	// ShardRows is the examples per activation shard of a new store (0: the
	// build's default, 64). Smaller shards lose less to a kill and cost more files.
	ShardRows int `json:"shard_rows,omitempty"`
	// Space overrides the tasks' sampling domains ("task.param=MIN:MAX" or
	// "task.param=a|b"; see pkg/dataset.ParseSpace), to bring pass rates near 50%.
	Space []string `json:"space,omitempty"`
	// Calibrate runs a short pilot per model before the dataset stage that tunes
	// every numeric knob toward a 50% pass rate (package calibrate); the chosen
	// domains replace Space's for those knobs. Pilot sizes it (zero: defaults).
	Calibrate bool               `json:"calibrate"`
	Pilot     calibrate.Settings `json:"pilot"`
	// Probes. Position is where the specialist, transfer, ablation and layers
	// findings read the residual stream (temporal reads every position); the
	// default "eos" is the end of the response, where the study finds
	// satisfaction most decodable.
	Position      hook.Position `json:"position"`
	Folds         int           `json:"folds"`
	CGrid         []float64     `json:"c_grid,omitempty"` // inner-CV grid for C; empty: C = 1
	BootstrapReps int           `json:"bootstrap_reps"`
	// Ablation behaviour.
	BehaviourSources int `json:"behaviour_sources"` // source tasks rerun with erasure (0: none)
	BehaviourPrompts int `json:"behaviour_prompts"` // held-out prompts per target task
}

// Profiles are the built-in sizes. quick (the default) and standard finish on a
// 2-core CPU in the times BENCHMARKS.md gives; paper has the study's sizes.
// Batch is the number of prompts generated together, chosen from BENCHMARKS.md's
// measurements ("Batch size"): decoding reads every weight once per step
// whatever the batch, so larger batches are cheaper per token until the
// attention over the KV cache and the cache's memory catch up; continuous
// batching keeps the batch full, so the last prompts do not wait for a batch's
// longest answer.
var Profiles = map[string]Profile{
	"quick": {Name: "quick", Position: hook.EOS, PerTask: 40, Controls: false, MaxTokens: 96, Space: smallModelSpace, Calibrate: true, Batch: 128, Fractions: []float64{0.25, 0.5, 0.75, 1},
		Folds: 5, BootstrapReps: 500, BehaviourSources: 2, BehaviourPrompts: 4},
	// standard has the power quick lacks (150 items per task, so minimum
	// detectable effects of a few AUROC points) on two models that can follow
	// most of the instructions. 41 minutes on the 2-core CPU (BENCHMARKS.md, "The
	// standard profile, measured (run 7)"), 72% of it Qwen's.
	"standard": {Name: "standard", Models: []string{DefaultModel, "qwen2.5-coder-0.5b-instruct"}, Position: hook.EOS, PerTask: 150,
		Controls: false, MaxTokens: 96, Space: smallModelSpace, Calibrate: true, Batch: 128, Fractions: []float64{0.25, 0.5, 0.75, 1},
		Folds: 5, BootstrapReps: 500, BehaviourSources: 2, BehaviourPrompts: 8},
	"paper": {Name: "paper", Position: hook.EOS, PerTask: 250, Controls: true, MaxTokens: 256, Batch: 128, Fractions: []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1},
		Folds: 5, CGrid: []float64{0.01, 0.1, 1, 10}, BootstrapReps: 1000, BehaviourSources: 9, BehaviourPrompts: 40},
	// ci is the smallest run that exercises every stage; its numbers mean nothing.
	// It reads the last response token: at 16 tokens most responses are
	// truncated and have no eos.
	"ci": {Name: "ci", Position: hook.Frac(1), PerTask: 10, MaxTokens: 16, Space: smallModelSpace, Batch: 6, Fractions: []float64{0.5, 1},
		Folds: 2, BootstrapReps: 50, BehaviourSources: 1, BehaviourPrompts: 2},
}

// DefaultModel is the model a reproduction studies when neither the command nor
// the profile names one.
const DefaultModel = "smollm2-135m-instruct"

// ModelsFor returns the models to study: named, else the profile's, else
// DefaultModel.
func (p Profile) ModelsFor(named []string) []string {
	switch {
	case len(named) > 0:
		return named
	case len(p.Models) > 0:
		return slices.Clone(p.Models)
	}
	return []string{DefaultModel}
}

// smallModelSpace tightens word_limit for models of a few hundred million
// parameters: with the tasks' default range (20 to 120 words) SmolLM2-135M passes
// almost always (pilot in pkg/tasks' docs: 7/8; with 10 to 35 words, 4/8).
// quick and standard calibrate: this is the domain their pilot compares against and keeps
// when no range of the grid comes nearer 50%.
var smallModelSpace = []string{"word_limit.n=10:35"}

// ProfileByName returns a built-in profile.
func ProfileByName(name string) (Profile, error) {
	p, ok := Profiles[name]
	if !ok {
		var names []string
		for n := range Profiles {
			names = append(names, n)
		}
		return Profile{}, fmt.Errorf("reproduce: unknown profile %q (valid: %s)", name, strings.Join(sorted(names), ", "))
	}
	return p, nil
}

func sorted(s []string) []string { slices.Sort(s); return s }

// plan is the dataset plan of the profile.
func (p Profile) plan(seed uint64) (dataset.Config, error) {
	space, err := dataset.ParseSpace(p.Space)
	if err != nil {
		return dataset.Config{}, err
	}
	return dataset.Config{Tasks: p.Tasks, PerTask: p.PerTask, Seed: seed, Folds: p.Folds, NoControls: !p.Controls, Space: space}, nil
}

// cv is the profile's probe settings: grouped folds, the C grid, bootstrap
// resamples; its probe seed draws the folds.
func (p Profile) cv(seed uint64) probe.CVParams {
	cv := probe.CVParams{Probe: probe.DefaultParams(), Folds: p.Folds, CGrid: p.CGrid,
		Bootstrap: stats.BootstrapParams{Reps: p.BootstrapReps}}
	cv.Probe.Seed = seed
	return cv
}
