package capture

import (
	"context"
	"fmt"

	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/lm"
	"github.com/ifprobe/ifprobe/pkg/model"
)

// GenerateRows answers every prompt (token ids; ids name them in errors) with
// m's greedy generation under opts (MaxTokens, Stop, IgnoreStop, Interventions),
// opts.Batch prompts at a time with continuous batching, and calls fn in prompt
// order with each response (its Captures dropped) and its rows at every key of
// opts.Hooks × opts.Positions, as Cache.StoreRows gives them. A position a
// response never reached is an error naming the prompt. Only the rows wait for
// earlier prompts to finish, not the response's states at every token, so memory
// stays bounded by the batch's captures plus the rows of the prompts finished out
// of order. fn's error, or ctx's, stops the generation and is returned.
func GenerateRows(ctx context.Context, m *lm.LM, ids []string, prompts [][]int, opts Options,
	fn func(i int, seq model.Sequence, rows map[hook.Key][]float32) error) (*model.GenerateStats, error) {
	opts = opts.withDefaults()
	if err := opts.check(&m.Model.Config); err != nil {
		return nil, err
	}
	if len(ids) != len(prompts) {
		return nil, fmt.Errorf("%w: %d ids for %d prompts", ErrBadOptions, len(ids), len(prompts))
	}
	type done struct {
		seq  model.Sequence
		rows map[hook.Key][]float32
	}
	return generateInOrder(ctx, m, prompts, opts, func(i int, s model.Sequence) (done, error) {
		c := New(m.Model.Config.NLayers)
		if err := c.AddSequences([]model.Sequence{s}, []string{ids[i]}, opts.Positions); err != nil {
			return done{}, err
		}
		rows, err := c.StoreRows(ids[i])
		s.Captures = nil
		return done{s, rows}, err
	}, func(i int, d done) error { return fn(i, d.seq, d.rows) })
}

// generateInOrder runs m.Model.GenerateStream over prompts with opts's capture
// and batch, turns each finished sequence into a T at once (keep), and hands the
// Ts to emit in prompt order.
func generateInOrder[T any](ctx context.Context, m *lm.LM, prompts [][]int, opts Options,
	keep func(int, model.Sequence) (T, error), emit func(int, T) error) (*model.GenerateStats, error) {
	if len(prompts) == 0 {
		return &model.GenerateStats{}, nil
	}
	held := map[int]T{}
	next := 0
	st, err := m.Model.GenerateStream(prompts, generateOptions(m, opts), func(i int, s model.Sequence) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		v, err := keep(i, s)
		if err != nil {
			return err
		}
		held[i] = v
		for {
			v, ok := held[next]
			if !ok {
				return nil
			}
			delete(held, next)
			if err := emit(next, v); err != nil {
				return err
			}
			next++
		}
	})
	if err != nil {
		return nil, fmt.Errorf("capture: generate: %w", err)
	}
	return st, nil
}

// generateOptions are the model's options for opts: greedy, continuous batches of
// opts.Batch, and only the prompt's last token captured unless a position reads
// the whole prompt.
func generateOptions(m *lm.LM, opts Options) model.GenerateOptions {
	last := true
	for _, p := range opts.Positions {
		if p.Kind == hook.PosAll {
			last = false
		}
	}
	return model.GenerateOptions{MaxTokens: opts.MaxTokens, Stop: stopTokens(m, opts), IgnoreStop: opts.IgnoreStop,
		Batch: opts.Batch, Capture: opts.Hooks, CapturePromptLast: last, Interventions: opts.Interventions}
}
