package calibrate

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"slices"

	"github.com/ifprobe/ifprobe/internal/limitread"
	"github.com/ifprobe/ifprobe/pkg/atomicfile"
	"github.com/ifprobe/ifprobe/pkg/dataset"
	"github.com/ifprobe/ifprobe/pkg/tasks"
)

// Answerer has a model answer pilot items and says whether each answer
// satisfies its item's instruction (the task's verifier on the response).
type Answerer interface {
	Answer(ctx context.Context, items []dataset.Item) ([]bool, error)
}

// Settings size the pilot. The zero value of each field takes the default.
type Settings struct {
	Points   int     `json:"points"`    // grid values per knob; default 8
	PerValue int     `json:"per_value"` // pilot items per grid value; default 4
	Window   int     `json:"window"`    // consecutive grid values a chosen range spans; default 3
	Target   float64 `json:"target"`    // the pass rate aimed at; default 0.5
	Seed     uint64  `json:"seed"`      // draws the pilot items (base requests, phrasings, other parameters)
}

// WithDefaults fills the zero fields.
func (s Settings) WithDefaults() Settings {
	if s.Points == 0 {
		s.Points = 8
	}
	if s.PerValue == 0 {
		s.PerValue = 4
	}
	if s.Window == 0 {
		s.Window = 3
	}
	if s.Target == 0 {
		s.Target = 0.5
	}
	return s
}

func (s Settings) check() error {
	if s.Points < 1 || s.PerValue < 1 || s.Window < 1 || !(s.Target > 0 && s.Target < 1) {
		return fmt.Errorf("calibrate: settings %+v: want points, per_value and window >= 1 and 0 < target < 1", s)
	}
	return nil
}

// Config configures Run.
type Config struct {
	Tasks    []string               // tasks to calibrate; empty: all nine
	Base     map[string]tasks.Space // the domains used without calibration (the profile's overrides; others: the tasks' defaults)
	Settings Settings
	Batch    int // items per Answer call; default 8
	// Key names what the answers depend on besides the settings: the model's
	// sha256, the response length limit. A file with another key is not reused.
	Key string
	// Path is the file that keeps the pilot's answers and result; "" keeps none.
	Path     string
	Progress func(done, total int)
}

// Knob is the pilot and the choice for one integer parameter of one task.
type Knob struct {
	Task       string       `json:"task"`
	Param      string       `json:"param"`
	Grid       []int        `json:"grid"` // the values tried
	N          []int        `json:"n"`    // items answered at each value
	Pass       []int        `json:"pass"` // of which passed
	Fit        Curve        `json:"fit"`
	Base       tasks.Domain `json:"base"`      // the domain without calibration
	BaseRate   float64      `json:"base_rate"` // its predicted pass rate
	Chosen     tasks.Domain `json:"chosen"`
	ChosenRate float64      `json:"chosen_rate"` // predicted pass rate of Chosen
	// Changed is false when no range was nearer the target than Base: the
	// knob barely moves this model's pass rate, and Base is kept.
	Changed bool `json:"changed"`
}

// Name is "task.param", as a space override names it.
func (k Knob) Name() string { return k.Task + "." + k.Param }

// Result is a calibration: every knob's pilot, fit and chosen domain.
type Result struct {
	Key         string   `json:"key"`
	Settings    Settings `json:"settings"`
	Knobs       []Knob   `json:"knobs"`
	Categorical []string `json:"categorical"` // text parameters, left at their domains ("task.param")
	Items       int      `json:"items"`       // pilot items answered in all
}

// Space is the chosen domain of every knob, by task and parameter.
func (r *Result) Space() map[string]tasks.Space {
	out := map[string]tasks.Space{}
	for _, k := range r.Knobs {
		if out[k.Task] == nil {
			out[k.Task] = tasks.Space{}
		}
		out[k.Task][k.Param] = k.Chosen
	}
	return out
}

