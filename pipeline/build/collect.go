package build

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/ifprobe/ifprobe/internal/membudget"
	"github.com/ifprobe/ifprobe/internal/shard"
	"github.com/ifprobe/ifprobe/pkg/acts"
	"github.com/ifprobe/ifprobe/pkg/atomicfile"
	"github.com/ifprobe/ifprobe/pkg/capture"
	"github.com/ifprobe/ifprobe/pkg/chat"
	"github.com/ifprobe/ifprobe/pkg/dataset"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/lm"
	"github.com/ifprobe/ifprobe/pkg/model"
	"github.com/ifprobe/ifprobe/pkg/safetensors"
	"github.com/ifprobe/ifprobe/pkg/tasks"
)

// Config configures Build. Zero fields take the documented defaults.
type Config struct {
	Plan dataset.Config `json:"plan"` // tasks, items per task, seed, folds
	// MaxTokens bounds each response; default 96.
	MaxTokens int `json:"max_tokens"`
	// Batch is the number of prompts generated together (continuous batching: a
	// finished prompt's row takes the next one); default 8.
	Batch int `json:"batch"`
	// Fractions of the response at which to store states; default 0.25, 0.5, 0.75, 1.
	Fractions []float64 `json:"fractions"`
	// DType of stored activations; default F32.
	DType safetensors.DType `json:"dtype"`
	// ShardRows is the examples per activation shard of a new store; default
	// shardRows (64). A resumed store keeps its own.
	ShardRows int `json:"shard_rows,omitempty"`
	// Shard, when not the whole job, builds only this part of the plan into
	// PartDir(dir, Shard); Merge joins the parts (shard.go).
	Shard shard.Shard `json:"-"`
	// Progress, when set, receives (done, total) after every batch.
	Progress func(done, total int) `json:"-"`
	// Log, when set, receives one line per batch (timings).
	Log io.Writer `json:"-"`
}

func (c Config) withDefaults() Config {
	if c.MaxTokens == 0 {
		c.MaxTokens = 96
	}
	if c.Batch == 0 {
		c.Batch = 8
	}
	if len(c.Fractions) == 0 {
		c.Fractions = []float64{0.25, 0.5, 0.75, 1}
	}
	if c.DType == "" {
		c.DType = safetensors.F32
	}
	return c
}

// Positions returns the stored positions for cfg, in generation order.
func (c Config) Positions() []hook.Position {
	c = c.withDefaults()
	ps := []hook.Position{hook.PromptLast, hook.ResponseFirst}
	for _, f := range c.Fractions {
		ps = append(ps, hook.Frac(f))
	}
	return append(ps, hook.EOS)
}

// Stats summarises a Build.
type Stats struct {
	Items, Done, Generated int
	Resumed                int
	GeneratedTokens        int
	Elapsed                time.Duration
	Summary                []dataset.Summary
	// Repaired is what was cut off a damaged activation store before resuming (nil
	// when nothing was damaged).
	Repaired *acts.Repaired
	// Generation is the generator's own account of this run (prefill and decode
	// time, steps, rows filled); nil when nothing was generated.
	Generation *model.GenerateStats
}

// ErrConfigChanged is returned when a build directory was started with other
// settings: resuming it would mix two datasets.
var ErrConfigChanged = errors.New("collect: the directory holds a build with other settings")

// buildStamp is what must match for a build to resume: the plan and everything that
// shapes a response or a stored row.
type buildStamp struct {
	// Records is the version of what a record and a stored example hold; an older
	// build lacks truncation flags and token ids, and stored a fake eos state for
	// truncated responses, so it cannot be resumed.
	Records   int               `json:"records"`
	Model     string            `json:"model"`
	SHA256    string            `json:"sha256,omitempty"`
	Plan      dataset.Config    `json:"plan"`
	MaxTokens int               `json:"max_tokens"`
	Fractions []float64         `json:"fractions"`
	DType     safetensors.DType `json:"dtype"`
	// Weights is the type the model's weights were kept in when narrower than
	// f32 (--weights): bf16 weights give other responses and states than f32
	// ones, so a build resumed under the other type would mix the two. Empty for
	// f32, so builds stamped before the option existed still resume.
	Weights model.WeightDType `json:"weights,omitempty"`
	// Part is set in a part of a sharded build (shard.go) and absent otherwise,
	// so a merged directory carries the stamp of a single-process build.
	Part *partStamp `json:"part,omitempty"`
}

