package analyses

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/plot"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/stats"
	"gonum.org/v1/gonum/mat"
)

// Analysis is one finding of the study. Implementations live in their own
// package and join the registry with Register in an init function.
type Analysis interface {
	// Name is the stable id: the result's directory, the flag value, the key in
	// report.json ("specialist").
	Name() string
	// Number is the finding's number in the paper (1 to 5); reports list
	// analyses in this order.
	Number() int
	// Title is the heading in reports ("Specialist vs general probes").
	Title() string
	// Claim is the paper's claim in one sentence.
	Claim() string
	// Run computes the finding on one model's study.
	Run(ctx context.Context, in Inputs) (Result, error)
	// NewResult returns an empty result for Load to fill.
	NewResult() Result
}

// Result is what an analysis computed on one model.
type Result interface {
	// Name is the analysis name.
	Name() string
	// Figures draws the analysis' figures.
	Figures() ([]*plot.Figure, error)
	// Table returns the main table, header row first.
	Table() [][]string
	// Verdict is the finding's status with its evidence and prose.
	Verdict() Verdict
}

// Inputs is everything an analysis may read about one model's study. The
// pipeline fills it once per model; the planted study and tests fill it too.
type Inputs struct {
	// Source holds the probing datasets: activations by task, layer and
	// position, with labels and base-request groups.
	Source probeset.Source
	// Grid is the cross-validated probe grid over Source's tasks, layers and
	// positions.
	Grid *probeset.Grid
	// Baselines are probe grids on what a probe could read without the model's
	// states, by kind; nil or missing kinds when the run did not compute them.
	Baselines map[probeset.BaselineKind]*probeset.Grid
	// Position is where findings that read one position read it; the zero
	// Position means eos when the source has it, else prompt_last.
	Position hook.Position
	// CV configures the probes analyses train (folds, C grid, seed).
	CV probe.CVParams
	// Bootstrap configures every interval (resamples, level, seed).
	Bootstrap stats.BootstrapParams
	// Seed draws everything else random (control subspaces, shuffles).
	Seed uint64
	// Behaviour reruns the model under an edit; nil: behaviour is not measured.
	Behaviour Behaviour
	// BehaviourSources is how many source tasks the ablation reruns the model
	// for (0: none).
	BehaviourSources int
}

// Edit is an intervention for Behaviour: project Basis (orthonormal rows,
// [k, d]) out of the residual stream after block Layer, at every position.
type Edit struct {
	Layer int
	Basis *mat.Dense
}

// Behaviour reruns the model on held-out prompts of the given tasks under each
// of edits (a nil edit: none) and verifies the responses: satisfied[e][task][i]
// for the task's i-th prompt under edits[e]. It must use the same prompts, in the
// same order, for every edit and on every call, so that runs pair. Taking every
// target and every edit at once lets the model generate all of them in shared
// batches: one stream of prompts, each under its own edit, keeps a batch full
// where one edit's few prompts could not.
type Behaviour interface {
	Run(ctx context.Context, tasks []string, edits []*Edit) (satisfied []map[string][]bool, err error)
}

// ReadPosition is the position findings read when Inputs.Position is zero: eos
// when the source has it (where the study finds success most decodable), else
// prompt_last or the first position.
func (in Inputs) ReadPosition() hook.Position {
	if !in.Position.IsZero() {
		return in.Position
	}
	ps := in.Source.Positions()
	if slices.Contains(ps, hook.EOS) {
		return hook.EOS
	}
	return probeset.DefaultPosition(ps)
}

// Baseline returns the baseline grid of a kind, or nil.
func (in Inputs) Baseline(kind probeset.BaselineKind) *probeset.Grid {
	return in.Baselines[kind]
}

var registry struct {
	sync.Mutex
	byName map[string]Analysis
}

// Register adds an analysis to the registry. It panics on a duplicate name or
// number: registration happens in init functions, where that is a programming
// error.
func Register(a Analysis) {
	registry.Lock()
	defer registry.Unlock()
	if registry.byName == nil {
		registry.byName = map[string]Analysis{}
	}
	if _, dup := registry.byName[a.Name()]; dup {
		panic(fmt.Sprintf("analyses: %q registered twice", a.Name()))
	}
	for _, b := range registry.byName {
		if b.Number() == a.Number() {
			panic(fmt.Sprintf("analyses: %q and %q both claim finding %d", a.Name(), b.Name(), a.Number()))
		}
	}
	registry.byName[a.Name()] = a
}

// All returns the registered analyses in the paper's order. Import
// github.com/ifprobe/ifprobe/analyses/all to register the study's five.
func All() []Analysis {
	registry.Lock()
	defer registry.Unlock()
	out := make([]Analysis, 0, len(registry.byName))
	for _, a := range registry.byName {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b Analysis) int { return a.Number() - b.Number() })
	return out
}

// Names returns the registered analyses' names in the paper's order.
func Names() []string {
	var names []string
	for _, a := range All() {
		names = append(names, a.Name())
	}
	return names
}

// Get returns the registered analysis of that name, or an error listing the
// valid names.
func Get(name string) (Analysis, error) {
	registry.Lock()
	a, ok := registry.byName[name]
	registry.Unlock()
	if !ok {
		return nil, fmt.Errorf("analyses: unknown analysis %q (valid: %s)", name, strings.Join(Names(), ", "))
	}
	return a, nil
}
