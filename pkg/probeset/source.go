package probeset

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/ifprobe/ifprobe/pkg/acts"
	"github.com/ifprobe/ifprobe/pkg/dataset"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/tasks"
	"gonum.org/v1/gonum/mat"
)

// ErrNoData is wrapped when a task, layer or position has no examples.
var ErrNoData = errors.New("probeset: no data")

// Task is one instruction task of the study.
type Task struct {
	Name string `json:"name"`
	Kind string `json:"kind"` // structural, lexical or semantic
}

// Source supplies the probing datasets of one model.
type Source interface {
	// Model names the model the data come from.
	Model() string
	// Tasks lists the tasks, in the study's order.
	Tasks() []Task
	// Layers lists the layers with activations, ascending.
	Layers() []int
	// NumLayers is the model's depth (for normalised depth).
	NumLayers() int
	// Positions lists the positions with activations.
	Positions() []hook.Position
	// Dataset returns one task's examples at a layer and position: X [n, d],
	// labels and base-request groups (shared across tasks).
	Dataset(task string, layer int, position hook.Position) (probe.Dataset, error)
}

// DefaultPosition is the position analyses read when none is configured:
// prompt_last when available, else the first one.
func DefaultPosition(positions []hook.Position) hook.Position {
	if slices.Contains(positions, hook.PromptLast) || len(positions) == 0 {
		return hook.PromptLast
	}
	return positions[0]
}

// Datasets returns every task's dataset at one layer and position, in order.
func Datasets(src Source, ts []Task, layer int, position hook.Position) ([]probe.Dataset, error) {
	dss := make([]probe.Dataset, len(ts))
	for i, t := range ts {
		ds, err := src.Dataset(t.Name, layer, position)
		if err != nil {
			return nil, err
		}
		dss[i] = ds
	}
	return dss, nil
}

// Depth maps a layer to normalised depth in (0, 1]: (layer+1)/numLayers.
func Depth(layer, numLayers int) float64 { return float64(layer+1) / float64(numLayers) }

// StoreOptions configures FromStore.
type StoreOptions struct {
	// HookKind is the hook read at every layer; default resid_post.
	HookKind hook.Kind
	// NumLayers overrides the model depth; default: max layer in the store + 1.
	NumLayers int
	// Tasks restricts and orders tasks; default: the nine tasks of pkg/tasks that
	// the store has, in their order.
	Tasks []string
	// MinPerClass is the fewest examples of each label a task needs to be probed
	// (grouped k-fold needs at least k); default 5. Tasks below it are listed by
	// Skipped, not probed: a task the model always (or never) satisfies has
	// nothing to decode.
	MinPerClass int
	// ExcludeTruncated leaves out, at every position, the responses stopped by the
	// token limit. At eos they are always left out: they have no end (acts).
	ExcludeTruncated bool
}

// SkippedTask is a task left out of probing, with the reason.
type SkippedTask struct {
	Task   string `json:"task"`
	Reason string `json:"reason"`
}

// StoreSource is a Source backed by an activation store. It caches one position's
// stacked activations at a time, so reading layer after layer is one pass.
type StoreSource struct {
	store     *acts.Store
	opt       StoreOptions
	tasks     []Task
	skipped   []SkippedTask
	groups    map[string]int
	mu        sync.Mutex
	cachedPos hook.Position
	cached    *acts.Stacked
}

// FromStore wraps an activation store as a Source.
func FromStore(s *acts.Store, opt StoreOptions) (*StoreSource, error) {
	if opt.HookKind == 0 {
		opt.HookKind = hook.KindResidPost
	}
	layers := s.Layers()
	if len(layers) == 0 {
		return nil, fmt.Errorf("probeset: store %s has no layer hooks: %w", s.Dir(), ErrNoData)
	}
	if opt.NumLayers == 0 {
		opt.NumLayers = layers[len(layers)-1] + 1
	}
	if opt.MinPerClass == 0 {
		opt.MinPerClass = 5
	}
	src := &StoreSource{store: s, opt: opt, groups: map[string]int{}}
	present := map[string]bool{}
	count := map[string][2]int{}
	for _, e := range s.Examples() {
		if opt.ExcludeTruncated && e.Truncated {
			continue
		}
		present[e.Task] = true
		if e.Label == 0 || e.Label == 1 {
			c := count[e.Task]
			c[e.Label]++
			count[e.Task] = c
		}
		if _, ok := src.groups[e.BaseID]; !ok {
			src.groups[e.BaseID] = len(src.groups)
		}
	}
	names := opt.Tasks
	if len(names) == 0 {
		names = tasks.Names()
	}
	for _, n := range names {
		if !present[n] {
			if len(opt.Tasks) > 0 {
				return nil, fmt.Errorf("probeset: store %s has no examples of task %q: %w", s.Dir(), n, ErrNoData)
			}
			continue
		}
		if c := count[n]; min(c[0], c[1]) < opt.MinPerClass {
			src.skipped = append(src.skipped, SkippedTask{Task: n,
				Reason: fmt.Sprintf("%d satisfied and %d not: fewer than %d of a label", c[1], c[0], opt.MinPerClass)})
			continue
		}
		kind := ""
		if t, err := tasks.Get(n); err == nil {
			kind = string(t.Kind)
		}
		src.tasks = append(src.tasks, Task{Name: n, Kind: kind})
	}
	if len(src.tasks) == 0 {
		return nil, fmt.Errorf("probeset: store %s has no task with at least %d examples of each label (%v): %w", s.Dir(), opt.MinPerClass, src.skipped, ErrNoData)
	}
	return src, nil
}

