package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/ifprobe/ifprobe/pkg/hook"
)

// GenerateOptions configures Generate. The zero value generates greedily up to
// DefaultMaxTokens tokens and stops on the model's stop tokens.
type GenerateOptions struct {
	MaxTokens   int     // tokens to generate per row at most; 0 means DefaultMaxTokens
	Temperature float64 // 0 means greedy (argmax); otherwise logits are divided by it before sampling
	TopK        int     // sample among the TopK most likely tokens; 0 means no limit
	TopP        float64 // nucleus sampling: the smallest set with probability >= TopP; 0 or 1 means no limit
	Seed        uint64  // sampling seed; row r of the batch draws from PCG(Seed, r)
	Stop        []int   // stop token ids; nil means Config.Stop
	IgnoreStop  bool    // never stop on a token (generate exactly MaxTokens)

	// Capture records these hooks at every token the model reads: the prompt, and
	// each generated token, which is fed back once even when it ends the response
	// (so `eos` and the last `step:{k}` have states).
	Capture []hook.Point
	// Interventions apply at every step; At sees each token's index in the row's
	// prompt+response sequence.
	Interventions []Intervention
	// OnToken, if set, is called for each generated token as soon as it is chosen
	// (streaming), in row order within a step.
	OnToken func(row, step, token int)

	onLogits func(step int, logits []float32) // tests: [batch, vocab] logits that chose the step's tokens
}

// DefaultMaxTokens is GenerateOptions.MaxTokens when it is 0.
const DefaultMaxTokens = 128

// cacheBucket is the smallest KV-cache capacity. A generation allocates the
// power of two (at least cacheBucket) that holds its prompt and MaxTokens, so the
// decode graph compiles once per capacity, not per token, and runs of similar
// size share one compilation (XLA compiles take seconds). Masked slots cost only
// attention work, small next to the matrix products.
const cacheBucket = 64

// cacheCapacity is the capacity for n slots.
func cacheCapacity(n int) int {
	c := cacheBucket
	for c < n {
		c *= 2
	}
	return c
}

// promptBucket rounds prompt batches up (left padding) so that prompts of similar
// length share a compiled prefill graph.
const promptBucket = 16

// StopReason says why a row stopped generating.
type StopReason string

// Stop reasons.
const (
	StopToken     StopReason = "stop_token" // it produced a stop token (included in Tokens)
	StopMaxTokens StopReason = "max_tokens" // it reached MaxTokens
	StopContext   StopReason = "context"    // it reached the model's context length
)

// Sequence is one generated response.
type Sequence struct {
	Prompt []int
	Tokens []int // generated tokens, including the stop token when Stop is StopToken
	Stop   StopReason
	// Captures holds, per captured hook, [Len, width] row-major values at every token
	// the model read: Prompt then Tokens (Len = len(Prompt)+len(Tokens)).
	Captures map[hook.Point][]float32
}

// GenerateStats are timings of one Generate call.
type GenerateStats struct {
	PromptTokens    int           // real (non-pad) prompt tokens
	GeneratedTokens int           // tokens generated over all rows
	Steps           int           // decode steps run
	Prefill         time.Duration // prompt processing, including compilation on first use
	Decode          time.Duration // all decode steps
}

// kvCache holds every layer's keys and values [B, KV, C, hd] as backend tensors,
// replaced by each decode step's outputs (the step writes the new slot inside the
// graph and, on XLA, updates the donated buffer in place), plus which slots are
// valid and their positions, on the host.
type kvCache struct {
	B, C  int
	kv    []*tensors.Tensor // per layer K, V
	valid []bool            // [B, C]
	pos   []int32           // [B, C]
	used  int               // slots filled (the same for every row)
}

// newCache makes a cache of capacity C holding the prefill's keys and values
// [B, KV, S, hd] per layer in slots [0, S).
func (m *Model) newCache(prefill []*tensors.Tensor, in *runInputs, C int) *kvCache {
	B, S, KV, hd := in.B, in.S, m.Config.NKVHeads, m.Config.HeadDim
	c := &kvCache{B: B, C: C, valid: make([]bool, B*C), pos: make([]int32, B*C), used: S}
	for _, t := range prefill {
		src := tensors.MustCopyFlatData[float32](t)
		t.FinalizeAll()
		dst := make([]float32, B*KV*C*hd)
		for bk := 0; bk < B*KV; bk++ {
			copy(dst[bk*C*hd:bk*C*hd+S*hd], src[bk*S*hd:(bk+1)*S*hd])
		}
		c.kv = append(c.kv, tensors.FromFlatDataAndDimensions(dst, B, KV, C, hd))
	}
	for b := 0; b < B; b++ {
		copy(c.valid[b*C:], in.keyValid[b*S:(b+1)*S])
		copy(c.pos[b*C:], in.positions[b*S:(b+1)*S])
	}
	return c
}

