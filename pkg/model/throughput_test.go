package model

import (
	"slices"
	"testing"
)

func TestSyntheticPrompts(t *testing.T) {
	// The recipe the peer scripts use on SmolLM2's vocabulary.
	p := SyntheticPrompts(2, 3, 49152)
	if want := [][]int{{200, 217, 234}, {331, 348, 365}}; !slices.EqualFunc(p, want, slices.Equal) {
		t.Errorf("SyntheticPrompts(2, 3, 49152) = %v, want %v", p, want)
	}
	for _, vocab := range []int{61, 250, 1000} {
		for _, row := range SyntheticPrompts(4, 50, vocab) {
			for _, id := range row {
				if id < 0 || id >= vocab {
					t.Fatalf("vocab %d: id %d outside it", vocab, id)
				}
			}
		}
	}
}

func TestMeasureThroughput(t *testing.T) {
	m := tinyModel(t, "llama")
	tp, err := m.MeasureThroughput(2, 5, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	if tp.Batch != 2 || tp.PromptTokens != 5 || tp.GenTokens != 4 || !(tp.Prefill > 0) || !(tp.Decode > 0) {
		t.Errorf("MeasureThroughput = %+v", tp)
	}
	if _, err := m.MeasureThroughput(1, 5, 1, 1); err == nil {
		t.Error("gen 1: no error (decode needs at least one step after the prefill)")
	}
}