// Specs are the chosen domains written as space overrides
// ("word_limit.n=9:26"), which dataset.ParseSpace reads back.
func (r *Result) Specs() []string {
	var out []string
	for _, k := range r.Knobs {
		out = append(out, fmt.Sprintf("%s=%d:%d", k.Name(), k.Chosen.Min, k.Chosen.Max))
	}
	return out
}

// stamp is what a saved pilot must match to be reused.
type stamp struct {
	Key      string                 `json:"key"`
	Settings Settings               `json:"settings"`
	Tasks    []string               `json:"tasks"`
	Base     map[string]tasks.Space `json:"base,omitempty"`
}

// file is the saved pilot: the answers so far, and the result once complete.
type file struct {
	Stamp   stamp           `json:"stamp"`
	Answers map[string]bool `json:"answers"` // pilot item id: satisfied
	Result  *Result         `json:"result,omitempty"`
}

// pilot is one knob's items, grouped by grid value.
type pilot struct {
	task  *tasks.Task
	spec  tasks.ParamSpec
	grid  []int
	items [][]dataset.Item
}

// Run calibrates every integer parameter of cfg's tasks: it plans the pilot
// items, has a answer the items not answered in cfg.Path yet (saving after each
// batch, so an interrupted pilot resumes), fits each knob's curve and chooses
// its domain.
func Run(ctx context.Context, a Answerer, cfg Config) (*Result, error) {
	cfg.Settings = cfg.Settings.WithDefaults()
	if err := cfg.Settings.check(); err != nil {
		return nil, err
	}
	names := cfg.Tasks
	if len(names) == 0 {
		names = tasks.Names()
	}
	pilots, categorical, err := plan(names, cfg)
	if err != nil {
		return nil, err
	}
	st := stamp{Key: cfg.Key, Settings: cfg.Settings, Tasks: names, Base: cfg.Base}
	f := load(cfg.Path, st)
	if err := answerAll(ctx, a, cfg, pilots, f); err != nil {
		return nil, err
	}
	r := &Result{Key: cfg.Key, Settings: cfg.Settings, Categorical: categorical}
	for _, p := range pilots {
		k, err := p.choose(f.Answers, cfg.Base[p.task.Name], cfg.Settings)
		if err != nil {
			return nil, err
		}
		r.Knobs = append(r.Knobs, k)
		for _, n := range k.N {
			r.Items += n
		}
	}
	f.Result = r
	return r, save(cfg.Path, f)
}

// plan lists the pilot items of every integer parameter of the named tasks,
// and the text parameters it leaves alone.
func plan(names []string, cfg Config) ([]pilot, []string, error) {
	var pilots []pilot
	var categorical []string
	for _, name := range names {
		t, err := tasks.Get(name)
		if err != nil {
			return nil, nil, fmt.Errorf("calibrate: %w", err)
		}
		for _, spec := range t.Params {
			if spec.Type != tasks.Int {
				categorical = append(categorical, name+"."+spec.Name)
				continue
			}
			p := pilot{task: t, spec: spec, grid: Grid(spec, cfg.Settings.Points)}
			for _, v := range p.grid {
				items, err := valueItems(t, spec.Name, v, cfg)
				if err != nil {
					return nil, nil, err
				}
				p.items = append(p.items, items)
			}
			pilots = append(pilots, p)
		}
	}
	return pilots, categorical, nil
}

// valueItems plans the pilot items of one knob value: the dataset planner's
// items for this task alone, with the knob pinned to v and every other
// parameter drawn from its usual domain, from a stream of their own.
func valueItems(t *tasks.Task, param string, v int, cfg Config) ([]dataset.Item, error) {
	sp := tasks.Space{}
	for k, d := range cfg.Base[t.Name] {
		sp[k] = d
	}
	sp[param] = tasks.Domain{Min: v, Max: v}
	prefix := fmt.Sprintf("%s.%s=%d", t.Name, param, v)
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s", cfg.Settings.Seed, prefix)
	items, err := dataset.Plan(dataset.Config{Tasks: []string{t.Name}, PerTask: cfg.Settings.PerValue, Seed: h.Sum64(),
		Folds: 2, NoControls: true, Space: map[string]tasks.Space{t.Name: sp}})
	if err != nil {
		return nil, fmt.Errorf("calibrate: %s: %w", prefix, err)
	}
	for i := range items {
		items[i].ID = fmt.Sprintf("%s#%d", prefix, i)
	}
	return items, nil
}

