package tasks

import (
	"bufio"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// ifevalCase is one line of testdata/ifeval_reference.jsonl, written by
// scripts/fixtures/tasks/ifeval.sh from IFEval's own checkers (lm-eval 0.4.13).
type ifevalCase struct {
	Task       string         `json:"task"`
	Params     map[string]any `json:"params"`
	Response   string         `json:"response"`
	IFEval     bool           `json:"ifeval"`
	IsLower    *bool          `json:"islower"`
	CountWords int            `json:"count_words"`
}

func TestIFEvalParity(t *testing.T) {
	f, err := os.Open("testdata/ifeval_reference.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for ; sc.Scan(); n++ {
		var c ifevalCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		if got := CountWords(c.Response); got != c.CountWords {
			t.Errorf("line %d: CountWords(%q) = %d, IFEval count_words %d", n+1, c.Response, got, c.CountWords)
		}
		v, err := Verify(c.Task, c.Response, c.Params)
		if err != nil {
			t.Errorf("line %d: %v", n+1, err)
			continue
		}
		want := c.IFEval
		if c.Task == "lowercase" {
			want = *c.IsLower // IFEval also runs langdetect; we check str.islower() only
		}
		if v.Satisfied != want {
			t.Errorf("line %d: %s%v on %q = %v (%s), IFEval %v", n+1, c.Task, c.Params, c.Response, v.Satisfied, v.Reason, want)
		}
	}
	if n < 400 {
		t.Fatalf("only %d reference cases", n)
	}
}

// TestVerifyTable covers cases whose expected verdicts come from the task
// definitions in doc.go, worked out by hand.
func TestVerifyTable(t *testing.T) {
	for i, tc := range []struct {
		task     string
		params   Params
		response string
		want     bool
		reason   string // a substring of Verdict.Reason
	}{
		{"word_limit", Params{"n": 3}, "Hello, world!", true, "2 words"}, // 0
		{"word_limit", Params{"n": 2}, "Hello, world!", false, "not fewer than 2"},
		{"word_limit", Params{"n": 1}, "", true, "0 words"},
		{"word_limit", Params{"n": 3}, "  trailing   space \n\t", true, "2 words"},
		{"lowercase", nil, "hello there.", true, "no capital"},
		{"lowercase", nil, "hello There.", false, "byte 6"}, // 5
		{"lowercase", nil, "", false, "no letters"},
		{"lowercase", nil, "ǆ ǅ", false, "'ǅ'"},
		{"json_format", nil, "```json\n{\"k\": [1]}\n```\n", true, "object"},
		{"json_format", nil, "NaN", false, "not valid JSON"},                                                   // Python's json.loads accepts NaN; RFC 8259 does not
		{"json_format", nil, " ``` ", false, "empty"},                                                          // 10
		{"json_format", nil, "1e400", true, "number"},                                                          // Python: float("inf"); valid JSON syntax
		{"json_format", nil, strings.Repeat("[", 20000) + strings.Repeat("]", 20000), false, "not valid JSON"}, // Go's depth limit (Python: RecursionError)
		{"bullet_count", Params{"n": 2}, "- a\n- b\n", true, "2 bullets"},
		{"bullet_count", Params{"n": 2}, "- a\n- b\n---", false, "3 bullets"},
		{"include_keyword", Params{"keyword": "Harbor"}, "the harbor at dusk", true, "byte 4"}, // 15
		{"include_keyword", Params{"keyword": "harbor"}, "the port at dusk", false, "does not occur"},
		{"forbidden_word", Params{"word": "also"}, "We also went.", false, "byte 3"},
		{"forbidden_word", Params{"word": "also"}, "Alsoran", true, "never uses"},
		{"end_phrase", Params{"phrase": "The end."}, "Story. THE END.\n", true, "ends with"},
		{"end_phrase", Params{"phrase": "The end."}, "Story. The end. Bye", false, "Bye"}, // 20
		{"sentiment", Params{"polarity": "positive"}, "What a wonderful, happy day! I love it.", true, "positive"},
		{"sentiment", Params{"polarity": "negative"}, "What a wonderful, happy day! I love it.", false, "asked negative"},
		{"sentiment", Params{"polarity": "negative"}, "This is awful, sad and painful.", true, "negative"},
		{"sentiment", Params{"polarity": "positive"}, "The table has four legs.", false, "neutral"},
		{"topic", Params{"topic": "sports"}, "The team won the football match after the striker scored a goal.", true, "best topic sports"}, // 25
		{"topic", Params{"topic": "food"}, "The team won the football match after the striker scored a goal.", false, "asked food"},
		{"topic", Params{"topic": "food"}, "", false, "best topic none"},
	} {
		v, err := Verify(tc.task, tc.response, tc.params)
		if err != nil {
			t.Errorf("%d: %v", i, err)
			continue
		}
		if v.Satisfied != tc.want || !strings.Contains(v.Reason, tc.reason) {
			t.Errorf("%d: %s%v on %q = %+v, want satisfied=%v and reason containing %q", i, tc.task, tc.params, tc.response, v, tc.want, tc.reason)
		}
	}
}

func TestErrors(t *testing.T) {
	if _, err := Get("nope"); !errors.Is(err, ErrUnknownTask) || !strings.Contains(err.Error(), "word_limit") {
		t.Errorf("Get(nope) = %v, want ErrUnknownTask listing the tasks", err)
	}
	if _, err := Verify("nope", "", nil); !errors.Is(err, ErrUnknownTask) {
		t.Errorf("Verify(nope) = %v", err)
	}
	for i, tc := range []struct {
		task string
		p    Params
	}{
		{"word_limit", Params{}},                        // 0: missing
		{"word_limit", Params{"n": 0}},                  // out of range
		{"word_limit", Params{"n": 2.5}},                // not an integer
		{"word_limit", Params{"n": "ten"}},              // not an integer
		{"word_limit", Params{"n": 5, "extra": 1}},      // unknown parameter
		{"lowercase", Params{"n": 5}},                   // 5: task without parameters
		{"sentiment", Params{"polarity": "neutral"}},    // not a choice
		{"topic", Params{"topic": "cars"}},              // not a choice
		{"include_keyword", Params{"keyword": ""}},      // empty
		{"include_keyword", Params{"keyword": "a.*b"}},  // regex characters
		{"include_keyword", Params{"keyword": " pad"}},  // 10: white space
		{"forbidden_word", Params{"word": 7}},           // not text
		{"end_phrase", Params{"phrase": "two\nlines"}},  // line break
		{"end_phrase", Params{"phrase": "   "}},         // blank
		{"bullet_count", Params{"n": float64(1 << 40)}}, // huge
	} {
		_, err := Verify(tc.task, "x", tc.p)
		if !errors.Is(err, ErrBadParams) {
			t.Errorf("%d: %s%v: err = %v, want ErrBadParams", i, tc.task, tc.p, err)
		}
	}
}

func TestParseParams(t *testing.T) {
	tk, _ := Get("word_limit")
	p, err := tk.ParseParams([]string{"n=40"})
	if err != nil || p.Int("n") != 40 {
		t.Fatalf("ParseParams(n=40) = %v, %v", p, err)
	}
	for i, kv := range [][]string{{"n"}, {"=4"}, {"n=4", "n=5"}, {"m=4"}} {
		if _, err := tk.ParseParams(kv); !errors.Is(err, ErrBadParams) {
			t.Errorf("%d: ParseParams(%q) = %v, want ErrBadParams", i, kv, err)
		}
	}
}

func TestTasksWellFormed(t *testing.T) {
	all := All()
	if len(all) != 9 {
		t.Fatalf("%d tasks, want 9", len(all))
	}
	kinds := map[Kind]int{}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tk := range all {
		kinds[tk.Kind]++
		if len(tk.Phrasings) < 4 {
			t.Errorf("%s: %d phrasings, want >= 4", tk.Name, len(tk.Phrasings))
		}
		if tk.Doc == "" || tk.Mode == "" {
			t.Errorf("%s: missing Doc or Mode", tk.Name)
		}
		for trial := 0; trial < 50; trial++ {
			p, err := tk.Sample(rng, nil)
			if err != nil {
				t.Fatalf("%s: Sample: %v", tk.Name, err)
			}
			for k := range tk.Phrasings {
				ins, err := tk.Instruction(p, k)
				if err != nil || strings.Contains(ins, "{") {
					t.Fatalf("%s: phrasing %d with %v = %q, %v", tk.Name, k, p, ins, err)
				}
			}
		}
	}
	if kinds[Structural] != 4 || kinds[Lexical] != 3 || kinds[Semantic] != 2 {
		t.Errorf("kinds = %v, want 4 structural, 3 lexical, 2 semantic", kinds)
	}
	for _, tp := range topicTask.Params[0].Choices {
		if topicPhrases[tp] == "" {
			t.Errorf("topic %q has no phrase", tp)
		}
	}
}

func TestSampleDeterministicAndSpace(t *testing.T) {
	tk, _ := Get("word_limit")
	draw := func(seed uint64, sp Space) []int {
		rng := rand.New(rand.NewPCG(seed, 0))
		var out []int
		for range 20 {
			p, err := tk.Sample(rng, sp)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, p.Int("n"))
		}
		return out
	}
	a, b := draw(7, nil), draw(7, nil)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, different draws: %v vs %v", a, b)
		}
	}
	for _, n := range draw(7, Space{"n": {Min: 10, Max: 12}}) {
		if n < 10 || n > 12 {
			t.Fatalf("draw %d outside the overriding domain [10, 12]", n)
		}
	}
	if _, err := tk.Sample(rand.New(rand.NewPCG(1, 1)), Space{"n": {Min: 0, Max: 0}}); !errors.Is(err, ErrBadParams) {
		t.Errorf("domain outside the valid range: err = %v", err)
	}
}

