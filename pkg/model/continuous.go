package model

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/ifprobe/ifprobe/pkg/hook"
)

// generator is one GenerateStream: continuous batching over a KV cache of B rows
// and C columns that stays on the backend. Row r holds one prompt's keys and
// values with token t of its sequence (prompt, then response) in column t, so a
// decode step writes each row's new token at its own position and a row's
// attention never depends on another row's length. The prompts of order are
// admitted in that order, prefillChunk at a time, into free rows; a row is free
// again once its response is complete.
type generator struct {
	m       *Model
	prompts [][]int // every prompt of the call, indexed by the prompt's index
	order   []int   // the indices of the prompts this generator answers
	opts    GenerateOptions
	done    func(int, Sequence) error
	stop    map[int]bool
	capture bool
	greedy  bool // the argmax is taken on the backend; only B token ids come back per step
	C       int  // cache columns
	chunk   int  // prompts per prefill call
	useDUS  bool
	widths  []int // per captured hook
	total   int   // sum of widths
	prefix  int   // tokens every prompt starts with, prefilled once (sharedPrefix); 0: none

	cache    []*tensors.Tensor // per layer K [B,kvH,hd,C], V [B,kvH,C,hd] (colAxis)
	prefixKV []*tensors.Tensor // per layer K, V of one row and Cp columns (colAxis): the shared prefix's, made by the first prefill
	rows     []genRow
	next     int // next prompt to admit: an index into order
	live     int // rows holding a prompt
	stats    *GenerateStats
	halt     *atomic.Bool // set when another device's generator of the call failed; nil on one device
}

// genRow is the state of one cache row.
type genRow struct {
	idx  int // prompt index; -1: free
	seq  Sequence
	rng  *rand.Rand
	feed int // the token the next step feeds: the last one chosen
}

// prefillChunk is the number of prompts one prefill call admits: an eighth of the
// batch, so that a finished row waits little for its next prompt and the prefill
// shapes (and compilations) stay few; a chunk of 16 prompts of ~100 tokens is
// large enough for the matrix products to run at full speed.
func prefillChunk(batch int) int { return max(1, (batch+7)/8) }

// newGenerator answers the prompts of order (nil: all of them) with rows of m.
// The cache's columns hold the longest of all the prompts, so that every device
// of a call runs the same shapes.
func (m *Model) newGenerator(prompts [][]int, order []int, opts GenerateOptions, done func(int, Sequence) error) *generator {
	if order == nil {
		order = make([]int, len(prompts))
		for i := range order {
			order[i] = i
		}
	}
	g := &generator{m: m, prompts: prompts, order: order, opts: opts, done: done, stop: map[int]bool{},
		capture: len(opts.Capture) > 0, greedy: opts.Temperature == 0 && opts.onLogits == nil,
		chunk:  prefillChunk(opts.Batch),
		useDUS: m.backend.Capabilities().Operations[backends.OpTypeDynamicUpdateSlice],
		rows:   make([]genRow, opts.Batch), stats: &GenerateStats{Batch: opts.Batch, Devices: 1}}
	if !opts.IgnoreStop {
		list := opts.Stop
		if list == nil {
			list = m.Config.Stop
		}
		for _, s := range list {
			g.stop[s] = true
		}
	}
	maxLen := 0
	for _, p := range prompts {
		maxLen = max(maxLen, len(p))
	}
	for _, i := range order {
		g.stats.PromptTokens += len(prompts[i])
	}
	g.prefix = m.sharedPrefix(prompts, opts)
	g.stats.SharedPrefix = g.prefix
	widest := maxLen // the widest prefill write: prefix plus padded rest
	if g.prefix > 0 {
		widest = g.prefix + roundUp(maxLen-g.prefix, promptBucket)
	}
	g.C = cacheColumns(widest, opts.MaxTokens, m.Config.ContextLength)
	for i := range g.rows {
		g.rows[i].idx = -1
	}
	for _, h := range opts.Capture {
		g.widths = append(g.widths, m.Config.width(h))
		g.total += m.Config.width(h)
	}
	return g
}