// answerAll answers the items f lacks, in batches, saving f after each.
func answerAll(ctx context.Context, a Answerer, cfg Config, pilots []pilot, f *file) error {
	var todo []dataset.Item
	total := 0
	for _, p := range pilots {
		for _, items := range p.items {
			total += len(items)
			for _, it := range items {
				if _, ok := f.Answers[it.ID]; !ok {
					todo = append(todo, it)
				}
			}
		}
	}
	batch := cfg.Batch
	if batch <= 0 {
		batch = 8
	}
	for lo := 0; lo < len(todo); lo += batch {
		if err := ctx.Err(); err != nil {
			return err
		}
		b := todo[lo:min(lo+batch, len(todo))]
		ok, err := a.Answer(ctx, b)
		if err != nil {
			return fmt.Errorf("calibrate: %w", err)
		}
		if len(ok) != len(b) {
			return fmt.Errorf("calibrate: %d answers for %d items", len(ok), len(b))
		}
		for i, it := range b {
			f.Answers[it.ID] = ok[i]
		}
		if err := save(cfg.Path, f); err != nil {
			return err
		}
		if cfg.Progress != nil {
			cfg.Progress(total-len(todo)+lo+len(b), total)
		}
	}
	return nil
}

// choose fits the knob's curve to its answers and chooses its domain.
func (p pilot) choose(answers map[string]bool, base tasks.Space, s Settings) (Knob, error) {
	k := Knob{Task: p.task.Name, Param: p.spec.Name, Grid: p.grid, Base: p.spec.Sample}
	if d, ok := base[p.spec.Name]; ok {
		k.Base = d
	}
	for _, items := range p.items {
		pass := 0
		for _, it := range items {
			if answers[it.ID] {
				pass++
			}
		}
		k.N, k.Pass = append(k.N, len(items)), append(k.Pass, pass)
	}
	var err error
	if k.Fit, err = FitMonotone(k.Grid, k.N, k.Pass); err != nil {
		return Knob{}, fmt.Errorf("calibrate: %s: %w", k.Name(), err)
	}
	k.BaseRate = k.Fit.Mean(k.Base)
	k.Chosen, k.ChosenRate, k.Changed = Choose(k.Fit, k.Base, s.Window, s.Target)
	return k, nil
}

// maxFileBytes bounds what load reads: a pilot file holds a few hundred answers.
const maxFileBytes = 16 << 20

// load reads the saved pilot at path when its stamp is st; otherwise (no
// file, another model or settings, an unreadable file) the pilot starts over.
func load(path string, st stamp) *file {
	fresh := &file{Stamp: st, Answers: map[string]bool{}}
	if path == "" {
		return fresh
	}
	b, err := limitread.File(path, maxFileBytes)
	if err != nil {
		return fresh
	}
	var f file
	if json.Unmarshal(b, &f) != nil || f.Answers == nil || !sameStamp(f.Stamp, st) {
		return fresh
	}
	return &f
}

func sameStamp(a, b stamp) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && slices.Equal(ja, jb)
}

func save(path string, f *file) error {
	if path == "" {
		return nil
	}
	b, err := json.MarshalIndent(f, "", " ")
	if err != nil {
		return fmt.Errorf("calibrate: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("calibrate: %w", err)
	}
	if err := atomicfile.WriteFile(path, b); err != nil {
		return fmt.Errorf("calibrate: %w", err)
	}
	return nil
}
