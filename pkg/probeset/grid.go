package probeset

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ifprobe/ifprobe/internal/jsonnan"
	"github.com/ifprobe/ifprobe/internal/shard"
	"github.com/ifprobe/ifprobe/pkg/atomicfile"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/stats"
)

// GridVersion stamps saved grids.
const GridVersion = "ifprobe.study.grid/v1"

// GridConfig says which probes EvaluateGrid trains. Zero fields take the defaults.
type GridConfig struct {
	Tasks     []string        `json:"tasks,omitempty"`     // default: all of the source's
	Layers    []int           `json:"layers,omitempty"`    // default: all of the source's
	Positions []hook.Position `json:"positions,omitempty"` // default: all of the source's
	CV        probe.CVParams  `json:"cv"`                  // Control is always on
	// CacheDir, when set, keeps one JSON file per position and layer there, so an
	// interrupted grid resumes where it stopped.
	CacheDir string `json:"-"`
	// Shard, when not the whole grid, evaluates only this part's (position,
	// layer) units — dealt round-robin in the grid's order — into CacheDir, and
	// returns a grid of those cells only: N processes fill the cache, then one
	// whole EvaluateGrid reads it. The tasks of one position and layer stay
	// together because they are trained in one batched solve (EvaluateMany).
	Shard shard.Shard `json:"-"`
	// Progress, when set, is called after each layer with the cells done so far.
	Progress func(done, total int) `json:"-"`
}

// Cell is the cross-validated evaluation of one task's probe at one layer and
// position, with the data needed to bootstrap statistics built on it.
type Cell struct {
	Task     string         `json:"task"`
	Layer    int            `json:"layer"`
	Position hook.Position  `json:"position"`
	N        int            `json:"n"`
	AUROC    stats.Interval `json:"auroc"`
	Accuracy stats.Interval `json:"accuracy"`
	// BalancedAccuracy is the mean of the two classes' accuracies (0.5 for a
	// majority-class guess); the paper reports accuracy on balanced sets.
	BalancedAccuracy stats.Interval  `json:"balanced_accuracy"`
	Control          *stats.Interval `json:"control_auroc,omitempty"`
	Selectivity      float64         `json:"selectivity"`
	FoldAUROC        []float64       `json:"fold_auroc"`
	C                []float64       `json:"c"` // C chosen per fold
	NotConverged     int             `json:"not_converged"`
	// Error says why this cell could not be evaluated (e.g. a fold whose
	// training rows hold one class); its scores are then NaN.
	Error  string    `json:"error,omitempty"`
	Y      []int     `json:"y"`
	Groups []int     `json:"groups"`
	OOF    []float64 `json:"oof"` // out-of-fold decision values
	FoldOf []int     `json:"fold_of"`
}

// Grid holds the probe evaluations of one model over tasks × layers × positions.
type Grid struct {
	Version   string          `json:"version"`
	Model     string          `json:"model"`
	NumLayers int             `json:"num_layers"`
	Tasks     []Task          `json:"tasks"`
	Layers    []int           `json:"layers"`
	Positions []hook.Position `json:"positions"`
	CV        probe.CVParams  `json:"cv"`
	Cells     []Cell          `json:"cells"`
	index     map[cellKey]int
}

type cellKey struct {
	task  string
	layer int
	pos   hook.Position
}

func (c GridConfig) resolve(src Source) (GridConfig, []Task, error) {
	all := src.Tasks()
	var ts []Task
	if len(c.Tasks) == 0 {
		ts = all
	} else {
		for _, n := range c.Tasks {
			i := slices.IndexFunc(all, func(t Task) bool { return t.Name == n })
			if i < 0 {
				return c, nil, fmt.Errorf("probeset: grid: task %q not in source %s: %w", n, src.Model(), ErrNoData)
			}
			ts = append(ts, all[i])
		}
	}
	if len(c.Layers) == 0 {
		c.Layers = src.Layers()
	}
	if len(c.Positions) == 0 {
		c.Positions = src.Positions()
	}
	c.CV.Control = true
	return c, ts, nil
}

