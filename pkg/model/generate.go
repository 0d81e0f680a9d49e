package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/ifprobe/ifprobe/pkg/hook"
)

// GenerateOptions configures Generate. The zero value generates greedily up to
// DefaultMaxTokens tokens and stops on the model's stop tokens.
type GenerateOptions struct {
	MaxTokens   int     // tokens to generate per row at most; 0 means DefaultMaxTokens
	Temperature float64 // 0 means greedy (argmax); otherwise logits are divided by it before sampling
	TopK        int     // sample among the TopK most likely tokens; 0 means no limit
	TopP        float64 // nucleus sampling: the smallest set with probability >= TopP; 0 or 1 means no limit
	Seed        uint64  // sampling seed; prompt i draws from PCG(Seed, i)
	Stop        []int   // stop token ids; nil means Config.Stop
	IgnoreStop  bool    // never stop on a token (generate exactly MaxTokens)

	// Batch is the number of prompts generated together (continuous batching: a
	// finished prompt's row takes the next prompt); 0 means all of them.
	Batch int

	// Capture records these hooks at every token the model reads: the prompt, and
	// each generated token, which is fed back once even when it ends the response
	// (so `eos` and the last `step:{k}` have states).
	Capture []hook.Point
	// CapturePromptLast captures only the prompt's last token, not the whole
	// prompt: Sequence.CaptureStart is then len(Prompt)-1. Every capture position
	// but `all` reads nothing before it, and whole prompts are most of the values
	// to move off the backend.
	CapturePromptLast bool
	// Interventions apply at every step; At sees the prompt's index in the prompts
	// given and each token's index in that prompt's prompt+response sequence.
	Interventions []Intervention
	// OnToken, if set, is called for each generated token as soon as it is chosen
	// (streaming): row is the prompt's index, step the token's index in its response.
	OnToken func(row, step, token int)
	// NoSharedPrefix turns off prefix sharing: when every prompt starts with the
	// same tokens (a chat template's system turn), their keys and values are
	// computed once and each prompt's prefill computes only the rest (see
	// sharedPrefix). Sharing changes results only by float rounding: the prefix
	// is computed in a batch of one instead of with each prompt.
	NoSharedPrefix bool

	onLogits func(row, step int, logits []float32) // tests: the [vocab] logits that chose a row's token
}

// DefaultMaxTokens is GenerateOptions.MaxTokens when it is 0.
const DefaultMaxTokens = 128

// cacheBucket rounds the KV cache's capacity (its columns) up: a generation's
// capacity holds its longest prompt plus MaxTokens, and the decode graph compiles
// once per capacity and batch, so calls of similar size share one compilation
// (XLA compiles take seconds). Masked columns cost attention work only.
const cacheBucket = 64

// promptBucket rounds prompt batches up (right padding) so that prompts of similar
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
	// Captures holds, per captured hook, [n, width] row-major values at every token
	// the model read from CaptureStart on: Prompt then Tokens
	// (n = len(Prompt)+len(Tokens)-CaptureStart).
	Captures map[hook.Point][]float32
	// CaptureStart is the index (in Prompt then Tokens) of the first captured
	// token: 0, or len(Prompt)-1 with GenerateOptions.CapturePromptLast.
	CaptureStart int
}

// GenerateStats are timings of one Generate call.
type GenerateStats struct {
	PromptTokens    int           // real (non-pad) prompt tokens
	SharedPrefix    int           // leading tokens every prompt shares, prefilled once (0: none; see NoSharedPrefix)
	GeneratedTokens int           // tokens generated over all rows
	Steps           int           // decode steps run
	Batch           int           // rows of the decode steps (per device)
	RowSteps        int           // rows that fed a token, summed over the steps (at most Steps*Batch)
	Prefill         time.Duration // prompt processing, including compilation on first use
	Decode          time.Duration // all decode steps
	// Devices is the number of devices that generated (Model.OnDevices). With more
	// than one, Steps and RowSteps are summed over the devices, and Prefill and
	// Decode are the longest device's (they run at once).
	Devices int
}

// String is a one-line account of the run: where the time went and how full the
// decode batch was kept.
func (s *GenerateStats) String() string {
	fill := 0.0
	if s.Steps > 0 && s.Batch > 0 {
		fill = 100 * float64(s.RowSteps) / float64(s.Steps*s.Batch)
	}
	shared := ""
	if s.SharedPrefix > 0 {
		shared = fmt.Sprintf(" (a %d-token prefix shared)", s.SharedPrefix)
	}
	return fmt.Sprintf("%d prompt tokens%s, %d generated; prefill %s, decode %s in %d steps of batch %d (rows %.0f%% full)",
		s.PromptTokens, shared, s.GeneratedTokens, s.Prefill.Round(time.Millisecond), s.Decode.Round(time.Millisecond), s.Steps, s.Batch, fill)
}

// Generate continues each prompt (token ids, chat template already applied) with a
// KV cache and returns the responses in prompt order. At most opts.Batch prompts
// are generated together; see GenerateStream.
func (m *Model) Generate(prompts [][]int, opts GenerateOptions) (seqs []Sequence, stats *GenerateStats, err error) {
	seqs = make([]Sequence, len(prompts))
	stats, err = m.GenerateStream(prompts, opts, func(i int, s Sequence) error {
		seqs[i] = s
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return seqs, stats, nil
}

// GenerateStream continues each prompt with a KV cache of opts.Batch rows and
// calls done with each prompt's index and response as soon as it is complete (in
// the order they finish, which depends on the responses' lengths). When a row
// finishes, its cache row is overwritten by the next prompt, so the batch stays
// full until the prompts run out (continuous batching). A row attends only to its
// own cache row, so its tokens and states do not depend on which prompts share the
// batch (to float rounding of batched matrix products). An error from done stops
// the generation and is returned.
func (m *Model) GenerateStream(prompts [][]int, opts GenerateOptions, done func(i int, seq Sequence) error) (stats *GenerateStats, err error) {
	defer recoverTo(&err)
	if err := m.checkGenerate(prompts, &opts); err != nil {
		return nil, err
	}
	if len(m.replicas) > 1 && len(prompts) > 1 {
		return m.generateOnDevices(prompts, opts, done)
	}
	g := m.newGenerator(prompts, nil, opts, done)
	defer g.release()
	if err := g.run(); err != nil {
		return nil, err
	}
	return g.stats, nil
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
		for t, id := range p {
			if id < 0 || id >= m.Config.VocabSize {
				return fmt.Errorf("%w: prompt %d token %d: id %d not in [0, %d)", ErrBadInput, b, t, id, m.Config.VocabSize)
			}
		}
	}
	if opts.MaxTokens == 0 {
		opts.MaxTokens = DefaultMaxTokens
	}
	if opts.Batch == 0 || opts.Batch > len(prompts) {
		opts.Batch = len(prompts)
	}
	switch {
	case opts.Batch < 0:
		return fmt.Errorf("%w: Batch %d < 0", ErrBadInput, opts.Batch)
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
