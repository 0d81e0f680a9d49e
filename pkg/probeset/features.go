package probeset

import (
	"fmt"
	"sync"

	"github.com/ifprobe/ifprobe/pkg/acts"
	"github.com/ifprobe/ifprobe/pkg/dataset"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/tasks"
	"github.com/ifprobe/ifprobe/pkg/textfeat"
	"gonum.org/v1/gonum/mat"
)

// BaselineLayer is the one pseudo-layer of a baseline source: its features do not
// come from a layer of the model.
const BaselineLayer = 0

// FeatureSource is a Source with the rows of a StoreSource — the same tasks, and
// at every position the same examples in the same order, hence the same labels,
// groups and folds — whose features are computed from each example's record
// instead of read from the model: the baselines. It has one layer,
// BaselineLayer. A grid over it, evaluated with the activation grid's CVParams,
// pairs with the activation grid cell for cell.
type FeatureSource struct {
	rows *StoreSource
	kind BaselineKind
	// features returns one example's feature vector at a position.
	features func(rec *dataset.Record, pos hook.Position) ([]float64, error)
	records  map[string]*dataset.Record
}

// Kind says which baseline the source computes.
func (f *FeatureSource) Kind() BaselineKind { return f.kind }

// Model implements Source.
func (f *FeatureSource) Model() string { return f.rows.Model() }

// Tasks implements Source.
func (f *FeatureSource) Tasks() []Task { return f.rows.Tasks() }

// Layers implements Source: the one pseudo-layer.
func (f *FeatureSource) Layers() []int { return []int{BaselineLayer} }

// NumLayers implements Source.
func (f *FeatureSource) NumLayers() int { return 1 }

// Positions implements Source: the store's.
func (f *FeatureSource) Positions() []hook.Position { return f.rows.Positions() }

// AllRows implements NamedRows: the rows' store's.
func (f *FeatureSource) AllRows(task string) ([]string, []int) { return f.rows.AllRows(task) }

// RowIDs implements NamedRows: the rows' store's.
func (f *FeatureSource) RowIDs(task string, position hook.Position) []string {
	return f.rows.RowIDs(task, position)
}

// Dataset implements Source: the features of the rows StoreSource.Dataset
// returns for task at position.
func (f *FeatureSource) Dataset(task string, layer int, position hook.Position) (probe.Dataset, error) {
	if layer != BaselineLayer {
		return probe.Dataset{}, fmt.Errorf("probeset: %s baseline has only layer %d, not %d: %w", f.kind, BaselineLayer, layer, ErrNoData)
	}
	exs := f.rows.Examples(task, position)
	if len(exs) == 0 {
		return probe.Dataset{}, fmt.Errorf("probeset: %s baseline: task %q at %s: %w", f.kind, task, position, ErrNoData)
	}
	var x *mat.Dense
	y := make([]int, len(exs))
	g := make([]int, len(exs))
	for i, e := range exs {
		rec, ok := f.records[e.ID]
		if !ok {
			return probe.Dataset{}, fmt.Errorf("probeset: %s baseline: example %s is in the store but not in the dataset records", f.kind, e.ID)
		}
		v, err := f.features(rec, position)
		if err != nil {
			return probe.Dataset{}, fmt.Errorf("probeset: %s baseline: example %s at %s: %w", f.kind, e.ID, position, err)
		}
		if x == nil {
			x = mat.NewDense(len(exs), len(v), nil)
		}
		x.SetRow(i, v)
		y[i], g[i] = e.Label, f.rows.Group(e.BaseID)
	}
	return probe.Dataset{Name: fmt.Sprintf("%s/%s-baseline/%s", task, f.kind, position), X: x, Y: y, Groups: g}, nil
}