// EvaluateGrid trains and cross-validates one probe per task, layer and position
// (with its control task), layer by layer. With cfg.CacheDir it resumes from the
// layers already evaluated.
func EvaluateGrid(ctx context.Context, src Source, cfg GridConfig) (*Grid, error) {
	cfg, ts, err := cfg.resolve(src)
	if err != nil {
		return nil, err
	}
	if err := cfg.Shard.Validate(); err != nil {
		return nil, fmt.Errorf("probeset: grid: %w", err)
	}
	if !cfg.Shard.Whole() && cfg.CacheDir == "" {
		return nil, fmt.Errorf("probeset: grid: shard %s needs a CacheDir to leave its cells in", cfg.Shard)
	}
	g := &Grid{Version: GridVersion, Model: src.Model(), NumLayers: src.NumLayers(), Tasks: ts,
		Layers: cfg.Layers, Positions: cfg.Positions, CV: cfg.CV}
	units := len(cfg.Layers) * len(cfg.Positions)
	if !cfg.Shard.Whole() {
		units = (units - cfg.Shard.Index + cfg.Shard.Count - 1) / cfg.Shard.Count
	}
	total, done, unit := len(ts)*units, 0, -1
	for _, pos := range cfg.Positions {
		for _, layer := range cfg.Layers {
			if unit++; !cfg.Shard.Owns(unit) {
				continue
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			cells, err := evaluateLayer(src, cfg, ts, layer, pos)
			if err != nil {
				return nil, err
			}
			g.Cells = append(g.Cells, cells...)
			done += len(ts)
			if cfg.Progress != nil {
				cfg.Progress(done, total)
			}
		}
	}
	g.reindex()
	return g, nil
}

// evaluateLayer evaluates every task at one layer and position, or reads the
// cached result.
func evaluateLayer(src Source, cfg GridConfig, ts []Task, layer int, pos hook.Position) ([]Cell, error) {
	var cache string
	if cfg.CacheDir != "" {
		cache = filepath.Join(cfg.CacheDir, fmt.Sprintf("%s_L%03d.json", sanitize(pos.String()), layer))
		if cells, ok := readCache(cache, ts, layer, pos); ok {
			return cells, nil
		}
	}
	cells, err := evaluateTasks(src, cfg, ts, layer, pos)
	if err != nil {
		return nil, err
	}
	if cache != "" {
		b, err := jsonnan.Marshal(cells)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(cfg.CacheDir, 0o755); err != nil {
			return nil, fmt.Errorf("probeset: grid cache: %w", err)
		}
		if err := atomicfile.WriteFile(cache, b); err != nil {
			return nil, fmt.Errorf("probeset: grid cache: %w", err)
		}
	}
	return cells, nil
}

// evaluateTasks evaluates every task at one layer and position. A task with no
// rows there (say, eos when every response was truncated) gets a failed cell.
func evaluateTasks(src Source, cfg GridConfig, ts []Task, layer int, pos hook.Position) ([]Cell, error) {
	cells := make([]Cell, len(ts))
	var dss []probe.Dataset
	var at []int // index in ts of each dataset
	for i, t := range ts {
		ds, err := src.Dataset(t.Name, layer, pos)
		if errors.Is(err, ErrNoData) {
			cells[i] = failedCell(t.Name, layer, pos, probe.Dataset{}, err)
			continue
		}
		if err != nil {
			return nil, err
		}
		dss, at = append(dss, ds), append(at, i)
	}
	evs, err := cfg.CV.EvaluateMany(dss)
	if err != nil {
		// One degenerate dataset (say, a fold with a single class) must not sink
		// the others: evaluate one by one and mark the failures.
		for k, ds := range dss {
			i := at[k]
			ev, err := cfg.CV.Evaluate(ds)
			if err != nil {
				// Small sets can leave a control task with one class in a training
				// fold; keep the task's own scores and report the control as missing.
				noCtl := cfg.CV
				noCtl.Control = false
				if ev2, err2 := noCtl.Evaluate(ds); err2 == nil {
					cells[i] = cellOf(ts[i].Name, layer, pos, ds, ev2)
					cells[i].Selectivity = math.NaN()
					cells[i].Error = "control task: " + err.Error()
					continue
				}
				cells[i] = failedCell(ts[i].Name, layer, pos, ds, err)
				continue
			}
			cells[i] = cellOf(ts[i].Name, layer, pos, ds, ev)
		}
	} else {
		for k, ev := range evs {
			cells[at[k]] = cellOf(ts[at[k]].Name, layer, pos, dss[k], ev)
		}
	}
	return cells, nil
}

// readCache reads one layer's cached cells; ok is false unless the file holds
// exactly the cells asked for. Undefined values (NaN, written as null) come back NaN.
func readCache(path string, ts []Task, layer int, pos hook.Position) (cells []Cell, ok bool) {
	b, err := os.ReadFile(path)
	if err != nil || jsonnan.Unmarshal(b, &cells) != nil || len(cells) != len(ts) {
		return nil, false
	}
	for i, c := range cells {
		if c.Task != ts[i].Name || c.Layer != layer || c.Position != pos {
			return nil, false
		}
	}
	return cells, true
}

func cellOf(task string, layer int, pos hook.Position, ds probe.Dataset, ev *probe.Evaluation) Cell {
	c := Cell{Task: task, Layer: layer, Position: pos, N: ev.N, AUROC: ev.Pooled.AUROC,
		Accuracy: ev.Pooled.Accuracy, BalancedAccuracy: ev.Pooled.BalancedAccuracy, Selectivity: ev.Selectivity, NotConverged: ev.NotConverged,
		Y: ds.Y, Groups: ds.Groups, OOF: ev.OOF, FoldOf: ev.FoldOf}
	if ev.Control != nil {
		ctl := ev.Control.AUROC
		c.Control = &ctl
	}
	for _, f := range ev.Folds {
		c.FoldAUROC = append(c.FoldAUROC, f.Task.AUROC.Estimate)
		c.C = append(c.C, f.C)
	}
	return c
}

func failedCell(task string, layer int, pos hook.Position, ds probe.Dataset, err error) Cell {
	nan := math.NaN()
	iv := stats.Interval{Estimate: nan, Lo: nan, Hi: nan}
	oof := make([]float64, len(ds.Y))
	for i := range oof {
		oof[i] = nan
	}
	return Cell{Task: task, Layer: layer, Position: pos, N: len(ds.Y), AUROC: iv, Accuracy: iv, BalancedAccuracy: iv, Selectivity: nan,
		Y: ds.Y, Groups: ds.Groups, OOF: oof, Error: err.Error()}
}

func sanitize(s string) string {
	return strings.NewReplacer(":", "-", "/", "-", ".", "p").Replace(s)
}

func (g *Grid) reindex() {
	g.index = make(map[cellKey]int, len(g.Cells))
	for i, c := range g.Cells {
		g.index[cellKey{c.Task, c.Layer, c.Position}] = i
	}
}

// Cell returns the evaluation of task at layer and position.
func (g *Grid) Cell(task string, layer int, position hook.Position) (*Cell, bool) {
	if g.index == nil {
		g.reindex()
	}
	i, ok := g.index[cellKey{task, layer, position}]
	if !ok {
		return nil, false
	}
	return &g.Cells[i], true
}

// AUROC returns the pooled out-of-fold AUROC (with its 95% CI) of task at layer and
// position, or an interval of NaNs when the grid lacks it.
func (g *Grid) AUROC(task string, layer int, position hook.Position) stats.Interval {
	if c, ok := g.Cell(task, layer, position); ok {
		return c.AUROC
	}
	nan := math.NaN()
	return stats.Interval{Estimate: nan, Lo: nan, Hi: nan}
}

// BestLayer returns the layer where task's probe AUROC at position is highest
// (the earliest on a tie), or -1 when the grid has none.
func (g *Grid) BestLayer(task string, position hook.Position) int {
	best, bestAUC := -1, math.Inf(-1)
	for _, l := range g.Layers {
		if a := g.AUROC(task, l, position).Estimate; a > bestAUC {
			best, bestAUC = l, a
		}
	}
	return best
}

// Kind returns the kind of the named task ("" when unknown).
func (g *Grid) Kind(task string) string {
	for _, t := range g.Tasks {
		if t.Name == task {
			return t.Kind
		}
	}
	return ""
}

// Save writes the grid as JSON, atomically.
func (g *Grid) Save(path string) error {
	b, err := jsonnan.Marshal(g)
	if err != nil {
		return fmt.Errorf("probeset: save grid: %w", err)
	}
	if err := atomicfile.WriteFile(path, b); err != nil {
		return fmt.Errorf("probeset: save grid %s: %w", path, err)
	}
	return nil
}

// LoadGrid reads a grid written by Save.
func LoadGrid(path string) (*Grid, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("probeset: load grid: %w", err)
	}
	var g Grid
	if err := jsonnan.Unmarshal(b, &g); err != nil {
		return nil, fmt.Errorf("probeset: load grid %s: %w", path, err)
	}
	if g.Version != GridVersion {
		return nil, fmt.Errorf("probeset: load grid %s: version %q, want %q", path, g.Version, GridVersion)
	}
	g.reindex()
	return &g, nil
}