// run admits and decodes until every prompt of order is answered, or until halt
// is set.
func (g *generator) run() error {
	for {
		if g.halt != nil && g.halt.Load() {
			return errHalted
		}
		if err := g.admit(); err != nil {
			return err
		}
		if g.live == 0 {
			return nil
		}
		if err := g.step(); err != nil {
			return err
		}
	}
}

// cacheColumns is the KV cache's capacity for prompts of up to maxLen tokens and
// responses of up to maxTokens: a row's last token sits in column
// maxLen+maxTokens-1 at most (it stops at the context length before), and a
// prefill writes its padded prompts whole.
func cacheColumns(maxLen, maxTokens, contextLength int) int {
	need := min(maxLen+maxTokens, contextLength)
	return roundUp(max(need, roundUp(maxLen, promptBucket)), cacheBucket)
}

// kvCacheBytes is the size of a KV cache of rows x columns (f32 keys and values
// of every layer).
func (m *Model) kvCacheBytes(rows, columns int) int64 {
	c := &m.Config
	return int64(rows) * int64(columns) * int64(2*c.NLayers*c.NKVHeads*c.HeadDim) * 4
}

// release frees the cache and the shared prefix's keys and values.
func (g *generator) release() {
	for _, t := range append(g.cache, g.prefixKV...) {
		t.FinalizeAll()
	}
	g.cache, g.prefixKV = nil, nil
}

// admit prefills waiting prompts into free rows: a chunk at a time while a whole
// chunk of rows is free, or all the remaining prompts when they fit.
func (g *generator) admit() error {
	for g.next < len(g.order) {
		var free []int
		for r := range g.rows {
			if g.rows[r].idx < 0 {
				free = append(free, r)
			}
		}
		pending := len(g.order) - g.next
		if len(free) == 0 || (len(free) < g.chunk && len(free) < pending) {
			return nil
		}
		if err := g.prefill(free[:min(g.chunk, len(free), pending)]); err != nil {
			return err
		}
	}
	return nil
}

// prefill runs the next len(rows) prompts into cache rows rows, as one batch of
// g.chunk (the rest repeat the first row and are overwritten by it), and chooses
// each prompt's first token. With a shared prefix only the tokens after it are
// run, attending to the prefix's keys and values (computed by the first call).
func (g *generator) prefill(rows []int) error {
	t0 := time.Now()
	defer func() { g.stats.Prefill += time.Since(t0) }()
	if g.cache == nil {
		if err := g.newCache(); err != nil {
			return err
		}
	}
	if g.prefix > 0 && g.prefixKV == nil {
		if err := g.prefillPrefix(); err != nil {
			return err
		}
	}
	k, m, P := len(rows), g.chunk, g.prefix
	S := 0
	for i := range k {
		S = max(S, len(g.prompts[g.order[g.next+i]])-P)
	}
	S = roundUp(S, promptBucket)
	in := &runInputs{B: m, S: S, tokens: make([]int32, m*S), positions: make([]int32, m*S), real: make([]bool, m*S),
		ids: make([]int, m), last: make([]int32, m), rows: make([]int32, m), cache: g.cache, prefix: g.prefixKV}
	for i := range m {
		in.ids[i], in.rows[i] = -1, int32(rows[0])
	}
	for i, r := range rows {
		idx := g.order[g.next+i]
		p := g.prompts[idx]
		if err := g.m.place(in, i, 0, P, p[P:]); err != nil {
			return err
		}
		in.ids[i], in.last[i], in.rows[i] = idx, int32(len(p)-P-1), int32(r)
	}
	if !g.useDUS {
		in.src, in.isNew = make([]int32, len(g.rows)), make([]bool, len(g.rows))
		for i, r := range rows {
			in.src[r], in.isNew[r] = int32(i), true
		}
	}
	prog := &program{kind: progPrefill, capture: g.opts.Capture, capLast: g.opts.CapturePromptLast, useDUS: g.useDUS,
		logits: g.logitsMode(), prefix: P}
	g.cache = nil // donated to the run
	res, err := g.m.run(prog, in, g.opts.Interventions)
	if err != nil {
		return err
	}
	g.cache = res.kv
	for i, r := range rows {
		row := &g.rows[r]
		idx := g.order[g.next+i]
		p := g.prompts[idx]
		*row = genRow{idx: idx, rng: rand.New(rand.NewPCG(g.opts.Seed, uint64(idx))),
			seq: Sequence{Prompt: slices.Clone(p), Captures: map[hook.Point][]float32{}}}
		g.live++
		if g.capture {
			n, from := len(p), 0
			if g.opts.CapturePromptLast {
				n, from = 1, len(p)-1
			}
			row.seq.CaptureStart = from
			seq := S
			if g.opts.CapturePromptLast {
				seq = 1
			}
			for t := range n {
				g.appendCaptures(row, res.caps, (i*seq+t)*g.total)
			}
		}
	}
	g.next += k
	for i, r := range rows {
		if err := g.choose(r, i, res); err != nil {
			return err
		}
	}
	return nil
}

