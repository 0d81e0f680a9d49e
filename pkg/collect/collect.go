package collect

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/ifprobe/ifprobe/pkg/acts"
	"github.com/ifprobe/ifprobe/pkg/atomicfile"
	"github.com/ifprobe/ifprobe/pkg/chat"
	"github.com/ifprobe/ifprobe/pkg/dataset"
	"github.com/ifprobe/ifprobe/pkg/lm"
	"github.com/ifprobe/ifprobe/pkg/model"
	"github.com/ifprobe/ifprobe/pkg/safetensors"
)

// Config configures Build. Zero fields take the documented defaults.
type Config struct {
	Plan dataset.Config `json:"plan"` // tasks, items per task, seed, folds
	// MaxTokens bounds each response; default 96.
	MaxTokens int `json:"max_tokens"`
	// Batch is the number of prompts generated together; default 8.
	Batch int `json:"batch"`
	// Fractions of the response at which to store states; default 0.25, 0.5, 0.75, 1.
	Fractions []float64 `json:"fractions"`
	// DType of stored activations; default F32.
	DType safetensors.DType `json:"dtype"`
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

// Positions returns the stored position names for cfg, in generation order.
func (c Config) Positions() []string {
	c = c.withDefaults()
	ps := []string{"prompt_last", "response_first"}
	for _, f := range c.Fractions {
		ps = append(ps, model.Frac(f).String())
	}
	return append(ps, "eos")
}

// Stats summarises a Build.
type Stats struct {
	Items, Done, Generated int
	Resumed                int
	GeneratedTokens        int
	Elapsed                time.Duration
	Summary                []dataset.Summary
}

// ErrConfigChanged is returned when a build directory was started with other
// settings: resuming it would mix two datasets.
var ErrConfigChanged = errors.New("collect: the directory holds a build with other settings")

// buildStamp is what must match for a build to resume: the plan and everything that
// shapes a response or a stored row.
type buildStamp struct {
	Model     string            `json:"model"`
	SHA256    string            `json:"sha256,omitempty"`
	Plan      dataset.Config    `json:"plan"`
	MaxTokens int               `json:"max_tokens"`
	Fractions []float64         `json:"fractions"`
	DType     safetensors.DType `json:"dtype"`
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

// Build answers every planned item with m and writes the dataset into dir.
func Build(ctx context.Context, m *lm.LM, dir string, cfg Config) (*Stats, error) {
	cfg = cfg.withDefaults()
	start := time.Now()
	items, err := dataset.Plan(cfg.Plan)
	if err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	if err := checkStamp(dir, buildStamp{Model: m.Name, SHA256: m.SHA256, Plan: cfg.Plan, MaxTokens: cfg.MaxTokens,
		Fractions: cfg.Fractions, DType: cfg.DType}); err != nil {
		return nil, err
	}
	if err := atomicfile.Write(PlanPath(dir), func(w io.Writer) error { return dataset.WriteItems(w, items) }); err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	dw, err := dataset.OpenWriter(DatasetPath(dir))
	if err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	defer dw.Close()
	aw, err := acts.Create(ActsDir(dir), storeConfig(m, cfg))
	if err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	st := &Stats{Items: len(items), Resumed: aw.Resumed()}
	var todo []dataset.Item
	for _, it := range items {
		if !aw.Has(it.ID) {
			todo = append(todo, it)
		}
	}
	st.Done = len(items) - len(todo)
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

func storeConfig(m *lm.LM, cfg Config) acts.Config {
	var hooks []string
	for l := 0; l < m.Model.Config.NLayers; l++ {
		hooks = append(hooks, model.ResidPost(l).String())
	}
	return acts.Config{Model: acts.Model{Name: m.Name, SHA256: m.SHA256}, DModel: m.Model.Config.DModel,
		Hooks: hooks, Positions: cfg.Positions(), DType: cfg.DType}
}

func run(ctx context.Context, m *lm.LM, cfg Config, todo []dataset.Item, dw *dataset.Writer, aw *acts.Writer, st *Stats) error {
	total := st.Items
	for lo := 0; lo < len(todo); lo += cfg.Batch {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch := todo[lo:min(lo+cfg.Batch, len(todo))]
		t0 := time.Now()
		n, err := answer(ctx, m, cfg, batch, dw, aw)
		if err != nil {
			return err
		}
		st.Done += len(batch)
		st.Generated += len(batch)
		st.GeneratedTokens += n
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, "collect: %d items, %d tokens in %s\n", len(batch), n, time.Since(t0).Round(time.Millisecond))
		}
		if cfg.Progress != nil {
			cfg.Progress(st.Done, total)
		}
	}
	return nil
}

// answer generates, verifies and stores one batch; it returns the tokens generated.
func answer(ctx context.Context, m *lm.LM, cfg Config, batch []dataset.Item, dw *dataset.Writer, aw *acts.Writer) (int, error) {
	prompts := make([][]int, len(batch))
	for i, it := range batch {
		msgs := make([]chat.Message, 0, 1)
		for _, mm := range it.Messages() {
			msgs = append(msgs, chat.Message{Role: mm.Role, Content: mm.Content})
		}
		ids, err := m.EncodeChat(ctx, msgs)
		if err != nil {
			return 0, fmt.Errorf("collect: item %s: %w", it.ID, err)
		}
		prompts[i] = ids
	}
	hooks := make([]model.Hook, m.Model.Config.NLayers)
	for l := range hooks {
		hooks[l] = model.ResidPost(l)
	}
	seqs, gs, err := m.Model.Generate(prompts, model.GenerateOptions{MaxTokens: cfg.MaxTokens, Stop: m.Stop(), Capture: hooks})
	if err != nil {
		return 0, fmt.Errorf("collect: generate: %w", err)
	}
	positions := cfg.Positions()
	for i, it := range batch {
		if err := store(m, it, seqs[i], hooks, positions, dw, aw); err != nil {
			return 0, err
		}
	}
	return gs.GeneratedTokens, nil
}

// store verifies one response and adds its record and activations.
func store(m *lm.LM, it dataset.Item, seq model.Sequence, hooks []model.Hook, positions []string, dw *dataset.Writer, aw *acts.Writer) error {
	resp := seq.Tokens
	ended := seq.Stop == model.StopToken
	if ended && len(resp) > 0 {
		resp = resp[:len(resp)-1] // the stop token is not part of the text
	}
	rec, err := dataset.NewRecord(it, m.Tokenizer.Decode(resp), m.Name)
	if err != nil {
		return fmt.Errorf("collect: %w", err)
	}
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
	x, err := select_(seq, hooks, positions, ended, m.Model.Config.DModel)
	if err != nil {
		return fmt.Errorf("collect: item %s: %w", it.ID, err)
	}
	ex := acts.Example{ID: it.ID, Task: it.Task, Label: label, BaseID: it.BaseID, Split: it.Split, Fold: it.Fold,
		PromptHash: promptHash(seq.Prompt)}
	if err := aw.Add(ex, x); err != nil {
		return fmt.Errorf("collect: %w", err)
	}
	return nil
}

// select_ picks each hook's vector at each position.
func select_(seq model.Sequence, hooks []model.Hook, positions []string, ended bool, d int) (map[acts.Key][]float32, error) {
	pl, rl := len(seq.Prompt), len(seq.Tokens)
	x := make(map[acts.Key][]float32, len(hooks)*len(positions))
	for _, ps := range positions {
		p, err := model.ParsePosition(ps)
		if err != nil {
			return nil, err
		}
		idx, ok := p.Index(pl, rl, ended)
		if !ok && ps == "eos" { // cut by the token limit: the last token read
			idx, ok = []int{pl + rl - 1}, rl > 0
		}
		if !ok || len(idx) != 1 {
			return nil, fmt.Errorf("position %s does not exist in a sequence of %d prompt and %d response tokens", ps, pl, rl)
		}
		for _, h := range hooks {
			all := seq.Captures[h]
			if (idx[0]+1)*d > len(all) {
				return nil, fmt.Errorf("hook %s: %d values captured, need token %d", h, len(all)/d, idx[0])
			}
			x[acts.Key{Hook: h.String(), Position: ps}] = slices.Clone(all[idx[0]*d : (idx[0]+1)*d])
		}
	}
	return x, nil
}

// promptHash is the sha256 of the exact token ids given to the model (decimal,
// comma-separated), so two stores can be checked for identical prompts.
func promptHash(ids []int) string {
	h := sha256.New()
	for i, id := range ids {
		if i > 0 {
			h.Write([]byte{','})
		}
		h.Write(strconv.AppendInt(nil, int64(id), 10))
	}
	return hex.EncodeToString(h.Sum(nil))
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
