package labelnoise

import (
	"strings"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/tasks"
)

// TestSampleMatchesVerifiers recomputes the verifier's verdict on every
// labelled response: an agreement measured on an older verifier must not be
// reported for the current one (relabel, or redraw the sample, when it fails).
func TestSampleMatchesVerifiers(t *testing.T) {
	labels, err := Samples()
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) == 0 {
		t.Fatal("no labelled sample committed")
	}
	for _, l := range labels {
		v, err := tasks.Verify(l.Task, l.Response, l.Params)
		if err != nil {
			t.Fatalf("%s: %v", l.ID, err)
		}
		if v.Satisfied != l.Verifier {
			t.Errorf("%s (%s): the verifier now says %v (%s), the sample %v", l.ID, l.Task, v.Satisfied, v.Reason, l.Verifier)
		}
	}
}

// TestMeasure counts agreement, sensitivity and specificity by model and task.
func TestMeasure(t *testing.T) {
	var ls []Label
	add := func(n int, human, verifier bool) {
		for range n {
			ls = append(ls, Label{Model: "m", Task: "sentiment", Human: human, Verifier: verifier})
		}
	}
	add(8, true, true)
	add(2, true, false)
	add(1, false, true)
	add(9, false, false)
	ags := Measure(ls)
	if len(ags) != 1 {
		t.Fatalf("%d agreements, want 1", len(ags))
	}
	a := ags[0]
	if a.N != 20 || a.Accuracy.Estimate != 17.0/20 || a.Sensitivity.Estimate != 0.8 || a.Specificity.Estimate != 0.9 || a.HumanPass != 10 || a.VerifierPass != 9 {
		t.Errorf("%+v", a)
	}
	if !(a.Accuracy.Lo < 0.85 && a.Accuracy.Hi > 0.85 && a.Accuracy.Hi <= 1) {
		t.Errorf("accuracy interval %v", a.Accuracy)
	}
	if _, _, ok := For(ags, "other", "topic"); ok {
		t.Error("For found a task no sample has")
	}
	if got, same, ok := For(ags, "other", "sentiment"); !ok || same || got.Model != "m" {
		t.Errorf("For(other model) = %+v, %v, %v", got, same, ok)
	}
}

// TestParseErrors name the file and line.
func TestParseErrors(t *testing.T) {
	for _, in := range []string{`{"model": "m", "task": "sentiment"}` + "\n" + `{not json`, `{"task": "sentiment"}`} {
		_, err := Parse("x.jsonl", []byte(in))
		if err == nil || !strings.Contains(err.Error(), "x.jsonl:") {
			t.Errorf("Parse(%q) error %v, want one naming x.jsonl and the line", in, err)
		}
	}
}