// minSharedPrefix is the shortest common prefix worth its own prefill: a chat
// template's system turn is 20 to 30 tokens, about half of a short prompt.
const minSharedPrefix = 8

// sharedPrefix is the number of leading tokens that every prompt shares and that
// generation prefills once (0: none). Sharing needs at least two prompts, a
// prefix of minSharedPrefix tokens, and leaves each prompt at least one token of
// its own (its last token chooses the first response token). It is off under
// interventions (which may edit prefix positions, per prompt) and when the whole
// prompt is captured (the prefix's states would be missing), and when the rest of
// a prompt is longer than an attention block (blocked attention reads only a
// prompt's own keys).
func (m *Model) sharedPrefix(prompts [][]int, opts GenerateOptions) int {
	if opts.NoSharedPrefix || len(prompts) < 2 || len(opts.Interventions) > 0 ||
		(len(opts.Capture) > 0 && !opts.CapturePromptLast) {
		return 0
	}
	P, longest := len(prompts[0]), 0
	for _, p := range prompts {
		P = min(P, len(p)-1)
		for i := 0; i < P; i++ {
			if p[i] != prompts[0][i] {
				P = i
				break
			}
		}
		longest = max(longest, len(p))
	}
	if P < minSharedPrefix || (m.attnBlock > 0 && longest-P > m.attnBlock) {
		return 0
	}
	return P
}

// prefillPrefix computes the shared prefix's keys and values: the prefill of the
// prefix alone, as one prompt, into a one-row cache of its own.
func (g *generator) prefillPrefix() error {
	P := g.prefix
	S := roundUp(P, promptBucket)
	cache, err := g.m.zeroCache(1, S)
	if err != nil {
		return err
	}
	in := &runInputs{B: 1, S: S, tokens: make([]int32, S), positions: make([]int32, S), real: make([]bool, S),
		ids: []int{-1}, last: []int32{int32(P - 1)}, rows: []int32{0}, cache: cache}
	if err := g.m.place(in, 0, 0, 0, g.prompts[0][:P]); err != nil {
		return err
	}
	if !g.useDUS {
		in.src, in.isNew = []int32{0}, []bool{true}
	}
	res, err := g.m.run(&program{kind: progPrefill, useDUS: g.useDUS, logits: logitsArgmax}, in, nil)
	if err != nil {
		return err
	}
	g.prefixKV = res.kv
	return nil
}

// newCache allocates the zeroed cache of the generator's rows.
func (g *generator) newCache() (err error) {
	g.cache, err = g.m.zeroCache(len(g.rows), g.C)
	return err
}

// zeroCache allocates a zeroed KV cache of B rows and C columns on the backend
// (by a graph, so that no host copy of it is ever made).
func (m *Model) zeroCache(B, C int) ([]*tensors.Tensor, error) {
	cfg := &m.Config
	key := fmt.Sprintf("zeros %dx%d", B, C)
	m.mu.Lock()
	exec, ok := m.execs[key]
	var err error
	if !ok {
		kShape := shapes.Make(dtypes.Float32, B, cfg.NKVHeads, cfg.HeadDim, C) // colAxis
		vShape := shapes.Make(dtypes.Float32, B, cfg.NKVHeads, C, cfg.HeadDim)
		exec, err = graph.NewExec(m.backend, func(x *graph.Node) []*graph.Node {
			out := make([]*graph.Node, 2*cfg.NLayers)
			for i := range out {
				out[i] = graph.Zeros(x.Graph(), [2]shapes.Shape{kShape, vShape}[i%2])
			}
			return out
		})
		if err == nil {
			m.execs[key] = exec
		}
	}
	m.mu.Unlock()
	if err != nil {
		return nil, err
	}
	cache, _, err := exec.ExecWithGraphOnDevice(m.device, tensors.FromScalar(int32(0)))
	return cache, err
}

