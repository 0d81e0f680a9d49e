package pipeline

import (
	"context"
	"reflect"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/dataset"
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
	got, err := b.Run(context.Background(), []string{"word_limit", "lowercase"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]bool{"lowercase": {true}, "word_limit": {false}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("baseline %v, want %v", got, want)
	}
	if _, ok := b.fromDataset(append(b.items["lowercase"], dataset.Item{ID: "unanswered", Task: "lowercase"})); ok {
		t.Error("an item the dataset did not answer was read from it")
	}
}