// Skipped lists the tasks left out of probing and why.
func (s *StoreSource) Skipped() []SkippedTask { return slices.Clone(s.skipped) }

// Model implements Source.
func (s *StoreSource) Model() string { return s.store.Manifest().Model.Name }

// Tasks implements Source.
func (s *StoreSource) Tasks() []Task { return slices.Clone(s.tasks) }

// Layers implements Source.
func (s *StoreSource) Layers() []int { return s.store.Layers() }

// NumLayers implements Source.
func (s *StoreSource) NumLayers() int { return s.opt.NumLayers }

// Positions implements Source.
func (s *StoreSource) Positions() []hook.Position { return slices.Clone(s.store.Manifest().Positions) }

// Dataset implements Source.
func (s *StoreSource) Dataset(task string, layer int, position hook.Position) (probe.Dataset, error) {
	st, x, rows, err := s.read(layer, position, func(e acts.Example) bool { return e.Task == task })
	if err != nil {
		return probe.Dataset{}, fmt.Errorf("probeset: task %q: %w", task, err)
	}
	y := make([]int, len(rows))
	g := make([]int, len(rows))
	for r, i := range rows {
		y[r] = st.Examples[i].Label
		g[r] = s.groups[st.Examples[i].BaseID]
	}
	return probe.Dataset{Name: fmt.Sprintf("%s/L%d/%s", task, layer, position), X: x, Y: y, Groups: g}, nil
}

// Examples returns the stored examples that Dataset(task, _, position) returns as
// rows, in the same order: the task's, without truncated responses at eos (or
// anywhere, with ExcludeTruncated). Baseline sources use it to line up with the
// activations row for row.
func (s *StoreSource) Examples(task string, position hook.Position) []acts.Example {
	return s.store.Examples(append(s.filters(position), acts.Task(task))...)
}

// AllRows implements NamedRows: the task's examples at the positions that hold
// them all (all but eos), with their labels.
func (s *StoreSource) AllRows(task string) (ids []string, y []int) {
	exs := s.Examples(task, hook.PromptLast)
	ids, y = make([]string, len(exs)), make([]int, len(exs))
	for i, e := range exs {
		ids[i], y[i] = e.ID, e.Label
	}
	return ids, y
}

// RowIDs implements NamedRows.
func (s *StoreSource) RowIDs(task string, position hook.Position) []string {
	exs := s.Examples(task, position)
	ids := make([]string, len(exs))
	for i, e := range exs {
		ids[i] = e.ID
	}
	return ids
}

// Controls returns the uninstructed control examples (task dataset.Control: the
// base request alone, label -1) at a layer and position: X [n, d] and each row's
// example. They are never probed; analyses project them on probe directions.
// At eos, truncated controls are left out as any other. ErrNoData when the store
// has none there.
func (s *StoreSource) Controls(layer int, position hook.Position) (*mat.Dense, []acts.Example, error) {
	st, x, rows, err := s.read(layer, position, func(e acts.Example) bool { return e.Task == dataset.Control })
	if err != nil {
		return nil, nil, fmt.Errorf("probeset: controls: %w", err)
	}
	exs := make([]acts.Example, len(rows))
	for r, i := range rows {
		exs[r] = st.Examples[i]
	}
	return x, exs, nil
}

// read returns the states at layer and position of the examples keep selects:
// the stack they come from, X [n, d], and their indices in the stack.
func (s *StoreSource) read(layer int, position hook.Position, keep func(acts.Example) bool) (*acts.Stacked, *mat.Dense, []int, error) {
	st, err := s.stacked(position)
	if err != nil {
		return nil, nil, nil, err
	}
	li := slices.Index(st.Layers, layer)
	if li < 0 {
		return nil, nil, nil, fmt.Errorf("layer %d not in store (layers %v): %w", layer, st.Layers, ErrNoData)
	}
	var rows []int
	for i, e := range st.Examples {
		if keep(e) {
			rows = append(rows, i)
		}
	}
	if len(rows) == 0 {
		return nil, nil, nil, fmt.Errorf("no examples at %s: %w", position, ErrNoData)
	}
	return st, rowsOf(st.Layer(li), st.D, rows), rows, nil
}

// Group returns the group id of a base request (-1 when the store has none).
func (s *StoreSource) Group(baseID string) int {
	if g, ok := s.groups[baseID]; ok {
		return g
	}
	return -1
}

// filters select the examples read at position (acts.Store.Stack adds Ended at eos).
func (s *StoreSource) filters(position hook.Position) []acts.Filter {
	var fs []acts.Filter
	if s.opt.ExcludeTruncated || position.Kind == hook.PosEOS {
		fs = append(fs, acts.Ended)
	}
	return fs
}

func (s *StoreSource) stacked(position hook.Position) (*acts.Stacked, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cached != nil && s.cachedPos == position {
		return s.cached, nil
	}
	st, err := s.store.Stack(s.opt.HookKind, position, s.filters(position)...)
	if err != nil {
		return nil, fmt.Errorf("probeset: %w", err)
	}
	s.cachedPos, s.cached = position, st
	return st, nil
}

// rowsOf copies the given rows of a [n, d] slab into a matrix.
func rowsOf(slab []float32, d int, rows []int) *mat.Dense {
	x := mat.NewDense(len(rows), d, nil)
	for r, i := range rows {
		row := x.RawRowView(r)
		for j, v := range slab[i*d : (i+1)*d] {
			row[j] = float64(v)
		}
	}
	return x
}
