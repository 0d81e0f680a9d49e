package probeset_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/acts"
	"github.com/ifprobe/ifprobe/pkg/dataset"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/tasks"
	"github.com/ifprobe/ifprobe/pkg/textfeat"
)

// vocab is the test tokenizer: token id i is the word vocab[i], and a sequence
// decodes to its words joined by spaces.
var vocab = strings.Fields("the a cat sat on mat and then it ran far away quick brown fox jumps over lazy dog again")

func decodeWords(ids []int) string {
	w := make([]string, len(ids))
	for i, id := range ids {
		w[i] = vocab[id]
	}
	return strings.Join(w, " ")
}

// wordLimitStudy is 120 word_limit records over 30 base requests, their labels
// given by the real verifier: n drawn in [5, 40], responses of 1 to 40 words
// (the 40-word ones truncated), prompts of random tokens. A store holds one
// example per record with a value unrelated to the label.
func wordLimitStudy(t *testing.T) ([]dataset.Record, *probeset.StoreSource) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	var recs []dataset.Record
	var exs []storeExample
	for i := range 120 {
		n := 5 + rng.IntN(36)
		resp := make([]int, 1+rng.IntN(40))
		for k := range resp {
			resp[k] = rng.IntN(len(vocab))
		}
		prompt := make([]int, 6)
		for k := range prompt {
			prompt[k] = rng.IntN(len(vocab))
		}
		it := dataset.Item{ID: fmt.Sprintf("word_limit-%04d", i), BaseID: fmt.Sprintf("b%02d", i%30), Task: "word_limit",
			Params: tasks.Params{"n": n}, Phrasing: rng.IntN(5)}
		r, err := dataset.NewRecord(it, decodeWords(resp), "test")
		if err != nil {
			t.Fatal(err)
		}
		r.PromptIDs, r.ResponseIDs, r.ResponseTokens, r.Truncated = prompt, resp, len(resp), len(resp) == 40
		recs = append(recs, r)
		label := 0
		if *r.Label {
			label = 1
		}
		exs = append(exs, storeExample{acts.Example{ID: r.ID, Task: r.Task, Label: label, BaseID: r.BaseID,
			Truncated: r.Truncated, ResponseTokens: r.ResponseTokens}, float32(rng.NormFloat64())})
	}
	src, err := probeset.FromStore(writeStore(t, exs), probeset.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return recs, src
}

// The text baseline reads word_limit's success off the whole response at eos
// (the verifier is deterministic: AUROC 1), and before the response no more than
// the instruction gives; the instruction
// baseline reads the planted effect of n (a larger limit is met more often); both
// hold exactly the activation source's rows.
func TestBaselinesKnownAnswers(t *testing.T) {
	recs, src := wordLimitStudy(t)
	text, err := probeset.NewTextBaseline(src, recs, decodeWords, textfeat.Config{Buckets: 64, LastBuckets: 16})
	if err != nil {
		t.Fatal(err)
	}
	instr, err := probeset.NewInstructionBaseline(src, recs)
	if err != nil {
		t.Fatal(err)
	}
	cv := probe.CVParams{Probe: probe.DefaultParams(), Folds: 5, SkipCI: true}
	cv.Probe.Seed = 3
	auroc := map[probeset.BaselineKind]map[hook.Position]float64{}
	for _, b := range []*probeset.FeatureSource{text, instr} {
		for _, pos := range []hook.Position{hook.PromptLast, hook.EOS} {
			want, err := src.Dataset("word_limit", 1, pos)
			if err != nil {
				t.Fatal(err)
			}
			got, err := b.Dataset("word_limit", probeset.BaselineLayer, pos)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Y, want.Y) || !slices.Equal(got.Groups, want.Groups) {
				t.Fatalf("%s baseline at %s: rows differ from the activations'", b.Kind(), pos)
			}
		}
		g, err := probeset.EvaluateGrid(context.Background(), b, probeset.GridConfig{CV: cv,
			Positions: []hook.Position{hook.PromptLast, hook.EOS}})
		if err != nil {
			t.Fatal(err)
		}
		auroc[b.Kind()] = map[hook.Position]float64{}
		for _, pos := range g.Positions {
			auroc[b.Kind()][pos] = g.AUROC("word_limit", probeset.BaselineLayer, pos).Estimate
		}
	}
	t.Logf("AUROC: %v", auroc)
	if a := auroc[probeset.TextBaseline][hook.EOS]; a < 0.99 {
		t.Errorf("text baseline at eos: AUROC %.3f, want ~1 (the verifier runs on the whole text)", a)
	}
	// Before the response, the text holds the instruction (here only through the
	// parameter features: prompts are random tokens), not the outcome.
	if a := auroc[probeset.TextBaseline][hook.PromptLast]; a > auroc[probeset.InstructionBaseline][hook.PromptLast]+0.05 {
		t.Errorf("text baseline at prompt_last: AUROC %.3f, above what the instruction gives", a)
	}
	if a := auroc[probeset.InstructionBaseline][hook.PromptLast]; a < 0.75 {
		t.Errorf("instruction baseline: AUROC %.3f, want the planted effect of n", a)
	}
}

