package capture

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/ifprobe/ifprobe/pkg/acts"
	"github.com/ifprobe/ifprobe/pkg/chat"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/lm"
	"github.com/ifprobe/ifprobe/pkg/model"
	"github.com/ifprobe/ifprobe/pkg/safetensors"
	"github.com/ifprobe/ifprobe/pkg/tokenizer"
)

// Prompt is one example to capture.
type Prompt struct {
	ID     string // unique; the store's resume key
	Text   string // sent as one user message through the chat template, or raw with Options.Raw
	Task   string // optional metadata, copied into the store
	Label  int    // optional metadata (-1: none), copied into the store
	BaseID string // optional metadata, copied into the store
	// Tokens, when set, are the exact ids to feed (Text and Options.Raw are ignored).
	Tokens []int
}

// Options configures Run and Store.
type Options struct {
	Hooks     []hook.Point    // hook points to capture; at least one
	Positions []hook.Position // positions to keep; at least one
	// Generate runs the model's greedy generation and captures at every token it
	// reads; false runs one forward over the prompts, so only prompt positions
	// (prompt_last, all) exist.
	Generate  bool
	MaxTokens int  // tokens per response when generating; 0 means model.DefaultMaxTokens
	Batch     int  // prompts per forward call, or generated together (continuous batching); 0 means DefaultBatch
	Raw       bool // feed Text as raw text (with the tokenizer's BOS) instead of a chat turn
	// Stop ends a response; nil means the LM's end-of-generation tokens.
	Stop       []int
	IgnoreStop bool // generate exactly MaxTokens tokens
	// Interventions apply during the forward or at every generation step.
	Interventions []model.Intervention
	// DType of stored values (Store only); default F32.
	DType safetensors.DType
	// Progress, when set, is called with examples done and total after every
	// forward batch, or every generated example; Store also calls it once before
	// the first, with the examples it found already stored.
	Progress func(done, total int)
}

// DefaultBatch is Options.Batch when it is 0.
const DefaultBatch = 8

// Sentinel errors, returned wrapped.
var (
	// ErrNeedsGenerate: a response position was asked for without Generate.
	ErrNeedsGenerate = errors.New("capture: position needs generation")
	// ErrAllInStore: the `all` position has no fixed size, so a store cannot hold it.
	ErrAllInStore = errors.New("capture: position `all` cannot be stored")
	// ErrBadOptions: options that cannot work (no hooks, a hook outside the model, ...).
	ErrBadOptions = errors.New("capture: bad options")
)

// Stats summarises a Run or Store.
type Stats struct {
	Prompts         int           // prompts given
	Skipped         int           // already in the store (Store resumes)
	Captured        int           // examples captured by this call
	PromptTokens    int           // tokens read from prompts
	GeneratedTokens int           // tokens generated
	Elapsed         time.Duration // wall time
}

func (o Options) withDefaults() Options {
	if o.MaxTokens == 0 {
		o.MaxTokens = model.DefaultMaxTokens
	}
	if o.Batch == 0 {
		o.Batch = DefaultBatch
	}
	if o.DType == "" {
		o.DType = safetensors.F32
	}
	return o
}

// check validates o for a model with cfg.
func (o Options) check(cfg *model.Config) error {
	if len(o.Hooks) == 0 {
		return fmt.Errorf("%w: no hooks", ErrBadOptions)
	}
	if len(o.Positions) == 0 {
		return fmt.Errorf("%w: no positions", ErrBadOptions)
	}
	if o.Batch < 0 || o.MaxTokens < 0 {
		return fmt.Errorf("%w: batch %d and max tokens %d must be >= 0", ErrBadOptions, o.Batch, o.MaxTokens)
	}
	seen := map[hook.Point]bool{}
	for _, h := range o.Hooks {
		if h.Kind != hook.KindFinalNorm && (h.Layer < 0 || h.Layer >= cfg.NLayers) {
			return fmt.Errorf("%w: hook %s: layer out of range [0, %d)", ErrBadOptions, h, cfg.NLayers)
		}
		if seen[h] {
			return fmt.Errorf("%w: hook %s given twice", ErrBadOptions, h)
		}
		seen[h] = true
	}
	for _, p := range o.Positions {
		if !o.Generate && p.Kind != hook.PosPromptLast && p.Kind != hook.PosAll {
			return fmt.Errorf("%w: %s (a single forward reads only the prompt: use prompt_last or all, or generate)", ErrNeedsGenerate, p)
		}
	}
	return nil
}

