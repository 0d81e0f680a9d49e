package pipeline

import (
	"context"
	"reflect"
	"testing"

	"github.com/ifprobe/ifprobe/analyses/ablation"
	"github.com/ifprobe/ifprobe/pkg/dataset"
	"github.com/ifprobe/ifprobe/pkg/erase"
)

// The unedited behaviour run reads the dataset's verdicts (test split first,
// perTask per task, in task order) and never asks the model: the behaviour here
// has none, so a generation would fail.
func TestBehaviourBaselineFromDataset(t *testing.T) {
	items := []dataset.Item{
		{ID: "lowercase-0", Task: "lowercase", Split: "train"},
		{ID: "lowercase-1", Task: "lowercase", Split: "test"},
		{ID: "word_limit-0", Task: "word_limit", Split: "test"},
		{ID: "word_limit-1", Task: "word_limit", Split: "test"},
		{ID: "control-0", Task: dataset.Control, Split: "test"},
	}
	answered := map[string]bool{"lowercase-0": false, "lowercase-1": true, "word_limit-0": false, "word_limit-1": true}
	b := newBehaviour(nil, items, 1, 8, 2, answered)
	runs, err := b.Run(context.Background(), []string{"word_limit", "lowercase"}, []*ablation.Edit{nil})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]bool{"lowercase": {true}, "word_limit": {false}}
	if got := runs[0]; len(runs) != 1 || !reflect.DeepEqual(got, want) {
		t.Fatalf("baseline %v, want %v", got, want)
	}
	if _, ok := b.fromDataset(append(b.items["lowercase"], dataset.Item{ID: "unanswered", Task: "lowercase"})); ok {
		t.Error("an item the dataset did not answer was read from it")
	}
}

// All edits of a behaviour call share one stream of prompts, each copy of the
// items under its own edit: every copy's responses equal those of a call with
// its edit alone, and the edit changes some response (so a copy given another
// copy's edit, or none, would fail the comparison).
func TestBehaviourEditsShareOneStream(t *testing.T) {
	m := defaultModel(t)
	items, err := dataset.Plan(dataset.Config{Tasks: []string{"lowercase", "word_limit"}, PerTask: 2, Seed: 4, NoControls: true})
	if err != nil {
		t.Fatal(err)
	}
	beh := newBehaviour(m, items, 2, 10, 5, nil)
	var edits []*ablation.Edit
	for l, seed := range []uint64{1, 2} {
		p, err := erase.RandomParams{Rank: maxEditRank, Seed: seed}.ForDim(m.Model.Config.DModel)
		if err != nil {
			t.Fatal(err)
		}
		edits = append(edits, &ablation.Edit{Layer: 3 + 6*l, Basis: p.Basis()})
	}
	edits = append(edits, nil)
	var mine []dataset.Item
	for _, task := range []string{"lowercase", "word_limit"} {
		mine = append(mine, beh.items[task]...)
	}
	ctx := context.Background()
	together, err := beh.respond(ctx, mine, edits)
	if err != nil {
		t.Fatal(err)
	}
	for c, e := range edits {
		alone, err := beh.respond(ctx, mine, []*ablation.Edit{e})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(together[c], alone[0]) {
			t.Errorf("edit %d: in one stream %q, alone %q", c, together[c], alone[0])
		}
	}
	if reflect.DeepEqual(together[0], together[2]) {
		t.Errorf("the first edit changed no response: %q", together[0])
	}
}