// recordsVersion is buildStamp.Records: 2 since records flag truncated responses,
// carry their token ids, and the store holds no eos state for them.
const recordsVersion = 2

// normalPlan spells out the plan's defaults, so that equal plans stamp equally
// (no tasks, or "all", is every task; 0 folds is the default).
func normalPlan(p dataset.Config) dataset.Config {
	if len(p.Tasks) == 0 || (len(p.Tasks) == 1 && p.Tasks[0] == "all") {
		p.Tasks = tasks.Names()
	}
	if p.Folds == 0 {
		p.Folds = dataset.DefaultFolds
	}
	if len(p.Space) == 0 {
		p.Space = nil
	}
	return p
}

// checkStamp writes DIR/build.json on the first run and compares it on later ones.
func checkStamp(dir string, st buildStamp) error {
	want, err := json.MarshalIndent(st, "", " ")
	if err != nil {
		return err
	}
	path := filepath.Join(dir, "build.json")
	have, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return atomicfile.WriteFile(path, want)
	}
	if err != nil {
		return fmt.Errorf("collect: %w", err)
	}
	if !bytes.Equal(bytes.TrimSpace(have), bytes.TrimSpace(want)) {
		return fmt.Errorf("%w: %s was built with\n%s\nnot\n%s\nuse another output directory, or delete it to start over", ErrConfigChanged, dir, have, want)
	}
	return nil
}

// Paths of the outputs inside a build directory.
func PlanPath(dir string) string    { return filepath.Join(dir, "plan.jsonl") }
func DatasetPath(dir string) string { return filepath.Join(dir, "dataset.jsonl") }
func ActsDir(dir string) string     { return filepath.Join(dir, "acts") }
func SummaryPath(dir string) string { return filepath.Join(dir, "summary.json") }

// Build answers every planned item with m and writes the dataset into dir. With
// cfg.Shard it answers only that part's items, into PartDir(dir, cfg.Shard). A
// directory holding the parts of a sharded build and no build of its own is
// merged instead (Merge), so the single-process command that follows a sharded
// run picks up where the shards left off.
func Build(ctx context.Context, m *lm.LM, dir string, cfg Config) (*Stats, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Shard.Validate(); err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	items, err := dataset.Plan(cfg.Plan)
	if err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	if err := checkMemory(m, cfg, items); err != nil {
		return nil, err
	}
	st := stampOf(m, cfg)
	if !cfg.Shard.Whole() {
		st.Part = &partStamp{Shard: cfg.Shard, Batch: cfg.Batch}
		return build(ctx, m, PartDir(dir, cfg.Shard), cfg, items, partItems(items, cfg.Batch, cfg.Shard), st)
	}
	if merged, err := MergeIfSharded(dir); merged != nil || err != nil {
		return merged, err
	}
	return build(ctx, m, dir, cfg, items, items, st)
}

// stampOf is the stamp of a whole build of cfg with m.
func stampOf(m *lm.LM, cfg Config) buildStamp {
	st := buildStamp{Records: recordsVersion, Model: m.Name, SHA256: m.SHA256, Plan: normalPlan(cfg.Plan), MaxTokens: cfg.MaxTokens,
		Fractions: cfg.Fractions, DType: cfg.DType}
	if w := m.Model.Weights(); w != model.WeightsF32 && w != "" {
		st.Weights = w
	}
	return st
}