// Width is the number of values per token at hook h of a model with cfg:
// n_heads*head_dim for attn_heads, d_model otherwise.
func Width(cfg *model.Config, h hook.Point) int {
	if h.Kind == hook.KindAttnHeads {
		hd := cfg.HeadDim
		if hd == 0 && cfg.NHeads > 0 {
			hd = cfg.DModel / cfg.NHeads
		}
		return cfg.NHeads * hd
	}
	return cfg.DModel
}

// Run captures opts.Hooks at opts.Positions for every prompt and returns the
// cache, in prompt order. A forward reads opts.Batch prompts per model call;
// generation keeps opts.Batch prompts in flight (continuous batching). Memory
// grows with the number of prompts: use Store for large sets.
func Run(ctx context.Context, m *lm.LM, prompts []Prompt, opts Options) (*Cache, *Stats, error) {
	opts = opts.withDefaults()
	if err := opts.check(&m.Model.Config); err != nil {
		return nil, nil, err
	}
	start := time.Now()
	c := New(m.Model.Config.NLayers)
	st := &Stats{Prompts: len(prompts)}
	progress := func() {
		if opts.Progress != nil {
			opts.Progress(c.Len(), len(prompts))
		}
	}
	var err error
	if opts.Generate {
		var seqs [][]int
		if seqs, err = encodeAll(ctx, m, prompts, opts, st); err == nil {
			err = generate(ctx, m, seqs, opts, st, func(i int, s model.Sequence) error {
				if err := c.AddSequences([]model.Sequence{s}, []string{prompts[i].ID}, opts.Positions); err != nil {
					return err
				}
				progress()
				return nil
			})
		}
	} else {
		err = eachBatch(ctx, prompts, opts, func(batch []Prompt) error {
			if err := forward(ctx, m, batch, opts, c, st); err != nil {
				return err
			}
			progress()
			return nil
		})
	}
	st.Elapsed = time.Since(start)
	if err != nil {
		return nil, st, err
	}
	return c, st, nil
}

// eachBatch calls fn on consecutive batches of prompts, stopping when ctx is done.
func eachBatch(ctx context.Context, prompts []Prompt, opts Options, fn func([]Prompt) error) error {
	for lo := 0; lo < len(prompts); lo += opts.Batch {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(prompts[lo:min(lo+opts.Batch, len(prompts))]); err != nil {
			return err
		}
	}
	return nil
}

// encodeAll returns the ids the model reads for every prompt.
func encodeAll(ctx context.Context, m *lm.LM, prompts []Prompt, opts Options, st *Stats) ([][]int, error) {
	seqs := make([][]int, len(prompts))
	for i, p := range prompts {
		toks, err := encode(ctx, m, p, opts.Raw)
		if err != nil {
			return nil, err
		}
		seqs[i] = toks
		st.PromptTokens += len(toks)
	}
	return seqs, nil
}

// forward runs one batch through a single forward and adds it to c.
func forward(ctx context.Context, m *lm.LM, batch []Prompt, opts Options, c *Cache, st *Stats) error {
	seqs, err := encodeAll(ctx, m, batch, opts, st)
	if err != nil {
		return err
	}
	ids := make([]string, len(batch))
	for i, p := range batch {
		ids[i] = p.ID
	}
	out, err := m.Model.Forward(seqs, model.ForwardOptions{Logits: model.NoLogits, Capture: opts.Hooks,
		Interventions: opts.Interventions})
	if err != nil {
		return fmt.Errorf("capture: forward: %w", err)
	}
	st.Captured += len(batch)
	return c.AddForward(out, seqs, ids, opts.Positions)
}

// generate answers seqs with continuous batching and calls fn with each finished
// sequence, in prompt order.
func generate(ctx context.Context, m *lm.LM, seqs [][]int, opts Options, st *Stats, fn func(int, model.Sequence) error) error {
	gs, err := generateInOrder(ctx, m, seqs, opts,
		func(_ int, s model.Sequence) (model.Sequence, error) { return s, nil },
		func(i int, s model.Sequence) error {
			st.Captured++
			return fn(i, s)
		})
	if gs != nil {
		st.GeneratedTokens += gs.GeneratedTokens
	}
	return err
}