// recordsByID indexes the records of the examples rows probes, and checks that
// every one has a record.
func recordsByID(rows *StoreSource, recs []dataset.Record) (map[string]*dataset.Record, error) {
	by := make(map[string]*dataset.Record, len(recs))
	for i := range recs {
		by[recs[i].ID] = &recs[i]
	}
	for _, t := range rows.Tasks() {
		for _, e := range rows.store.Examples(acts.Task(t.Name)) {
			if _, ok := by[e.ID]; !ok {
				return nil, fmt.Errorf("probeset: baseline: example %s of %s has no dataset record", e.ID, rows.store.Dir())
			}
		}
	}
	return by, nil
}

// NewTextBaseline returns the text baseline over rows: at each position, the
// features (textfeat.Config.Vector) of the text the model has read there — the
// prompt's tokens, then the response's up to the position's token. recs are the
// build's dataset records, which carry the token ids; decode turns response
// token ids into text (the model's tokenizer), and is called only for a prefix
// shorter than the whole response.
func NewTextBaseline(rows *StoreSource, recs []dataset.Record, decode func([]int) string, cfg textfeat.Config) (*FeatureSource, error) {
	by, err := recordsByID(rows, recs)
	if err != nil {
		return nil, err
	}
	for _, t := range rows.Tasks() {
		for _, e := range rows.store.Examples(acts.Task(t.Name)) {
			if r := by[e.ID]; len(r.PromptIDs) == 0 || len(r.ResponseIDs) != r.ResponseTokens {
				return nil, fmt.Errorf("probeset: text baseline: record %s has no token ids (a build by an older ifprobe?)", e.ID)
			}
		}
	}
	var mu sync.Mutex // decode may not be safe for concurrent use
	feat := func(r *dataset.Record, pos hook.Position) ([]float64, error) {
		n, err := responseSeen(r, pos)
		if err != nil {
			return nil, err
		}
		text := r.Response
		if n < len(r.ResponseIDs) {
			mu.Lock()
			text = decode(r.ResponseIDs[:n])
			mu.Unlock()
		}
		return cfg.Vector(textfeat.Seen{Task: r.Task, Params: r.Params, Prompt: r.PromptIDs, Response: r.ResponseIDs[:n], Text: text})
	}
	return &FeatureSource{rows: rows, kind: TextBaseline, features: feat, records: by}, nil
}

// responseSeen is how many response tokens (the stop token excluded) the state at
// pos has read, by hook.Position.Index over the generated sequence.
func responseSeen(r *dataset.Record, pos hook.Position) (int, error) {
	pl := len(r.PromptIDs)
	idx, ok := pos.Index(pl, r.SeenTokens(), r.Ended())
	if !ok || len(idx) != 1 {
		return 0, fmt.Errorf("position %s does not exist in %d prompt and %d response tokens (truncated %v)", pos, pl, r.ResponseTokens, r.Truncated)
	}
	return min(max(idx[0]-pl+1, 0), len(r.ResponseIDs)), nil
}

// NewInstructionBaseline returns the instruction baseline over rows: each
// example's task parameters and phrasing (textfeat.Instruction), the same at
// every position. A text parameter's vocabulary is the values its task's records
// hold.
func NewInstructionBaseline(rows *StoreSource, recs []dataset.Record) (*FeatureSource, error) {
	by, err := recordsByID(rows, recs)
	if err != nil {
		return nil, err
	}
	enc := map[string]*textfeat.Instruction{}
	for _, t := range rows.Tasks() {
		var ps []tasks.Params
		for _, r := range recs {
			if r.Task == t.Name {
				ps = append(ps, r.Params)
			}
		}
		if enc[t.Name], err = textfeat.NewInstruction(t.Name, ps); err != nil {
			return nil, fmt.Errorf("probeset: instruction baseline: %w", err)
		}
	}
	feat := func(r *dataset.Record, _ hook.Position) ([]float64, error) {
		in, ok := enc[r.Task]
		if !ok {
			return nil, fmt.Errorf("task %q is not probed", r.Task)
		}
		return in.Vector(r.Params, r.Phrasing)
	}
	return &FeatureSource{rows: rows, kind: InstructionBaseline, features: feat, records: by}, nil
}
