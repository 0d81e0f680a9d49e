package pipeline

import (
	"context"
	"fmt"

	"github.com/ifprobe/ifprobe/analyses/ablation"
	"github.com/ifprobe/ifprobe/pkg/chat"
	"github.com/ifprobe/ifprobe/pkg/dataset"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/lm"
	"github.com/ifprobe/ifprobe/pkg/model"
	"github.com/ifprobe/ifprobe/pkg/tasks"
)

// maxEditRank is the projection rank compiled into the behaviour graph: every edit
// is padded to it with zero rows, so one compiled graph serves all sources (INLP
// removes at most 20 directions by default).
const maxEditRank = 32

// behaviour implements ablation.Behaviour with the real model: it answers a fixed
// set of prompts per task, greedily, with the edit projected out of the residual
// stream at every position, and verifies the answers.
type behaviour struct {
	m         *lm.LM
	items     map[string][]dataset.Item
	maxTokens int
	batch     int
	// answered is the dataset's verdict of each item, by item ID. The unedited
	// run is the dataset stage's own greedy answers at the same token limit
	// (continuous batching gives each prompt the answer it gets alone), so the
	// baseline reads them instead of generating them again: one behaviour run
	// in 1 + 2 x sources.
	answered map[string]bool
}

// newBehaviour picks perTask items of each task, test split first; answered
// (may be nil) holds the dataset's verdicts.
func newBehaviour(m *lm.LM, items []dataset.Item, perTask, maxTokens, batch int, answered map[string]bool) *behaviour {
	b := &behaviour{m: m, items: map[string][]dataset.Item{}, maxTokens: maxTokens, batch: batch, answered: answered}
	for _, split := range []string{"test", "train"} {
		for _, it := range items {
			if it.Task != dataset.Control && it.Split == split && len(b.items[it.Task]) < perTask {
				b.items[it.Task] = append(b.items[it.Task], it)
			}
		}
	}
	return b
}

// Run implements ablation.Behaviour: the prompts of all tasks, in task order, are
// generated under the one edit with b.batch prompts in flight (continuous
// batching), and each answer is verified against its own task.
func (b *behaviour) Run(ctx context.Context, taskNames []string, edit *ablation.Edit) (map[string][]bool, error) {
	var items []dataset.Item
	for _, t := range taskNames {
		if len(b.items[t]) == 0 {
			return nil, fmt.Errorf("reproduce: behaviour: no items of task %q", t)
		}
		items = append(items, b.items[t]...)
	}
	if edit == nil {
		if out, ok := b.fromDataset(items); ok {
			return out, nil
		}
	}
	var ivs []model.Intervention
	if edit != nil {
		iv, err := projectOut(edit, b.m.Model.Config.DModel)
		if err != nil {
			return nil, err
		}
		ivs = []model.Intervention{iv}
	}
	ok, err := b.answer(ctx, items, ivs)
	if err != nil {
		return nil, err
	}
	out := map[string][]bool{}
	for i, it := range items {
		out[it.Task] = append(out[it.Task], ok[i])
	}
	return out, nil
}

// fromDataset returns the dataset's verdicts of items by task, if it has every one.
func (b *behaviour) fromDataset(items []dataset.Item) (map[string][]bool, bool) {
	out := map[string][]bool{}
	for _, it := range items {
		ok, found := b.answered[it.ID]
		if !found {
			return nil, false
		}
		out[it.Task] = append(out[it.Task], ok)
	}
	return out, true
}

// answer generates the responses to items under ivs and verifies each against its
// item's task and parameters.
func (b *behaviour) answer(ctx context.Context, items []dataset.Item, ivs []model.Intervention) ([]bool, error) {
	prompts := make([][]int, len(items))
	for i, it := range items {
		ids, err := b.m.EncodeChat(ctx, []chat.Message{{Role: "user", Content: it.Prompt}})
		if err != nil {
			return nil, err
		}
		prompts[i] = ids
	}
	ok := make([]bool, len(items))
	opts := model.GenerateOptions{MaxTokens: b.maxTokens, Stop: b.m.Stop(), Interventions: ivs, Batch: b.batch}
	_, err := b.m.Model.GenerateStream(prompts, opts, func(i int, s model.Sequence) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		toks := s.Tokens
		if s.Stop == model.StopToken && len(toks) > 0 {
			toks = toks[:len(toks)-1]
		}
		v, err := tasks.Verify(items[i].Task, b.m.Tokenizer.Decode(toks), items[i].Params)
		ok[i] = v.Satisfied
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reproduce: behaviour: %w", err)
	}
	return ok, nil
}

// projectOut turns an edit into a ProjectOut intervention at resid_post of its layer,
// padded to maxEditRank rows.
func projectOut(e *ablation.Edit, d int) (model.Intervention, error) {
	k, dd := e.Basis.Dims()
	if dd != d || k > maxEditRank {
		return model.Intervention{}, fmt.Errorf("reproduce: edit basis is %dx%d, want at most %dx%d", k, dd, maxEditRank, d)
	}
	basis := make([]float32, maxEditRank*d)
	for i := 0; i < k; i++ {
		for j, v := range e.Basis.RawRowView(i) {
			basis[i*d+j] = float32(v)
		}
	}
	return model.Intervention{Kind: model.ProjectOut, Hook: hook.ResidPost(e.Layer), Rank: maxEditRank, Basis: basis}, nil
}

// verdicts reads the dataset's verdict of every labelled item, by item ID.
func verdicts(path string) (map[string]bool, error) {
	recs, err := dataset.ReadRecords(path)
	if err != nil {
		return nil, fmt.Errorf("reproduce: behaviour: %w", err)
	}
	out := make(map[string]bool, len(recs))
	for _, r := range recs {
		if r.Label != nil {
			out[r.ID] = *r.Label
		}
	}
	return out, nil
}
