package capture

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestReadPrompts(t *testing.T) {
	ps, err := readPrompts("p.jsonl", strings.NewReader(`{"id": "a", "prompt": "Say hi.", "task": "lowercase", "label": 1, "base_id": "b0"}

{"id": "b", "prompt": "Say bye."}
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || !reflect.DeepEqual(ps[0], Prompt{ID: "a", Text: "Say hi.", Task: "lowercase", Label: 1, BaseID: "b0"}) ||
		ps[1].Label != -1 || ps[1].Text != "Say bye." {
		t.Fatalf("got %+v", ps)
	}
	for _, tc := range []struct{ in, want string }{
		{`{"prompt": "x"}`, `p.jsonl:1: field "id": missing or empty`},
		{`{"id": "a", "prompt": ""}`, `p.jsonl:1: field "prompt": missing or empty`},
		{"{\"id\": \"a\", \"prompt\": \"x\"}\n{\"id\": \"a\", \"prompt\": \"y\"}", `p.jsonl:2: field "id": "a" already used on line 1`},
		{`{"id": "a", "prompt": "x", "lable": 1}`, `p.jsonl:1: json: unknown field "lable"`},
		{`{"id": "a", "prompt": "x", "label": 2}`, `p.jsonl:1: field "label": 2, want 0, 1 or -1`},
		{`{"id": 3, "prompt": "x"}`, `p.jsonl:1: json: cannot unmarshal number`},
		{`{"id": "a", "prompt": "x"} {}`, `p.jsonl:1: more than one JSON value`},
		{"\n\n", `p.jsonl: no prompts`},
		{`{"id": "a", "prompt": "` + strings.Repeat("x", MaxPromptLine) + `"}`, `p.jsonl:1: line longer than`},
	} {
		_, err := readPrompts("p.jsonl", strings.NewReader(tc.in))
		if !errors.Is(err, ErrBadPrompts) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%.40q: got %v, want %q", tc.in, err, tc.want)
		}
	}
	if _, err := ReadPrompts("/nonexistent/p.jsonl"); err == nil || !strings.Contains(err.Error(), "/nonexistent/p.jsonl") {
		t.Errorf("missing file: %v", err)
	}
}
