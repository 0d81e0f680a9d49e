package model

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/ifprobe/ifprobe/pkg/hook"
)

// Model is a decoder-only transformer with its weights loaded on a GoMLX backend
// (f32, or bf16/f16 with LoadOptions.Weights; it computes in f32 either way). Its methods are safe for concurrent use; compiled graphs are cached per
// program structure and input shape.
type Model struct {
	Config Config  // validated
	Family *Family // the architecture's declarations
	Source string  // where the weights came from (file path), informational

	backend backends.Backend
	device  backends.DeviceNum // where weights live and graphs run (devices.go)
	lay     *weightLayout
	weights []*tensors.Tensor
	wdtype  WeightDType // the weights' type on the backend; graphs compute in f32

	// replicas are the model on each device it generates on, this one first
	// (OnDevices); nil on one device.
	replicas []*Model

	// The compiled graphs, shared by the replicas: a graph compiled without a
	// device assignment runs on any device of the backend.
	mu    *sync.Mutex
	execs map[string]*graph.Exec

	// attnBlock is the number of prompt queries attended at a time
	// (program.attnBlock); 0 attends the whole prompt at once (the tests' reference
	// path).
	attnBlock int
}

// defaultAttnBlock is the query block of prompt attention: the scores held at once
// are [defaultAttnBlock, prompt length] per head (with SmolLM2's 9 heads and an
// 8k-token prompt, 75 MB instead of 2.4 GB), and prompts up to this length keep the
// one-block graph.
const defaultAttnBlock = 256

// ErrBadInput is returned (wrapped) for token ids, lengths or options that do not
// fit the model.
var ErrBadInput = errors.New("model: bad input")

// New builds a Model from weights keyed by GGUF tensor name (row-major f32, matrices
// [out, in], q/k in Hugging Face row order), kept in f32. cfg is validated; every
// tensor cfg needs must be present with the right shape.
func New(backend backends.Backend, cfg Config, weights map[string][]float32) (*Model, error) {
	return NewWith(backend, cfg, weights, LoadOptions{})
}

// NewWith is New keeping the weights in opts.Weights (rounded to nearest even
// when narrower than f32).
func NewWith(backend backends.Backend, cfg Config, weights map[string][]float32, opts LoadOptions) (*Model, error) {
	return newModel(backend, cfg, opts, weightSource{f32: func(s weightSpec) ([]float32, error) {
		w, ok := weights[s.Name]
		if !ok {
			return nil, fmt.Errorf("model: weight %q: missing", s.Name)
		}
		return w, nil
	}})
}

// weightSource reads the weights of one checkpoint for newModel.
type weightSource struct {
	// f32 returns a weight's values in f32 (every source has it).
	f32 func(weightSpec) ([]float32, error)
	// raw, when not nil, fills dst with the weight's own bits and returns true
	// when the checkpoint stores it in type d, so that it is never widened; false
	// falls back to f32 and rounding.
	raw func(s weightSpec, d WeightDType, dst []byte) (bool, error)
}

// newModel builds a Model reading each weight from src.
func newModel(backend backends.Backend, cfg Config, opts LoadOptions, src weightSource) (*Model, error) {
	if backend == nil {
		return nil, fmt.Errorf("%w: nil backend", ErrBadInput)
	}
	wd := opts.Weights.orF32()
	if err := wd.check(backend); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	fam, err := LookupFamily(cfg.Arch)
	if err != nil {
		return nil, err
	}
	m := &Model{Config: cfg, Family: fam, backend: backend, lay: layoutFor(&cfg), mu: &sync.Mutex{}, execs: map[string]*graph.Exec{},
		attnBlock: defaultAttnBlock, wdtype: wd}
	m.weights = make([]*tensors.Tensor, len(m.lay.specs))
	for i, s := range m.lay.specs {
		if m.weights[i], err = m.loadWeight(s, src); err != nil {
			for _, t := range m.weights[:i] {
				t.FinalizeAll()
			}
			return nil, err
		}
	}
	return m, nil
}

