package dataset_test

import (
	"fmt"
	"os"

	"github.com/ifprobe/ifprobe/pkg/dataset"
)

func ExamplePlan() {
	items, err := dataset.Plan(dataset.Config{Tasks: []string{"word_limit", "sentiment"}, PerTask: 2, Seed: 7, NoControls: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, it := range items {
		fmt.Printf("%s %s fold=%d %s\n  %s\n", it.ID, it.BaseID, it.Fold, it.Split, it.Prompt)
	}
	// Output:
	// word_limit-0000 b062 fold=1 train
	//   Describe the first day at a new job. Use less than 55 words in total.
	// word_limit-0001 b050 fold=4 train
	//   Explain why some ideas become popular quickly. Your entire reply must be shorter than 26 words.
	// sentiment-0000 b012 fold=1 train
	//   Write a toast for a friend's celebration. Write your response in a clearly positive tone.
	// sentiment-0001 b169 fold=3 train
	//   Imagine an island with only one rule and describe life there. Keep the tone of your whole answer negative.
}

func ExampleSummarize() {
	items, _ := dataset.Plan(dataset.Config{Tasks: []string{"lowercase", "json_format"}, PerTask: 3, Seed: 1, NoControls: true})
	responses := []string{"all lower.", "Not lower.", "fine", `{"a": 1}`, "[1, 2]", "nope"}
	var recs []dataset.Record
	for i, it := range items {
		r, _ := dataset.NewRecord(it, responses[i], "example")
		recs = append(recs, r)
	}
	dataset.WriteSummary(os.Stdout, dataset.Summarize(recs))
	// Output:
	// task         n  satisfied  pass rate  truncated  flag
	// lowercase    3  2          66.7%      0          -
	// json_format  3  2          66.7%      0          -
}