// Selected is one task's probe scores at one position with the layer chosen
// without seeing the scored rows (probe.CrossSelect over the grid's layers).
type Selected struct {
	Task     string
	Position hook.Position
	Scores   []float64 // out-of-fold decision values, layer chosen on the other folds
	Layers   []int     // the layer used for each outer fold
	Y        []int
	Groups   []int
	FoldOf   []int
}

// AUROC is the selection-corrected AUROC of the scores (NaN when undefined).
func (s *Selected) AUROC() float64 {
	v, err := stats.AUROC(s.Scores, s.Y)
	if err != nil {
		return math.NaN()
	}
	return v
}

// Select returns task's selection-corrected scores at position: its AUROC is an
// honest "how decodable at the best layer", where Grid.BestLayer's is optimistic.
func (g *Grid) Select(task string, position hook.Position) (*Selected, error) {
	var cands [][]float64
	var first *Cell
	for _, l := range g.Layers {
		c, ok := g.Cell(task, l, position)
		if !ok || !c.usable() {
			continue
		}
		if first == nil {
			first = c
		} else if !slices.Equal(c.FoldOf, first.FoldOf) || !slices.Equal(c.Y, first.Y) {
			return nil, fmt.Errorf("probeset: select %s at %s: layers %d and %d hold different rows or folds", task, position, first.Layer, l)
		}
		cands = append(cands, c.OOF)
	}
	if first == nil {
		return nil, fmt.Errorf("probeset: select %s at %s: %w", task, position, ErrNoData)
	}
	scores, chosen, err := probe.CrossSelect(cands, first.Y, first.FoldOf)
	if err != nil {
		return nil, fmt.Errorf("probeset: select %s at %s: %w", task, position, err)
	}
	usable := g.usableLayers(task, position)
	layers := make([]int, len(chosen))
	for k, c := range chosen {
		layers[k] = usable[c]
	}
	return &Selected{Task: task, Position: position, Scores: scores, Layers: layers,
		Y: first.Y, Groups: first.Groups, FoldOf: first.FoldOf}, nil
}

// usable reports whether a cell has rows and out-of-fold scores for every row.
func (c *Cell) usable() bool {
	if len(c.Y) == 0 || len(c.OOF) != len(c.Y) || len(c.FoldOf) != len(c.Y) {
		return false
	}
	for _, v := range c.OOF {
		if math.IsNaN(v) {
			return false
		}
	}
	return true
}

func (g *Grid) usableLayers(task string, position hook.Position) []int {
	var out []int
	for _, l := range g.Layers {
		if c, ok := g.Cell(task, l, position); ok && c.usable() {
			out = append(out, l)
		}
	}
	return out
}