// build answers the items of mine (a subset of the plan, in plan order) into
// dir, which records the whole plan and the stamp.
func build(ctx context.Context, m *lm.LM, dir string, cfg Config, plan, mine []dataset.Item, stamp buildStamp) (*Stats, error) {
	start := time.Now()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	if err := checkStamp(dir, stamp); err != nil {
		return nil, err
	}
	if err := atomicfile.Write(PlanPath(dir), func(w io.Writer) error { return dataset.WriteItems(w, plan) }); err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	if st := finished(dir, mine); st != nil {
		// Read only: later stages of a sharded run (several processes at once)
		// find the dataset complete without taking the store's writer lock.
		return st, writeSummary(dir, st)
	}
	dw, err := dataset.OpenWriter(DatasetPath(dir))
	if err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	defer dw.Close()
	sc := storeConfig(m, cfg)
	if _, err := os.Stat(filepath.Join(ActsDir(dir), "manifest.json")); err == nil {
		sc.ShardRows = 0 // resuming: keep the store's own shard size
	}
	// A damaged shard (altered, truncated, missing) is cut off with the ones after it,
	// and their examples are generated again below, as if never written.
	aw, rep, err := acts.CreateRepairing(ActsDir(dir), sc)
	if err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	if rep != nil && cfg.Log != nil {
		fmt.Fprintf(cfg.Log, "collect: %s: shard %d was damaged (%s): dropped it and %d later shard(s); regenerating their %d examples\n",
			ActsDir(dir), rep.Shard, rep.Problem, rep.Shards-1, rep.Examples)
	}
	st := &Stats{Items: len(mine), Resumed: aw.Resumed(), Repaired: rep}
	var todo []dataset.Item
	for _, it := range mine {
		if !aw.Has(it.ID) {
			todo = append(todo, it)
		}
	}
	st.Done = len(mine) - len(todo)
	runErr := run(ctx, m, cfg, todo, dw, aw, st)
	if err := aw.Close(); err != nil && runErr == nil {
		runErr = fmt.Errorf("collect: %w", err)
	}
	if runErr != nil {
		return st, runErr
	}
	if err := writeSummary(dir, st); err != nil {
		return st, err
	}
	st.Elapsed = time.Since(start)
	return st, nil
}

// shardRows is the default examples per activation shard of a new build.
const shardRows = 64

// checkMemory refuses, before any work, a batch and response length whose
// generation cannot fit in memory: the generation of one batch with every layer
// captured, and the store's shard buffer (one shard's examples).
func checkMemory(m *lm.LM, cfg Config, items []dataset.Item) error {
	longest := 0
	for _, it := range items {
		longest = max(longest, len(it.Prompt))
	}
	// About 4 bytes per token in English text; 3 keeps the estimate on the high side,
	// and 64 tokens cover the chat template around the prompt.
	tokens := longest/3 + 64
	hooks := storeConfig(m, cfg).Hooks
	need := m.Model.GenerateMemory(cfg.Batch, tokens, cfg.MaxTokens, hooks)
	need += float64(max(storeConfig(m, cfg).ShardRows, cfg.Batch)) * float64(len(hooks)*len(cfg.Positions())*m.Model.Config.DModel*cfg.DType.Size())
	what := fmt.Sprintf("generating %d responses at a time of up to %d tokens (prompts up to about %d tokens), every layer captured,",
		cfg.Batch, cfg.MaxTokens, tokens)
	if err := membudget.Check(what, need, "lower --batch or --max-tokens"); err != nil {
		return fmt.Errorf("collect: %w", err)
	}
	return nil
}

// finished returns the stats of a build whose store already holds every item of
// mine, every shard as the manifest records it; nil otherwise.
func finished(dir string, mine []dataset.Item) *Stats {
	s, err := acts.Open(ActsDir(dir))
	if err != nil || s.Verify() != nil { // a damaged store is not finished: the build repairs it
		return nil
	}
	stored := map[string]bool{}
	for _, ex := range s.Examples() {
		stored[ex.ID] = true
	}
	for _, it := range mine {
		if !stored[it.ID] {
			return nil
		}
	}
	return &Stats{Items: len(mine), Done: len(mine), Resumed: s.Len()}
}

func storeConfig(m *lm.LM, cfg Config) acts.Config {
	var hooks []hook.Point
	for l := 0; l < m.Model.Config.NLayers; l++ {
		hooks = append(hooks, hook.ResidPost(l))
	}
	// Small shards: a killed build loses at most the shard in flight, and a shard
	// of every layer at every position is ~0.5 MB per example.
	return acts.Config{Model: acts.Model{Name: m.Name, SHA256: m.SHA256}, DModel: m.Model.Config.DModel,
		Hooks: hooks, Positions: cfg.Positions(), DType: cfg.DType, ShardRows: cmp.Or(cfg.ShardRows, shardRows)}
}

