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

// Run implements ablation.Behaviour: the prompts of all tasks, in task order,
// once per edit, are generated in one stream with b.batch prompts in flight
// (continuous batching), each copy under its own edit, and each answer is
// verified against its own task. The unedited run reads the dataset's verdicts
// when it has them all.
func (b *behaviour) Run(ctx context.Context, taskNames []string, edits []*ablation.Edit) ([]map[string][]bool, error) {
	var items []dataset.Item
	for _, t := range taskNames {
		if len(b.items[t]) == 0 {
			return nil, fmt.Errorf("reproduce: behaviour: no items of task %q", t)
		}
		items = append(items, b.items[t]...)
	}
	out := make([]map[string][]bool, len(edits))
	var runs []int // the edits to generate, in order
	for e, edit := range edits {
		if edit == nil {
			if v, ok := b.fromDataset(items); ok {
				out[e] = v
				continue
			}
		}
		runs = append(runs, e)
	}
	if len(runs) == 0 {
		return out, nil
	}
	gen := make([]*ablation.Edit, len(runs))
	for c, e := range runs {
		gen[c] = edits[e]
	}
	texts, err := b.respond(ctx, items, gen)
	if err != nil {
		return nil, err
	}
	for c, e := range runs {
		ok, err := verify(items, texts[c])
		if err != nil {
			return nil, err
		}
		out[e] = map[string][]bool{}
		for i, it := range items {
			out[e][it.Task] = append(out[e][it.Task], ok[i])
		}
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

// answer generates the unedited responses to items and verifies each against
// its item's task and parameters.
func (b *behaviour) answer(ctx context.Context, items []dataset.Item) ([]bool, error) {
	texts, err := b.respond(ctx, items, []*ablation.Edit{nil})
	if err != nil {
		return nil, err
	}
	return verify(items, texts[0])
}

// respond generates the responses to items once per edit (nil: unedited), all
// in one stream: prompt c*len(items)+i is item i under edits[c], so that the
// copies fill one continuous batch. texts[c][i] is item i's response under
// edits[c].
func (b *behaviour) respond(ctx context.Context, items []dataset.Item, edits []*ablation.Edit) ([][]string, error) {
	one := make([][]int, len(items))
	for i, it := range items {
		ids, err := b.m.EncodeChat(ctx, []chat.Message{{Role: "user", Content: it.Prompt}})
		if err != nil {
			return nil, err
		}
		one[i] = ids
	}
	n := len(items)
	var prompts [][]int
	var ivs []model.Intervention
	for c, edit := range edits {
		prompts = append(prompts, one...)
		if edit == nil {
			continue
		}
		iv, err := projectOut(edit, b.m.Model.Config.DModel)
		if err != nil {
			return nil, err
		}
		iv.At = func(i, _ int) bool { return i/n == c } // prompt i is item i%n under edits[i/n]
		ivs = append(ivs, iv)
	}
	texts := make([][]string, len(edits))
	for c := range texts {
		texts[c] = make([]string, n)
	}
	opts := model.GenerateOptions{MaxTokens: b.maxTokens, Stop: b.m.Stop(), Interventions: ivs, Batch: b.batch}
	_, err := b.m.Model.GenerateStream(prompts, opts, func(i int, s model.Sequence) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		toks := s.Tokens
		if s.Stop == model.StopToken && len(toks) > 0 {
			toks = toks[:len(toks)-1]
		}
		texts[i/n][i%n] = b.m.Tokenizer.Decode(toks)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reproduce: behaviour: %w", err)
	}
	return texts, nil
}

// verify checks each response against its item's task and parameters.
func verify(items []dataset.Item, texts []string) ([]bool, error) {
	ok := make([]bool, len(items))
	for i, it := range items {
		v, err := tasks.Verify(it.Task, texts[i], it.Params)
		if err != nil {
			return nil, fmt.Errorf("reproduce: behaviour: %w", err)
		}
		ok[i] = v.Satisfied
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