// Generate continues each prompt (token ids, chat template already applied) with
// a KV cache, all rows in one batch. Rows are left-padded; a finished row keeps
// its slot in the batch (fed but masked) until every row is done.
func (m *Model) Generate(prompts [][]int, opts GenerateOptions) (seqs []Sequence, stats *GenerateStats, err error) {
	defer recoverTo(&err)
	if err := m.checkGenerate(prompts, &opts); err != nil {
		return nil, nil, err
	}
	B := len(prompts)
	stop := map[int]bool{}
	if !opts.IgnoreStop {
		list := opts.Stop
		if list == nil {
			list = m.Config.Stop
		}
		for _, s := range list {
			stop[s] = true
		}
	}
	stats = &GenerateStats{}
	seqs = make([]Sequence, B)
	rngs := make([]*rand.Rand, B)
	S := 0
	for b, p := range prompts {
		seqs[b] = Sequence{Prompt: slices.Clone(p), Captures: map[hook.Point][]float32{}}
		rngs[b] = rand.New(rand.NewPCG(opts.Seed, uint64(b)))
		S = max(S, len(p))
		stats.PromptTokens += len(p)
	}
	S = roundUp(S, promptBucket)

	// Prefill: the whole (padded) prompt, keeping keys and values.
	t0 := time.Now()
	in, err := m.newRun(prompts, S, nil)
	if err != nil {
		return nil, nil, err
	}
	res, err := m.run(&program{capture: opts.Capture, logits: logitsLast, returnKV: true}, in, opts.Interventions)
	if err != nil {
		return nil, nil, err
	}
	m.appendCaptures(seqs, opts.Capture, res.caps, nil)
	cache := m.newCache(res.kv, in, cacheCapacity(S+opts.MaxTokens))
	useDUS := m.backend.Capabilities().Operations[backends.OpTypeDynamicUpdateSlice]
	stats.Prefill = time.Since(t0)

	// Decode: choose a token per row from the last logits, feed it back.
	t0 = time.Now()
	done := make([]bool, B) // finished and (when capturing) its last token fed
	logits := res.logits.Data
	capture := len(opts.Capture) > 0
	for step := 0; ; step++ {
		if opts.onLogits != nil {
			opts.onLogits(step, logits)
		}
		feed := make([][]int, B)
		fedValid := make([]bool, B)
		for b := range seqs {
			sq := &seqs[b]
			if sq.Stop != "" { // already stopped: its last token was fed last step
				done[b] = true
			}
			if done[b] {
				feed[b] = []int{0}
				continue
			}
			tok := m.sample(logits[b*m.Config.VocabSize:(b+1)*m.Config.VocabSize], &opts, rngs[b])
			sq.Tokens = append(sq.Tokens, tok)
			stats.GeneratedTokens++
			if opts.OnToken != nil {
				opts.OnToken(b, step, tok)
			}
			switch {
			case stop[tok]:
				sq.Stop = StopToken
			case len(sq.Tokens) >= opts.MaxTokens:
				sq.Stop = StopMaxTokens
			case len(sq.Prompt)+len(sq.Tokens) >= m.Config.ContextLength:
				sq.Stop = StopContext
			}
			if sq.Stop != "" && !capture {
				done[b] = true
				feed[b] = []int{0}
				continue
			}
			feed[b] = []int{tok}
			fedValid[b] = true
		}
		if !slices.Contains(fedValid, true) {
			break
		}
		if cache.used == cache.C { // cannot happen: the capacity holds prompt + MaxTokens
			return nil, nil, fmt.Errorf("model: internal error: KV cache full at %d slots", cache.C)
		}
		start := make([]int, B)
		for b := range seqs {
			start[b] = len(seqs[b].Prompt) + len(seqs[b].Tokens) - 1
			if !fedValid[b] {
				start[b] = 0
			}
		}
		in, err := m.newRun(feed, 1, start)
		if err != nil {
			return nil, nil, err
		}
		// The step attends over the whole cache, including its own new slot.
		slot := cache.used
		for b := 0; b < B; b++ {
			cache.valid[b*cache.C+slot] = fedValid[b]
			cache.pos[b*cache.C+slot] = in.positions[b]
		}
		in.T, in.keyValid, in.keyPos, in.slot, in.past = cache.C, cache.valid, cache.pos, slot, cache.kv
		res, err := m.run(&program{capture: opts.Capture, hasPast: true, useDUS: useDUS, logits: logitsLast}, in, opts.Interventions)
		if err != nil {
			return nil, nil, err
		}
		m.appendCaptures(seqs, opts.Capture, res.caps, fedValid)
		cache.kv = res.kv
		cache.used++
		stats.Steps++
		logits = res.logits.Data
	}
	for _, t := range cache.kv {
		t.FinalizeAll()
	}
	stats.Decode = time.Since(t0)
	return seqs, stats, nil
}