// run answers todo with continuous batching (cfg.Batch prompts in flight) and
// stores each item in plan order as soon as it and every earlier one are done,
// so the files grow item by item in the same order whether or not the build was
// interrupted.
func run(ctx context.Context, m *lm.LM, cfg Config, todo []dataset.Item, dw *dataset.Writer, aw *acts.Writer, st *Stats) error {
	prompts := make([][]int, len(todo))
	ids := make([]string, len(todo))
	for i, it := range todo {
		msgs := make([]chat.Message, 0, 1)
		for _, mm := range it.Messages() {
			msgs = append(msgs, chat.Message{Role: mm.Role, Content: mm.Content})
		}
		p, err := m.EncodeChat(ctx, msgs)
		if err != nil {
			return fmt.Errorf("collect: item %s: %w", it.ID, err)
		}
		prompts[i], ids[i] = p, it.ID
	}
	hooks := make([]hook.Point, m.Model.Config.NLayers)
	for l := range hooks {
		hooks[l] = hook.ResidPost(l)
	}
	opts := capture.Options{Hooks: hooks, Positions: cfg.Positions(), Generate: true, MaxTokens: cfg.MaxTokens,
		Batch: cfg.Batch, Stop: m.Stop()}
	t0, tokens, logged := time.Now(), 0, 0
	gs, err := capture.GenerateRows(ctx, m, ids, prompts, opts, func(i int, seq model.Sequence, rows map[hook.Key][]float32) error {
		if err := store(m, todo[i], seq, rows, dw, aw); err != nil {
			return err
		}
		st.Done++
		st.Generated++
		tokens += len(seq.Tokens)
		if cfg.Log != nil && (st.Generated-logged == cfg.Batch || i == len(todo)-1) {
			fmt.Fprintf(cfg.Log, "collect: %d items, %d tokens in %s\n", st.Generated-logged, tokens, time.Since(t0).Round(time.Millisecond))
			t0, tokens, logged = time.Now(), 0, st.Generated
		}
		if cfg.Progress != nil {
			cfg.Progress(st.Done, st.Items)
		}
		return nil
	})
	if gs != nil {
		st.GeneratedTokens += gs.GeneratedTokens
		st.Generation = gs
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, "collect: generation: %s\n", gs)
		}
	}
	return err
}

// store verifies one response and adds its record and activations. A response
// stopped by the token limit is flagged truncated in both: it has no eos state.
func store(m *lm.LM, it dataset.Item, seq model.Sequence, rows map[hook.Key][]float32, dw *dataset.Writer, aw *acts.Writer) error {
	resp := seq.Tokens
	ended := seq.Stop == model.StopToken
	if ended && len(resp) > 0 {
		resp = resp[:len(resp)-1] // the stop token is not part of the text
	}
	rec, err := dataset.NewRecord(it, m.Tokenizer.Decode(resp), m.Name)
	if err != nil {
		return fmt.Errorf("collect: %w", err)
	}
	rec.Truncated, rec.ResponseTokens = !ended, len(resp)
	rec.PromptIDs, rec.ResponseIDs = seq.Prompt, resp
	if !dw.Has(it.ID) {
		if err := dw.Append(rec); err != nil {
			return fmt.Errorf("collect: %w", err)
		}
	}
	label := -1 // controls carry no instruction, hence no label
	if rec.Label != nil {
		label = 0
		if *rec.Label {
			label = 1
		}
	}
	ex := acts.Example{ID: it.ID, Task: it.Task, Label: label, BaseID: it.BaseID, Split: it.Split, Fold: it.Fold,
		PromptHash: capture.PromptHash(seq.Prompt), Truncated: !ended, ResponseTokens: len(resp)}
	if err := aw.Add(ex, rows); err != nil {
		return fmt.Errorf("collect: %w", err)
	}
	return nil
}

func writeSummary(dir string, st *Stats) error {
	recs, err := dataset.ReadRecords(DatasetPath(dir))
	if err != nil {
		return fmt.Errorf("collect: %w", err)
	}
	st.Summary = dataset.Summarize(recs)
	b, err := json.MarshalIndent(st.Summary, "", " ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(SummaryPath(dir), b)
}