// The text a state has seen is the prompt and the response up to its own token:
// none at prompt_last, one token at response_first, all of it at eos; a record
// without token ids is refused.
func TestTextBaselinePrefixes(t *testing.T) {
	recs, src := wordLimitStudy(t)
	var seen []string
	decode := func(ids []int) string { s := decodeWords(ids); seen = append(seen, s); return s }
	text, err := probeset.NewTextBaseline(src, recs, decode, textfeat.Config{})
	if err != nil {
		t.Fatal(err)
	}
	names := textfeat.Config{}.Names()
	words := slices.Index(names, "words_per_n")
	for _, c := range []struct {
		pos   hook.Position
		words func(r dataset.Record) int
	}{
		{hook.PromptLast, func(dataset.Record) int { return 0 }},
		{hook.ResponseFirst, func(dataset.Record) int { return 1 }},
		{hook.EOS, func(r dataset.Record) int { return len(r.ResponseIDs) }},
	} {
		ds, err := text.Dataset("word_limit", 0, c.pos)
		if err != nil {
			t.Fatal(err)
		}
		exs := src.Examples("word_limit", c.pos)
		for i, e := range exs {
			r := recs[slices.IndexFunc(recs, func(r dataset.Record) bool { return r.ID == e.ID })]
			want := float64(c.words(r)) / float64(r.Params.Int("n"))
			if got := ds.X.At(i, words); got != want {
				t.Fatalf("%s at %s: words/n %v, want %v", e.ID, c.pos, got, want)
			}
		}
	}
	broken := slices.Clone(recs)
	broken[3].ResponseIDs = nil
	if _, err := probeset.NewTextBaseline(src, broken, decodeWords, textfeat.Config{}); err == nil || !strings.Contains(err.Error(), broken[3].ID) {
		t.Errorf("record without token ids: %v", err)
	}
}

// The label-permutation null keeps one label per example: at eos, which holds
// fewer rows (no truncated response), each example has the label it has at
// prompt_last, and a baseline permuted with the same seed has the activations'
// permuted labels row for row.
func TestPermuteLabelsNamedRows(t *testing.T) {
	recs, src := wordLimitStudy(t)
	text, err := probeset.NewTextBaseline(src, recs, decodeWords, textfeat.Config{Buckets: 16, LastBuckets: 4})
	if err != nil {
		t.Fatal(err)
	}
	null, nullText := probeset.PermuteLabels(src, 9), probeset.PermuteLabels(text, 9)
	label := map[string]int{}
	changed := 0
	for _, pos := range []hook.Position{hook.PromptLast, hook.EOS} {
		ds, err := null.Dataset("word_limit", 0, pos)
		if err != nil {
			t.Fatal(err)
		}
		orig, _ := src.Dataset("word_limit", 0, pos)
		for i, id := range src.RowIDs("word_limit", pos) {
			if l, seen := label[id]; seen && l != ds.Y[i] {
				t.Fatalf("%s: label %d at prompt_last, %d at %s", id, l, ds.Y[i], pos)
			}
			label[id] = ds.Y[i]
			if ds.Y[i] != orig.Y[i] {
				changed++
			}
		}
		bt, err := nullText.Dataset("word_limit", probeset.BaselineLayer, pos)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(bt.Y, ds.Y) {
			t.Errorf("at %s the permuted baseline's labels differ from the permuted activations'", pos)
		}
	}
	if changed == 0 {
		t.Error("the permutation changed no label")
	}
}