func stopTokens(m *lm.LM, opts Options) []int {
	switch {
	case opts.Stop != nil:
		return opts.Stop
	case m.Tokenizer != nil:
		return m.Stop()
	}
	return m.Model.Config.Stop
}

// encode returns the ids the model reads for p.
func encode(ctx context.Context, m *lm.LM, p Prompt, raw bool) ([]int, error) {
	if p.Tokens != nil {
		if len(p.Tokens) == 0 {
			return nil, fmt.Errorf("capture: prompt %q: no tokens", p.ID)
		}
		return p.Tokens, nil
	}
	if m.Tokenizer == nil {
		return nil, fmt.Errorf("capture: prompt %q: the model has no tokenizer; give Tokens", p.ID)
	}
	var ids []int
	var err error
	if raw {
		ids, err = m.Tokenizer.Encode(p.Text, tokenizer.EncodeOptions{AddSpecial: true})
	} else {
		ids, err = m.EncodeChat(ctx, []chat.Message{{Role: "user", Content: p.Text}})
	}
	if err != nil {
		return nil, fmt.Errorf("capture: prompt %q: %w", p.ID, err)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("capture: prompt %q: empty after tokenization", p.ID)
	}
	return ids, nil
}

// StoreConfig is the activation-store configuration for capturing opts with m:
// every hook × position as a key. All hooks must have one width (acts stores one
// d_model), and `all` is refused (ErrAllInStore): a store holds one vector per key
// and example.
func StoreConfig(m *lm.LM, opts Options) (acts.Config, error) {
	opts = opts.withDefaults()
	cfg := &m.Model.Config
	if err := opts.check(cfg); err != nil {
		return acts.Config{}, err
	}
	w := Width(cfg, opts.Hooks[0])
	for _, h := range opts.Hooks {
		if Width(cfg, h) != w {
			return acts.Config{}, fmt.Errorf("%w: a store holds one width: %s has %d values per token, %s has %d",
				ErrBadOptions, opts.Hooks[0], w, h, Width(cfg, h))
		}
	}
	for _, p := range opts.Positions {
		if p.Kind == hook.PosAll {
			return acts.Config{}, fmt.Errorf("%w: a store keeps one vector per hook, position and example; use prompt_last, response_first, step:{k}, frac:{f} or eos (or Run, in memory)", ErrAllInStore)
		}
	}
	return acts.Config{Model: acts.Model{Name: m.Name, SHA256: m.SHA256}, DModel: w, Hooks: slices.Clone(opts.Hooks),
		Positions: slices.Clone(opts.Positions), DType: opts.DType}, nil
}

// Store captures every prompt not yet in w (w.Has) and adds it, in prompt order, as
// soon as it and the prompts before it are done, so that memory stays bounded by
// one batch's captures, the rows of examples finished ahead of an earlier one, and
// the writer's shard. A killed
// run loses at most the writer's shard in flight; rerunning with the same prompts
// resumes. Every key must exist for every example: a missing step:{k} (a response
// shorter than k+1 tokens) is an error naming the example. w must have been created
// with StoreConfig(m, opts); Store does not close it.
func Store(ctx context.Context, m *lm.LM, prompts []Prompt, w *acts.Writer, opts Options) (*Stats, error) {
	opts = opts.withDefaults()
	want, err := StoreConfig(m, opts)
	if err != nil {
		return nil, err
	}
	if err := sameKeys(w.Keys(), want); err != nil {
		return nil, err
	}
	start := time.Now()
	st := &Stats{Prompts: len(prompts)}
	var todo []Prompt
	for _, p := range prompts {
		if w.Has(p.ID) {
			st.Skipped++
		} else {
			todo = append(todo, p)
		}
	}
	if opts.Progress != nil {
		opts.Progress(st.Skipped, len(prompts))
	}
	progress := func() {
		if opts.Progress != nil {
			opts.Progress(st.Skipped+st.Captured, len(prompts))
		}
	}
	if opts.Generate {
		err = storeGenerated(ctx, m, todo, w, opts, st, progress)
	} else {
		err = eachBatch(ctx, todo, opts, func(batch []Prompt) error {
			c := New(m.Model.Config.NLayers)
			if err := forward(ctx, m, batch, opts, c, st); err != nil {
				return err
			}
			if err := addToStore(w, c, batch, opts); err != nil {
				return err
			}
			progress()
			return nil
		})
	}
	st.Elapsed = time.Since(start)
	return st, err
}

