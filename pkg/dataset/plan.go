package dataset

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"

	"github.com/ifprobe/ifprobe/internal/membudget"

	"github.com/ifprobe/ifprobe/pkg/tasks"
)

// Control is the Task of an item that carries no instruction: the base request
// alone. Controls separate "an instruction is present" from "the instruction is
// satisfied".
const Control = "control"

// DefaultFolds is the number of folds when Config.Folds is zero.
const DefaultFolds = 5

// planItemBytes is the memory one planned item takes while Plan builds the list:
// about 600 bytes live (its strings and parameters) and as much again while the
// slice grows, measured at 180k items.
const planItemBytes = 1536

// ErrBadConfig is wrapped by every error Plan returns for an invalid Config.
var ErrBadConfig = errors.New("dataset: bad config")

// Config says which prompt items to build. The zero value of every field but
// PerTask has a useful meaning.
type Config struct {
	// Tasks to include, by name; empty or ["all"] means all nine, in the
	// study's order.
	Tasks []string `json:"tasks"`
	// PerTask is the number of instructed items per task (> 0).
	PerTask int `json:"per_task"`
	// Seed makes every random choice (base request, phrasing, parameters, folds).
	Seed uint64 `json:"seed"`
	// Folds is the number of cross-validation folds (0: DefaultFolds; >= 2).
	// Folds group base requests: no base request is in two folds.
	Folds int `json:"folds"`
	// TestFold is the fold whose items have Split "test" (0 <= TestFold <
	// Folds); the others are "train".
	TestFold int `json:"test_fold"`
	// NoControls leaves out the control items (one per base request).
	NoControls bool `json:"no_controls"`
	// Space overrides sampling domains per task: Space["word_limit"]["n"] =
	// Domain{Min: 10, Max: 60}. See tasks' package documentation on difficulty.
	Space map[string]tasks.Space `json:"space,omitempty"`
	// Bases replaces the embedded pool of base requests (nil: tasks.BaseRequests).
	Bases []tasks.BaseRequest `json:"-"`
}

// Message is one chat turn, as chat templates take them.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Item is one prompt to give the model: a base request, possibly with one
// task's instruction, and where it falls in the folds.
type Item struct {
	ID          string       `json:"id"`      // unique and stable for a Config: "word_limit-0007", "control-b012"
	BaseID      string       `json:"base_id"` // the base request's id
	Task        string       `json:"task"`    // a task name, or Control
	Params      tasks.Params `json:"params,omitempty"`
	Phrasing    int          `json:"phrasing"`              // index into the task's phrasings (-1 for controls)
	Instruction string       `json:"instruction,omitempty"` // the rendered instruction ("" for controls)
	Base        string       `json:"base"`                  // the base request's text
	Prompt      string       `json:"prompt"`                // the whole user message
	Fold        int          `json:"fold"`
	Split       string       `json:"split"` // "train" or "test"
}

// Messages returns the chat to send to the model: one user turn with Prompt.
// No system prompt is added; the model's chat template supplies its default.
func (it Item) Messages() []Message { return []Message{{Role: "user", Content: it.Prompt}} }