// loadWeight reads weight s from src into a device tensor of the model's weight
// type: the file's own bits where it holds that type, else its f32 values rounded
// once; the host copy is freed where the backend keeps its own.
func (m *Model) loadWeight(s weightSpec, src weightSource) (t *tensors.Tensor, err error) {
	defer recoverTo(&err)
	n := numel(s.Shape)
	if m.wdtype == WeightsF32 {
		w, err := src.f32(s)
		if err != nil {
			return nil, err
		}
		if len(w) != n {
			return nil, fmt.Errorf("model: weight %q: %d values, want %v", s.Name, len(w), s.Shape)
		}
		t = tensors.FromFlatDataAndDimensions(w, s.Shape...)
	} else {
		t, err = newWeightTensor(m.wdtype, s.Shape, func(dst []byte) error {
			if src.raw != nil {
				if ok, err := src.raw(s, m.wdtype, dst); ok || err != nil {
					return err
				}
			}
			w, err := src.f32(s)
			if err != nil {
				return err
			}
			if len(w) != n {
				return fmt.Errorf("model: weight %q: %d values, want %v", s.Name, len(w), s.Shape)
			}
			narrow(dst, w, m.wdtype)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if err := m.toDevice(t); err != nil {
		return nil, fmt.Errorf("model: weight %q: %w", s.Name, err)
	}
	if n*4 >= collectAfterBytes {
		// The tensor's host copies (its f32 values, and the narrowed copy the
		// backend has copied) are garbage now; collecting them before the next
		// large tensor keeps the load's peak near the weights' own size instead of
		// letting the Go heap grow to twice a few tensors (measured on an 8B-shaped
		// model's 2 GiB embedding: about 4 GiB more peak RSS).
		runtime.GC()
	}
	return t, nil
}

// collectAfterBytes is the size of a weight's f32 values above which loadWeight
// collects garbage after it.
const collectAfterBytes = 256 << 20

// toDevice makes t readable by the backend without a copy per call (a shared
// buffer where the backend supports it, as SimpleGo does).
func (m *Model) toDevice(t *tensors.Tensor) (err error) {
	defer recoverTo(&err)
	if err := t.MaterializeOnDevice(m.backend, true, 0); err != nil {
		return err
	}
	if !m.backend.HasSharedBuffers() {
		t.FinalizeLocal() // the device copy is the only one we need
	}
	return nil
}

// Weights is the type the model keeps its weights in (f32, bf16 or f16).
func (m *Model) Weights() WeightDType { return m.wdtype }

// WeightBytes is the memory the weights take on the backend: the sum of each
// weight tensor's bytes, 4 per parameter in f32 and 2 in bf16 or f16.
func (m *Model) WeightBytes() int64 {
	var n int64
	for _, t := range m.weights {
		n += int64(t.Memory())
	}
	return n
}

// Close frees the weights (on every device) and compiled graphs on the backend now, instead of
// when the garbage collector finds them (a benchmark loading one model after
// another measures each alone). The model must not be used afterwards.
func (m *Model) Close() {
	m.Free() // the copies on other devices (OnDevices)
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, e := range m.execs { // shared with the replicas: emptied in place
		e.Finalize()
		delete(m.execs, k)
	}
	for _, t := range m.weights {
		t.FinalizeAll()
	}
	m.weights = nil
}

// Params is the number of parameters (a tied unembedding counted once).
func (m *Model) Params() int64 {
	var n int64
	for _, s := range m.lay.specs {
		n += int64(numel(s.Shape))
	}
	return n
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
	in, err := m.newForward(seqs, S)
	if err != nil {
		return nil, err
	}
	prog := &program{kind: progForward, capture: opts.Capture, logits: logitsMode(opts.Logits)}
	res, err := m.run(prog, in, opts.Interventions)
	if err != nil {
		return nil, err
	}
	out = &Output{Captures: map[hook.Point]*Acts{}}
	switch opts.Logits {
	case AllLogits:
		out.Logits = &Acts{Data: res.logits, Batch: in.B, Seq: S, Width: m.Config.VocabSize, Pad: in.pad}
	case LastLogits:
		out.Logits = &Acts{Data: res.logits, Batch: in.B, Seq: 1, Width: m.Config.VocabSize, Pad: make([]int, in.B)}
	}
	for i, a := range m.splitCaptures(res.caps, opts.Capture, in) {
		out.Captures[opts.Capture[i]] = a
	}
	return out, nil
}

// runInputs are the host-side inputs of one graph run: B rows of S tokens.
type runInputs struct {
	B, S      int
	tokens    []int32 // [B,S]
	positions []int32 // [B,S]: each token's index in its row's own sequence
	real      []bool  // [B,S]: a token, not padding (outside decode steps, also the keys' validity)
	ids       []int   // the row's prompt index as Intervention.At sees it (nil: the row's index)
	pad       []int   // progForward: each row's left padding
	// progPrefill: each row's last token and its cache row; without
	// DynamicUpdateSlice, for each cache row the batch row it takes, if any.
	last, rows []int32
	src        []int32
	isNew      []bool
	cache      []*tensors.Tensor // progPrefill, progStep: each layer's K and V
	prefix     []*tensors.Tensor // progPrefill with a shared prefix: each layer's prefix K and V (kept)
}

// newForward lays out seqs (each at most S long) left-padded to S, attending to
// themselves only.
func (m *Model) newForward(seqs [][]int, S int) (*runInputs, error) {
	B := len(seqs)
	in := &runInputs{B: B, S: S, tokens: make([]int32, B*S), positions: make([]int32, B*S),
		real: make([]bool, B*S), pad: make([]int, B)}
	for b, s := range seqs {
		if len(s) > m.Config.ContextLength {
			return nil, fmt.Errorf("%w: row %d: %d tokens exceed the context length %d", ErrBadInput, b, len(s), m.Config.ContextLength)
		}
		pad := S - len(s)
		in.pad[b] = pad
		if err := m.place(in, b, pad, 0, s); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// place puts row b's tokens s at sequence index from on, positions pos0,
// pos0+1, ... (pos0 > 0 for the tokens after a shared prefix).
func (m *Model) place(in *runInputs, b, from, pos0 int, s []int) error {
	for t, id := range s {
		if id < 0 || id >= m.Config.VocabSize {
			return fmt.Errorf("%w: row %d token %d: id %d not in [0, %d)", ErrBadInput, b, t, id, m.Config.VocabSize)
		}
		i := b*in.S + from + t
		in.tokens[i], in.positions[i], in.real[i] = int32(id), int32(pos0+t), true
	}
	return nil
}

// runResult are the outputs of one run on the host, and the KV cache on the backend.
type runResult struct {
	logits []float32         // [B,S,vocab] (logitsAll) or [B,vocab] (logitsLast)
	next   []int32           // logitsArgmax: [B]
	caps   []float32         // captures stacked: [B, S or 1, sum of the hooks' widths]
	kv     []*tensors.Tensor // progPrefill, progStep: each layer's updated K and V
}

// run executes prog on in with the interventions' values as inputs.
func (m *Model) run(prog *program, in *runInputs, ivs []Intervention) (*runResult, error) {
	for _, h := range prog.capture {
		if err := h.Check(m.Config.NLayers); err != nil {
			return nil, err
		}
	}
	if prog.kind != progStep {
		prog.attnBlock = m.attnBlock
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
	args, err := m.runArgs(prog, in, ivs)
	if err != nil {
		return nil, err
	}
	outs, _, err := exec.ExecWithGraphOnDevice(m.device, args...)
	if err != nil {
		return nil, fmt.Errorf("model: run: %w", err)
	}
	res := &runResult{}
	if prog.logits != logitsNone {
		if prog.logits == logitsArgmax {
			res.next = tensors.MustCopyFlatData[int32](outs[0])
		} else {
			res.logits = tensors.MustCopyFlatData[float32](outs[0])
		}
		outs[0].FinalizeAll()
		outs = outs[1:]
	}
	if len(prog.capture) > 0 {
		res.caps = tensors.MustCopyFlatData[float32](outs[0])
		outs[0].FinalizeAll()
		outs = outs[1:]
	}
	res.kv = outs
	return res, nil
}

// runArgs are the graph inputs after the weights for prog on in (graphFn's layout).
func (m *Model) runArgs(prog *program, in *runInputs, ivs []Intervention) ([]any, error) {
	B, S := in.B, in.S
	args := make([]any, 0, len(m.weights)+8+len(in.cache)+4*len(ivs))
	for _, w := range m.weights {
		args = append(args, w)
	}
	args = append(args,
		tensors.FromFlatDataAndDimensions(in.tokens, B, S),
		tensors.FromFlatDataAndDimensions(in.positions, B, S))
	if prog.kind != progStep {
		args = append(args,
			tensors.FromFlatDataAndDimensions(in.real, B, S),
			tensors.FromFlatDataAndDimensions(in.positions, B, S))
	}
	if prog.kind == progPrefill {
		args = append(args, tensors.FromFlatDataAndDimensions(in.last, B), tensors.FromFlatDataAndDimensions(in.rows, B))
		if !prog.useDUS {
			args = append(args, tensors.FromFlatDataAndDimensions(in.src, len(in.src)),
				tensors.FromFlatDataAndDimensions(in.isNew, len(in.isNew)))
		}
	}
	for _, t := range in.cache {
		// Donate the cache: the graph writes its output into it (aliasOutput); it
		// is replaced by the run's output either way.
		d, err := graph.DonateTensorBuffer(t, m.backend, m.device)
		if err != nil {
			return nil, fmt.Errorf("model: donate KV cache: %w", err)
		}
		args = append(args, d)
	}
	for _, t := range in.prefix {
		args = append(args, t)
	}
	for i := range ivs {
		args = append(args, m.editArgs(&ivs[i], in)...)
	}
	return args, nil
}

// splitCaptures cuts the stacked captures (stackCaptures: [B, S, sum of widths])
// of a forward into one Acts per hook.
func (m *Model) splitCaptures(all []float32, hooks []hook.Point, in *runInputs) []*Acts {
	rows := in.B * in.S
	out := make([]*Acts, len(hooks))
	if len(hooks) == 0 {
		return out
	}
	total := len(all) / rows
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
		id := b
		if in.ids != nil {
			id = in.ids[b]
		}
		for s := 0; s < in.S; s++ {
			i := b*in.S + s
			mask[i] = in.real[i] && (iv.At == nil || iv.At(id, int(in.positions[i])))
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
