package jinja

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

type snippet struct {
	Name     string          `json:"name"`
	Template string          `json:"template"`
	Vars     json.RawMessage `json:"vars"`
	Output   *string         `json:"output"`
	Error    string          `json:"error"`
	Message  string          `json:"message"`
}

// TestSnippets: one small template per feature (whitespace control, loops,
// scoping, macros, operators, Python formatting of values, filters, tests,
// string methods, markup), expected output from jinja2 3.1.6 in transformers'
// chat-template environment (testdata/snippets.jsonl, scripts/fixtures/chat/gen.py).
func TestSnippets(t *testing.T) {
	data, err := os.ReadFile("testdata/snippets.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var s snippet
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Fatal(err)
		}
		t.Run(s.Name, func(t *testing.T) {
			tmpl, err := Parse(s.Name, s.Template, HFOptions)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			got, err := tmpl.Render(context.Background(), varsOf(t, s.Vars), RenderOptions{Now: fixedNow})
			switch {
			case s.Output != nil:
				if err != nil {
					t.Fatalf("render: %v", err)
				}
				if got != *s.Output {
					t.Errorf("\n got %q\nwant %q", got, *s.Output)
				}
			case s.Error == "raise":
				var je *Error
				if !errors.As(err, &je) || !errors.Is(err, ErrRaised) || je.Msg != s.Message {
					t.Errorf("want raise_exception(%q), got %v", s.Message, err)
				}
			default:
				if err == nil {
					t.Errorf("jinja2 failed (%s: %s), we rendered %q", s.Error, s.Message, got)
				}
			}
		})
	}
}