// Plan builds the prompt items for cfg: PerTask instructed items per task, then
// (unless NoControls) one control item per base request. Each task draws from
// its own random stream, derived from Seed and the task's name, so adding or
// removing a task leaves the other tasks' items unchanged. Base requests are
// used in a shuffled round-robin, so each task spreads evenly over the pool.
func Plan(cfg Config) ([]Item, error) {
	names, err := resolveTasks(cfg.Tasks)
	if err != nil {
		return nil, err
	}
	if cfg.PerTask <= 0 {
		return nil, fmt.Errorf("%w: per-task count %d must be positive", ErrBadConfig, cfg.PerTask)
	}
	n := float64(cfg.PerTask) * float64(len(names))
	if err := membudget.Check(fmt.Sprintf("planning %d items per task × %d tasks (%.0f items, about %d bytes each)", cfg.PerTask, len(names), n, planItemBytes),
		n*planItemBytes, "lower the per-task count"); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	folds := cfg.Folds
	if folds == 0 {
		folds = DefaultFolds
	}
	bases := cfg.Bases
	if bases == nil {
		if bases, err = tasks.BaseRequests(); err != nil {
			return nil, err
		}
	}
	if folds < 2 || folds > len(bases) {
		return nil, fmt.Errorf("%w: %d folds for %d base requests (want 2..%[3]d)", ErrBadConfig, folds, len(bases))
	}
	testFold := cfg.TestFold
	if testFold < 0 || testFold >= folds {
		return nil, fmt.Errorf("%w: test fold %d outside 0..%d", ErrBadConfig, testFold, folds-1)
	}
	fold := assignFolds(bases, folds, cfg.Seed)
	split := func(f int) string {
		if f == testFold {
			return "test"
		}
		return "train"
	}
	var items []Item
	for _, name := range names {
		t, _ := tasks.Get(name) // resolveTasks checked the name
		rng := rand.New(rand.NewPCG(cfg.Seed, streamID(name)))
		order := rng.Perm(len(bases))
		for i := range cfg.PerTask {
			b := bases[order[i%len(bases)]]
			p, err := t.Sample(rng, cfg.Space[name])
			if err != nil {
				return nil, fmt.Errorf("dataset: task %s: %w", name, err)
			}
			k := rng.IntN(len(t.Phrasings))
			ins, err := t.Instruction(p, k)
			if err != nil {
				return nil, fmt.Errorf("dataset: task %s: %w", name, err)
			}
			items = append(items, Item{
				ID: fmt.Sprintf("%s-%04d", name, i), BaseID: b.ID, Task: name, Params: p, Phrasing: k,
				Instruction: ins, Base: b.Text, Prompt: tasks.Compose(b.Text, ins),
				Fold: fold[b.ID], Split: split(fold[b.ID]),
			})
		}
	}
	if !cfg.NoControls {
		for _, b := range bases {
			items = append(items, Item{ID: Control + "-" + b.ID, BaseID: b.ID, Task: Control, Phrasing: -1,
				Base: b.Text, Prompt: tasks.Compose(b.Text, ""), Fold: fold[b.ID], Split: split(fold[b.ID])})
		}
	}
	return items, nil
}

// resolveTasks expands "all" and checks names, rejecting duplicates.
func resolveTasks(names []string) ([]string, error) {
	if len(names) == 0 || (len(names) == 1 && names[0] == "all") {
		return tasks.Names(), nil
	}
	seen := map[string]bool{}
	for _, n := range names {
		if _, err := tasks.Get(n); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadConfig, err)
		}
		if seen[n] {
			return nil, fmt.Errorf("%w: task %q listed twice", ErrBadConfig, n)
		}
		seen[n] = true
	}
	return names, nil
}

// assignFolds deals the base requests, shuffled with seed, into k folds whose
// sizes differ by at most one.
func assignFolds(bases []tasks.BaseRequest, k int, seed uint64) map[string]int {
	rng := rand.New(rand.NewPCG(seed, streamID("folds")))
	fold := make(map[string]int, len(bases))
	for i, j := range rng.Perm(len(bases)) {
		fold[bases[j].ID] = i % k
	}
	return fold
}

// streamID derives a random stream from a name (FNV-1a), so streams do not
// depend on the order in which they are used.
func streamID(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}

// WriteItems writes items as JSON lines (the output of `ifprobe dataset plan`).
func WriteItems(w io.Writer, items []Item) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, it := range items {
		if err := enc.Encode(it); err != nil {
			return fmt.Errorf("dataset: item %s: %w", it.ID, err)
		}
	}
	return nil
}

// ReadItems reads items written by WriteItems, normalizing each item's
// parameters (JSON numbers become ints) and checking them against its task.
func ReadItems(r io.Reader) ([]Item, error) {
	var out []Item
	dec := json.NewDecoder(r)
	for n := 1; ; n++ {
		var it Item
		err := dec.Decode(&it)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("dataset: item %d: %w", n, err)
		}
		if it.ID == "" {
			return nil, fmt.Errorf("dataset: item %d: no id", n)
		}
		if it.Task != Control {
			t, err := tasks.Get(it.Task)
			if err != nil {
				return nil, fmt.Errorf("dataset: item %s: %w", it.ID, err)
			}
			if it.Params, err = t.Normalize(it.Params); err != nil {
				return nil, fmt.Errorf("dataset: item %s: %w", it.ID, err)
			}
		}
		out = append(out, it)
	}
}
