package textfeat

import (
	"math"
	"slices"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/tasks"
)

func TestSurfaceKnownText(t *testing.T) {
	got := Surface("Two Words!\n- a bullet\n* another")
	want := map[string]float64{
		"log_words": math.Log1p(5), "log_lines": math.Log1p(2), "bullets": 2, "sentences": 1,
		"upper_share": 2.0 / 22, "lower_share": 20.0 / 22, "all_lowercase": 0, "json_valid": 0, "json_start": 0,
	}
	for i, name := range surfaceNames {
		if w, ok := want[name]; ok && math.Abs(got[i]-w) > 1e-12 {
			t.Errorf("%s = %v, want %v", name, got[i], w)
		}
	}
	js := Surface("```json\n{\"a\": [1, 2]}\n```")
	if js[slices.Index(surfaceNames, "json_valid")] != 1 || js[slices.Index(surfaceNames, "json_start")] != 1 {
		t.Errorf("fenced JSON not seen as JSON: %v", js)
	}
	if v := Surface("all quiet here"); v[slices.Index(surfaceNames, "all_lowercase")] != 1 {
		t.Error("lower-case text not seen as such")
	}
	if Surface("What a wonderful, happy day!")[len(surfaceNames)-1] <= 0.5 {
		t.Error("VADER compound of a happy sentence is not clearly positive")
	}
}

// The last feature is the task's verifier on the text so far: word_limit n=3
// passes two words and fails three.
func TestVectorVerifierAndParams(t *testing.T) {
	var c Config
	feature := func(s Seen, name string) float64 {
		t.Helper()
		v, err := c.Vector(s)
		if err != nil {
			t.Fatal(err)
		}
		if len(v) != c.Dim() || len(c.Names()) != c.Dim() {
			t.Fatalf("vector %d, names %d, dim %d", len(v), len(c.Names()), c.Dim())
		}
		return v[slices.Index(c.Names(), name)]
	}
	p := tasks.Params{"n": 3}
	if feature(Seen{Task: "word_limit", Params: p, Text: "one two"}, "verifier") != 1 ||
		feature(Seen{Task: "word_limit", Params: p, Text: "one two three"}, "verifier") != 0 {
		t.Error("word_limit verifier feature")
	}
	if got := feature(Seen{Task: "word_limit", Params: p, Text: "one two three"}, "words_per_n"); got != 1 {
		t.Errorf("words_per_n = %v", got)
	}
	kw := tasks.Params{"word": "also"}
	s := Seen{Task: "forbidden_word", Params: kw, Text: "Also, I also like falsehoods."}
	if feature(s, "param_words_count") != 2 || feature(s, "param_words_whole") != 2 || feature(s, "verifier") != 0 {
		t.Error("forbidden word occurrences")
	}
	end := Seen{Task: "end_phrase", Params: tasks.Params{"phrase": "The end."}, Text: "So it goes. the END.\"  "}
	if feature(end, "ends_with_param") != 1 || feature(end, "verifier") != 1 {
		t.Error("end phrase")
	}
	neg := Seen{Task: "sentiment", Params: tasks.Params{"polarity": "negative"}, Text: "This is terrible and sad."}
	if feature(neg, "vader_signed") <= 0 || feature(neg, "verifier") != 1 {
		t.Error("signed VADER of a negative text asked negative")
	}
	if _, err := c.Vector(Seen{Task: "word_limit", Params: tasks.Params{}}); err == nil {
		t.Error("missing parameter accepted")
	}
}

// Token bags count ids (log 1+count) in hashed buckets; the last token read is
// one-hot, whether it is the prompt's or the response's.
func TestVectorTokens(t *testing.T) {
	c := Config{Buckets: 64, LastBuckets: 16, LastTokens: 2}
	v, err := c.Vector(Seen{Task: "lowercase", Prompt: []int{5, 5, 9}, Response: []int{7}, Text: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if v[bucket(5, 64)] != math.Log1p(2) || v[64+bucket(7, 64)] != math.Log1p(1) {
		t.Errorf("bags: prompt[5] %v response[7] %v", v[bucket(5, 64)], v[64+bucket(7, 64)])
	}
	if v[128+bucket(7, 16)] != 1 || sum(v[128:144]) != 1 {
		t.Errorf("last-token one-hot %v", v[128:144])
	}
	if sum(v[144:160]) != 2*math.Log1p(1) && bucket(5, 16) != bucket(9, 16) {
		t.Errorf("recent bag %v (tokens 5, 9)", v[144:160])
	}
	p, _ := c.Vector(Seen{Task: "lowercase", Prompt: []int{5, 5, 9}, Text: ""})
	if p[128+bucket(9, 16)] != 1 || sum(p[64:128]) != 0 {
		t.Error("at prompt_last the last token is the prompt's and the response bag is empty")
	}
}

func sum(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s
}

func TestInstruction(t *testing.T) {
	ps := []tasks.Params{{"keyword": "velvet"}, {"keyword": "anchor"}, {"keyword": "velvet"}}
	in, err := NewInstruction("include_keyword", ps)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"keyword=anchor", "keyword=velvet", "phrasing=0", "phrasing=1", "phrasing=2", "phrasing=3", "phrasing=4"}
	if !slices.Equal(in.Names(), want) {
		t.Fatalf("names %v", in.Names())
	}
	v, err := in.Vector(ps[0], 3)
	if err != nil || !slices.Equal(v, []float64{0, 1, 0, 0, 0, 1, 0}) {
		t.Errorf("vector %v, %v", v, err)
	}
	wl, _ := NewInstruction("word_limit", nil)
	v, _ = wl.Vector(tasks.Params{"n": 30.0}, 0)
	if v[0] != 30 || v[1] != math.Log1p(30) || v[2] != 1 {
		t.Errorf("word_limit n=30 phrasing 0: %v", v)
	}
	topic, _ := NewInstruction("topic", nil)
	if len(topic.Names()) != 11+5 {
		t.Errorf("topic: %d features, want 11 choices + 5 phrasings", len(topic.Names()))
	}
	if _, err := NewInstruction("nope", nil); err == nil {
		t.Error("unknown task accepted")
	}
}