func (g *generator) logitsMode() logitsMode {
	if g.greedy {
		return logitsArgmax
	}
	return logitsLast
}

// step feeds every live row its last chosen token and chooses the next.
func (g *generator) step() error {
	t0 := time.Now()
	defer func() { g.stats.Decode += time.Since(t0) }()
	B := len(g.rows)
	in := &runInputs{B: B, S: 1, tokens: make([]int32, B), positions: make([]int32, B), real: make([]bool, B),
		ids: make([]int, B), cache: g.cache}
	for b := range g.rows {
		row := &g.rows[b]
		in.ids[b] = row.idx
		if row.idx < 0 {
			continue
		}
		in.tokens[b] = int32(row.feed)
		in.positions[b] = int32(len(row.seq.Prompt) + len(row.seq.Tokens) - 1)
		in.real[b] = true
	}
	prog := &program{kind: progStep, capture: g.opts.Capture, logits: g.logitsMode()}
	g.cache = nil // donated to the run
	res, err := g.m.run(prog, in, g.opts.Interventions)
	if err != nil {
		return err
	}
	g.cache = res.kv
	g.stats.Steps++
	g.stats.RowSteps += g.live
	for b := range g.rows {
		row := &g.rows[b]
		if row.idx < 0 {
			continue
		}
		if g.capture {
			g.appendCaptures(row, res.caps, b*g.total)
		}
		if row.seq.Stop != "" { // that was its last token, fed only to capture it
			if err := g.finish(b); err != nil {
				return err
			}
			continue
		}
		if err := g.choose(b, b, res); err != nil {
			return err
		}
	}
	return nil
}

// choose picks row r's next token from batch row i of res and ends the row when
// it stops (after one more step when capturing, to read the last token).
func (g *generator) choose(r, i int, res *runResult) error {
	row := &g.rows[r]
	sq := &row.seq
	var tok int
	if res.next != nil {
		tok = int(res.next[i])
	} else {
		V := g.m.Config.VocabSize
		logits := res.logits[i*V : (i+1)*V]
		if g.opts.onLogits != nil {
			g.opts.onLogits(row.idx, len(sq.Tokens), logits)
		}
		tok = g.m.sample(logits, &g.opts, row.rng)
	}
	sq.Tokens = append(sq.Tokens, tok)
	g.stats.GeneratedTokens++
	if g.opts.OnToken != nil {
		g.opts.OnToken(row.idx, len(sq.Tokens)-1, tok)
	}
	switch {
	case g.stop[tok]:
		sq.Stop = StopToken
	case len(sq.Tokens) >= g.opts.MaxTokens:
		sq.Stop = StopMaxTokens
	case len(sq.Prompt)+len(sq.Tokens) >= g.m.Config.ContextLength:
		sq.Stop = StopContext
	}
	row.feed = tok
	if sq.Stop != "" && !g.capture {
		return g.finish(r)
	}
	return nil
}

// finish hands row r's response to done and frees the row.
func (g *generator) finish(r int) error {
	row := &g.rows[r]
	idx, seq := row.idx, row.seq
	*row = genRow{idx: -1}
	g.live--
	return g.done(idx, seq)
}

// appendCaptures appends one token's captured values, stacked at caps[at:], to
// row's sequence.
func (g *generator) appendCaptures(row *genRow, caps []float32, at int) {
	for i, h := range g.opts.Capture {
		w := g.widths[i]
		row.seq.Captures[h] = append(row.seq.Captures[h], caps[at:at+w]...)
		at += w
	}
}