func FuzzVerify(f *testing.F) {
	f.Add("* a\n- b\n```json\n{}\n```", "never")
	f.Add("ǅ\u0301 İ ß", "ß")
	f.Fuzz(func(t *testing.T, response, word string) {
		for _, tk := range All() {
			rng := rand.New(rand.NewPCG(3, 4))
			p, err := tk.Sample(rng, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tk.Verify(response, p); err != nil {
				t.Fatal(err)
			}
		}
		// Any word is either rejected as a parameter or verified without panicking.
		_, _ = Verify("forbidden_word", response, Params{"word": word})
		_, _ = Verify("include_keyword", response, Params{"keyword": word})
		_, _ = Verify("end_phrase", response, Params{"phrase": word})
	})
}

func TestBaseRequests(t *testing.T) {
	reqs, err := BaseRequests()
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) < 150 {
		t.Fatalf("%d base requests, want >= 150", len(reqs))
	}
	verbs, texts := map[string]int{}, map[string]bool{}
	for _, r := range reqs {
		verbs[r.Verb]++
		if texts[r.Text] {
			t.Errorf("duplicate text %q", r.Text)
		}
		texts[r.Text] = true
	}
	if len(verbs) < 7 {
		t.Errorf("only %d kinds of request: %v", len(verbs), verbs)
	}
	for i, bad := range []string{`{"id":"a","text":"x"}` + "\n" + `{"id":"a","text":"y"}`, `{"id":"","text":"x"}`, `{`} {
		if _, err := ParseBaseRequests(bad); err == nil {
			t.Errorf("%d: ParseBaseRequests accepted %q", i, bad)
		}
	}
}