// appendCaptures appends each row's real tokens' captured values (only rows with
// fed[b], or all rows when fed is nil).
func (m *Model) appendCaptures(seqs []Sequence, hooks []hook.Point, caps []*Acts, fed []bool) {
	for i, h := range hooks {
		c := caps[i]
		for b := range seqs {
			if fed != nil && !fed[b] {
				continue
			}
			for t := 0; t < c.Len(b); t++ {
				seqs[b].Captures[h] = append(seqs[b].Captures[h], c.At(b, t)...)
			}
		}
	}
}

func (m *Model) checkGenerate(prompts [][]int, opts *GenerateOptions) error {
	if len(prompts) == 0 {
		return fmt.Errorf("%w: no prompts", ErrBadInput)
	}
	for b, p := range prompts {
		if len(p) == 0 {
			return fmt.Errorf("%w: prompt %d is empty", ErrBadInput, b)
		}
		if len(p) >= m.Config.ContextLength {
			return fmt.Errorf("%w: prompt %d has %d tokens, the context length is %d", ErrBadInput, b, len(p), m.Config.ContextLength)
		}
	}
	if opts.MaxTokens == 0 {
		opts.MaxTokens = DefaultMaxTokens
	}
	switch {
	case opts.MaxTokens < 0:
		return fmt.Errorf("%w: MaxTokens %d < 0", ErrBadInput, opts.MaxTokens)
	case opts.Temperature < 0 || math.IsNaN(opts.Temperature) || math.IsInf(opts.Temperature, 0):
		return fmt.Errorf("%w: Temperature %g must be finite and >= 0", ErrBadInput, opts.Temperature)
	case opts.TopK < 0:
		return fmt.Errorf("%w: TopK %d < 0", ErrBadInput, opts.TopK)
	case !(opts.TopP >= 0 && opts.TopP <= 1):
		return fmt.Errorf("%w: TopP %g not in [0, 1]", ErrBadInput, opts.TopP)
	}
	for _, s := range opts.Stop {
		if s < 0 || s >= m.Config.VocabSize {
			return fmt.Errorf("%w: stop token %d not in [0, %d)", ErrBadInput, s, m.Config.VocabSize)
		}
	}
	return nil
}

// sample picks a token from one row's logits.
func (m *Model) sample(logits []float32, opts *GenerateOptions, rng *rand.Rand) int {
	if opts.Temperature == 0 {
		return argmax(logits)
	}
	return sampleLogits(logits, opts.Temperature, opts.TopK, opts.TopP, rng)
}

// argmax returns the first index of the largest value.
func argmax(xs []float32) int {
	best := 0
	for i, x := range xs {
		if x > xs[best] {
			best = i
		}
	}
	return best
}

// sampleLogits draws from softmax(logits/temperature) restricted to the topK most
// likely tokens and then to the smallest prefix with probability >= topP. Ties are
// broken by token id, so a seed gives the same draw on every platform.
func sampleLogits(logits []float32, temperature float64, topK int, topP float64, rng *rand.Rand) int {
	idx := make([]int, len(logits))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return logits[idx[a]] > logits[idx[b]] })
	if topK > 0 && topK < len(idx) {
		idx = idx[:topK]
	}
	probs := make([]float64, len(idx))
	top := float64(logits[idx[0]])
	sum := 0.0
	for i, id := range idx {
		probs[i] = math.Exp((float64(logits[id]) - top) / temperature)
		sum += probs[i]
	}
	n := len(idx)
	if topP > 0 && topP < 1 {
		cum := 0.0
		for i := range probs {
			cum += probs[i] / sum
			if cum >= topP {
				n = i + 1
				break
			}
		}
	}
	total := 0.0
	for _, p := range probs[:n] {
		total += p
	}
	r := rng.Float64() * total
	for i, p := range probs[:n] {
		r -= p
		if r < 0 {
			return idx[i]
		}
	}
	return idx[n-1]
}

func roundUp(n, k int) int { return (n + k - 1) / k * k }