// storeGenerated answers todo with continuous batching and adds each example to
// w as soon as it and every earlier one are done.
func storeGenerated(ctx context.Context, m *lm.LM, todo []Prompt, w *acts.Writer, opts Options, st *Stats, progress func()) error {
	seqs, err := encodeAll(ctx, m, todo, opts, st)
	if err != nil {
		return err
	}
	ids := make([]string, len(todo))
	for i, p := range todo {
		ids[i] = p.ID
	}
	gs, err := GenerateRows(ctx, m, ids, seqs, opts, func(i int, s model.Sequence, rows map[hook.Key][]float32) error {
		rec := storeRecord(todo[i], Example{ID: todo[i].ID, Prompt: s.Prompt, Response: s.Tokens, Stop: s.Stop})
		if err := w.Add(rec, rows); err != nil {
			return fmt.Errorf("capture: %w", err)
		}
		st.Captured++
		progress()
		return nil
	})
	if gs != nil {
		st.GeneratedTokens += gs.GeneratedTokens
	}
	return err
}

// sameKeys checks that the writer's store has the keys cfg asks for.
func sameKeys(have []hook.Key, cfg acts.Config) error {
	var want []hook.Key
	for _, h := range cfg.Hooks {
		for _, p := range cfg.Positions {
			want = append(want, hook.Key{Point: h, Position: p})
		}
	}
	if !slices.Equal(have, want) {
		return fmt.Errorf("%w: the store holds keys %v, the options ask for %v", ErrBadOptions, have, want)
	}
	return nil
}

// addToStore writes each example of a captured batch with its one row per key.
func addToStore(w *acts.Writer, c *Cache, batch []Prompt, opts Options) error {
	for _, p := range batch {
		x, err := c.StoreRows(p.ID)
		if err != nil {
			return err
		}
		ex, _ := c.Example(p.ID)
		if err := w.Add(storeRecord(p, ex), x); err != nil {
			return fmt.Errorf("capture: %w", err)
		}
	}
	return nil
}

// storeRecord is the store's record of example ex of prompt p.
func storeRecord(p Prompt, ex Example) acts.Example {
	rec := acts.Example{ID: p.ID, Task: p.Task, Label: p.Label, BaseID: p.BaseID, PromptHash: PromptHash(ex.Prompt)}
	if ex.Stop != "" { // generated: a response cut by the token limit has no eos
		rec.Truncated = ex.Stop != model.StopToken
		rec.ResponseTokens = len(ex.Response)
		if !rec.Truncated {
			rec.ResponseTokens-- // the stop token
		}
	}
	return rec
}

// StoreRows returns example id's vector at every key of the cache, keyed as an
// activation store wants them (acts.Writer.Add). Every key must have a row for the
// example, but for eos of a response that did not end (stored as Truncated, which
// has no eos state): a position its sequence never reached is an error naming it.
func (c *Cache) StoreRows(id string) (map[hook.Key][]float32, error) {
	ex, ok := c.Example(id)
	if !ok {
		return nil, fmt.Errorf("capture: no example %q in the cache", id)
	}
	x := make(map[hook.Key][]float32, len(c.keys))
	for _, k := range c.keys {
		a := c.data[k]
		i := slices.Index(a.IDs, id)
		if i < 0 && k.Position.Kind == hook.PosEOS && ex.Stop != "" && ex.Stop != model.StopToken {
			continue
		}
		if i < 0 {
			return nil, fmt.Errorf("capture: prompt %q: position %s does not exist in %d prompt and %d response tokens (stop: %s)",
				id, k.Position, len(ex.Prompt), len(ex.Response), ex.Stop)
		}
		x[k] = a.Row(i)
	}
	return x, nil
}

// PromptHash is the sha256 of the token ids the model read (decimal,
// comma-separated), the same definition pkg/collect stores, so two stores can be
// checked for identical prompts.
func PromptHash(ids []int) string {
	h := sha256.New()
	for i, id := range ids {
		if i > 0 {
			h.Write([]byte{','})
		}
		h.Write(strconv.AppendInt(nil, int64(id), 10))
	}
	return hex.EncodeToString(h.Sum(nil))
}
