package model

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/ifprobe/ifprobe/pkg/hook"
)

// Model is a decoder-only transformer with its weights loaded (f32) on a GoMLX
// backend. Its methods are safe for concurrent use; compiled graphs are cached per
// program structure and input shape.
type Model struct {
	Config Config  // validated
	Family *Family // the architecture's declarations
	Source string  // where the weights came from (file path), informational

	backend backends.Backend
	lay     *weightLayout
	weights []*tensors.Tensor

	mu    sync.Mutex
	execs map[string]*graph.Exec
}

// ErrBadInput is returned (wrapped) for token ids, lengths or options that do not
// fit the model.
var ErrBadInput = errors.New("model: bad input")

// New builds a Model from weights keyed by GGUF tensor name (row-major f32, matrices
// [out, in], q/k in Hugging Face row order). cfg is validated; every tensor cfg
// needs must be present with the right shape.
func New(backend backends.Backend, cfg Config, weights map[string][]float32) (*Model, error) {
	return newModel(backend, cfg, func(s weightSpec) ([]float32, error) {
		w, ok := weights[s.Name]
		if !ok {
			return nil, fmt.Errorf("model: weight %q: missing", s.Name)
		}
		return w, nil
	})
}

// newModel builds a Model reading each weight with get.
func newModel(backend backends.Backend, cfg Config, get func(weightSpec) ([]float32, error)) (*Model, error) {
	if backend == nil {
		return nil, fmt.Errorf("%w: nil backend", ErrBadInput)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	fam, err := LookupFamily(cfg.Arch)
	if err != nil {
		return nil, err
	}
	m := &Model{Config: cfg, Family: fam, backend: backend, lay: layoutFor(&cfg), execs: map[string]*graph.Exec{}}
	m.weights = make([]*tensors.Tensor, len(m.lay.specs))
	for i, s := range m.lay.specs {
		w, err := get(s)
		if err != nil {
			return nil, err
		}
		if len(w) != numel(s.Shape) {
			return nil, fmt.Errorf("model: weight %q: %d values, want %v", s.Name, len(w), s.Shape)
		}
		if m.weights[i], err = m.toDevice(w, s.Shape); err != nil {
			return nil, fmt.Errorf("model: weight %q: %w", s.Name, err)
		}
	}
	return m, nil
}

// toDevice makes a tensor the backend can read without a copy per call (a shared
// buffer where the backend supports it, as SimpleGo does).
func (m *Model) toDevice(data []float32, shape []int) (t *tensors.Tensor, err error) {
	defer recoverTo(&err)
	t = tensors.FromFlatDataAndDimensions(data, shape...)
	if err := t.MaterializeOnDevice(m.backend, true, 0); err != nil {
		return nil, err
	}
	if !m.backend.HasSharedBuffers() {
		t.FinalizeLocal() // the device copy is the only one we need
	}
	return t, nil
}

// recoverTo turns a panic (GoMLX raises them while building graphs) into an error.
func recoverTo(err *error) {
	if r := recover(); r != nil {
		if e, ok := r.(error); ok {
			*err = fmt.Errorf("model: %w", e)
		} else {
			*err = fmt.Errorf("model: %v", r)
		}
	}
}

// Backend returns the backend the model runs on.
func (m *Model) Backend() backends.Backend { return m.backend }

// exec returns the compiled executable for prog, building it on first use.
func (m *Model) exec(prog *program) (*graph.Exec, error) {
	key := prog.key()
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.execs[key]; ok {
		return e, nil
	}
	e, err := graph.NewExec(m.backend, graphFn(&m.Config, m.lay, prog))
	if err != nil {
		return nil, fmt.Errorf("model: compile: %w", err)
	}
	e.SetMaxCache(64)
	m.execs[key] = e
	return e, nil
}

// Acts holds per-token values of a batch in the left-padded layout of one run:
// Data is [Batch, Seq, Width] row-major and row b's own token t sits at sequence
// index Pad[b]+t. For attn_heads captures Width is n_heads*head_dim.
type Acts struct {
	Data  []float32
	Batch int
	Seq   int
	Width int
	Pad   []int // left padding of each row
}

// Len is the number of real (non-pad) tokens of row b.
func (a *Acts) Len(b int) int { return a.Seq - a.Pad[b] }

// At returns the values at token t of row b (t counts the row's own tokens). The
// slice aliases Data.
func (a *Acts) At(b, t int) []float32 {
	i := (b*a.Seq + a.Pad[b] + t) * a.Width
	return a.Data[i : i+a.Width]
}

// LogitsMode says which logits Forward computes.
type LogitsMode int

// Logits modes.
const (
	AllLogits  LogitsMode = iota // every position: Logits is [batch, seq, vocab]
	LastLogits                   // only each row's last token: Logits is [batch, 1, vocab] with zero Pad
	NoLogits                     // skip the unembedding (capture only)
)

// ForwardOptions configures Forward. The zero value computes all logits and
// captures nothing.
type ForwardOptions struct {
	Logits        LogitsMode
	Capture       []hook.Point   // hook values to return, [batch, seq, width] each
	Interventions []Intervention // edits applied during the forward
}

// Output is the result of Forward.
type Output struct {
	Logits   *Acts                // nil with NoLogits
	Captures map[hook.Point]*Acts // one per captured hook
}

// Forward runs the model over a batch of token sequences of possibly different
// lengths. Rows are left-padded to the longest; pads are masked out of attention
// and positions count each row's own tokens from 0, so a row's results do not
// depend on the other rows (up to float rounding of batched matrix products).
func (m *Model) Forward(seqs [][]int, opts ForwardOptions) (out *Output, err error) {
	defer recoverTo(&err)
	if len(seqs) == 0 {
		return nil, fmt.Errorf("%w: empty batch", ErrBadInput)
	}
	S := 0
	for b, s := range seqs {
		if len(s) == 0 {
			return nil, fmt.Errorf("%w: row %d is empty", ErrBadInput, b)
		}
		S = max(S, len(s))
	}
	in, err := m.newRun(seqs, S, nil)
	if err != nil {
		return nil, err
	}
	prog := &program{capture: opts.Capture, logits: logitsMode(opts.Logits)}
	res, err := m.run(prog, in, opts.Interventions)
	if err != nil {
		return nil, err
	}
	out = &Output{Captures: map[hook.Point]*Acts{}}
	if opts.Logits != NoLogits {
		out.Logits = res.logits
	}
	for i, h := range opts.Capture {
		out.Captures[h] = res.caps[i]
	}
	return out, nil
}

// runInputs are the host-side inputs of one graph run. Rows are left-padded to S.
type runInputs struct {
	B, S, T   int
	tokens    []int32 // [B,S]
	positions []int32 // [B,S]
	keyValid  []bool  // [B,T]: T = S, or the cache capacity in a decode step
	keyPos    []int32 // [B,T]
	slot      int     // decode step: the cache slot of the new token
	past      []*tensors.Tensor
	pad       []int // left pad of each row within the S new tokens
	start     []int // sequence index (prompt+generated) of each row's first new token
}

// newRun lays out seqs (each at most S long) left-padded to S, attending to
// themselves only. start[b] is the row's token index of its first token (nil: 0).
func (m *Model) newRun(seqs [][]int, S int, start []int) (*runInputs, error) {
	B := len(seqs)
	T, P := S, 0
	in := &runInputs{B: B, S: S, T: T, tokens: make([]int32, B*S), positions: make([]int32, B*S),
		keyValid: make([]bool, B*T), keyPos: make([]int32, B*T), pad: make([]int, B), start: make([]int, B)}
	for b, s := range seqs {
		if len(s) > S {
			return nil, fmt.Errorf("%w: row %d has %d tokens, more than %d", ErrBadInput, b, len(s), S)
		}
		if start != nil {
			in.start[b] = start[b]
		}
		if in.start[b]+len(s) > m.Config.ContextLength {
			return nil, fmt.Errorf("%w: row %d: %d tokens exceed the context length %d", ErrBadInput, b, in.start[b]+len(s), m.Config.ContextLength)
		}
		pad := S - len(s)
		in.pad[b] = pad
		for t, id := range s {
			if id < 0 || id >= m.Config.VocabSize {
				return nil, fmt.Errorf("%w: row %d token %d: id %d not in [0, %d)", ErrBadInput, b, t, id, m.Config.VocabSize)
			}
			in.tokens[b*S+pad+t] = int32(id)
			p := int32(in.start[b] + t)
			in.positions[b*S+pad+t] = p
			in.keyValid[b*T+P+pad+t] = true
			in.keyPos[b*T+P+pad+t] = p
		}
	}
	return in, nil
}

// runResult are the outputs of one run, converted to host layouts.
type runResult struct {
	logits *Acts
	caps   []*Acts
	kv     []*tensors.Tensor // per layer K, V [B,KV,S,hd]
}

// run executes prog on in with the interventions' values as inputs.
func (m *Model) run(prog *program, in *runInputs, ivs []Intervention) (*runResult, error) {
	for _, h := range prog.capture {
		if err := h.Check(m.Config.NLayers); err != nil {
			return nil, err
		}
	}
	prog.edits = prog.edits[:0]
	for i := range ivs {
		if err := ivs[i].check(&m.Config, i); err != nil {
			return nil, err
		}
		prog.edits = append(prog.edits, ivs[i].key())
	}
	exec, err := m.exec(prog)
	if err != nil {
		return nil, err
	}
	B, S, T := in.B, in.S, in.T
	args := make([]any, 0, len(m.weights)+8+len(in.past)+4*len(ivs))
	for _, w := range m.weights {
		args = append(args, w)
	}
	args = append(args,
		tensors.FromFlatDataAndDimensions(in.tokens, B, S),
		tensors.FromFlatDataAndDimensions(in.positions, B, S),
		tensors.FromFlatDataAndDimensions(in.keyValid, B, T),
		tensors.FromFlatDataAndDimensions(in.keyPos, B, T))
	if prog.hasPast {
		args = append(args, tensors.FromScalar(int32(in.slot)))
		for _, t := range in.past {
			// Donate the cache: XLA then updates it in place; it is replaced by the
			// run's output either way.
			d, err := graph.DonateTensorBuffer(t, m.backend, 0)
			if err != nil {
				return nil, fmt.Errorf("model: donate KV cache: %w", err)
			}
			args = append(args, d)
		}
	}
	for i := range ivs {
		args = append(args, m.editArgs(&ivs[i], in)...)
	}
	outs, err := exec.Exec(args...)
	if err != nil {
		return nil, fmt.Errorf("model: run: %w", err)
	}
	res := &runResult{}
	if prog.logits != logitsNone {
		l := outs[0]
		outs = outs[1:]
		if prog.logits == logitsLast {
			res.logits = &Acts{Data: tensors.MustCopyFlatData[float32](l), Batch: B, Seq: 1, Width: m.Config.VocabSize, Pad: make([]int, B)}
		} else {
			res.logits = &Acts{Data: tensors.MustCopyFlatData[float32](l), Batch: B, Seq: S, Width: m.Config.VocabSize, Pad: in.pad}
		}
		l.FinalizeAll()
	}
	if len(prog.capture) > 0 {
		c := outs[0]
		outs = outs[1:]
		res.caps = m.splitCaptures(tensors.MustCopyFlatData[float32](c), prog.capture, in)
		c.FinalizeAll()
	}
	res.kv = outs
	return res, nil
}

// splitCaptures cuts the stacked captures (stackCaptures: [B, S, sum of widths])
// into one Acts per hook.
func (m *Model) splitCaptures(all []float32, hooks []hook.Point, in *runInputs) []*Acts {
	rows := in.B * in.S
	total := len(all) / rows
	out := make([]*Acts, len(hooks))
	off := 0
	for i, h := range hooks {
		w := m.Config.width(h)
		data := all
		if len(hooks) > 1 {
			data = make([]float32, rows*w)
			for r := 0; r < rows; r++ {
				copy(data[r*w:(r+1)*w], all[r*total+off:r*total+off+w])
			}
		}
		out[i] = &Acts{Data: data, Batch: in.B, Seq: in.S, Width: w, Pad: in.pad}
		off += w
	}
	return out
}

// editArgs makes the graph inputs of one intervention for the layout of in.
func (m *Model) editArgs(iv *Intervention, in *runInputs) []any {
	w := m.Config.width(iv.Hook)
	mask := make([]bool, in.B*in.S)
	for b := 0; b < in.B; b++ {
		for s := in.pad[b]; s < in.S; s++ {
			pos := in.start[b] + s - in.pad[b]
			mask[b*in.S+s] = iv.At == nil || iv.At(b, pos)
		}
	}
	maskT := tensors.FromFlatDataAndDimensions(mask, in.B, in.S)
	switch iv.Kind {
	case ProjectOut:
		return []any{tensors.FromFlatDataAndDimensions(append([]float32(nil), iv.Basis...), iv.Rank, w), maskT}
	case Ablate:
		mean := make([]float32, w)
		copy(mean, iv.Mean)
		args := []any{tensors.FromFlatDataAndDimensions(mean, w), maskT}
		if iv.Hook.Kind == hook.KindAttnHeads {
			heads := make([]bool, m.Config.NHeads)
			for _, h := range iv.Heads {
				heads[h] = true
			}
			args = append(args, tensors.FromFlatDataAndDimensions(heads, m.Config.NHeads))
		}
		return args
	default: // Steer
		return []any{tensors.FromFlatDataAndDimensions(append([]float32(nil), iv.Vector...), w),
			tensors.FromScalar(float32(iv.Coef)), maskT}
	}
}

// MaxAbsDiff returns max |a_i - b_i| over equal-length slices (NaN if either has a
// NaN), a helper for comparisons with references.
func MaxAbsDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		x := math.Abs(float64(a[i]) - float64(b[i]))
		if math.IsNaN(x) {
			return math.NaN()
		}
		d = max(d, x)
	}
	return d
}
