package jinja

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fixedNow is the clock of the reference renderings (scripts/fixtures/chat/gen.py NOW).
var fixedNow = func() time.Time { return time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC) }

type hfCase struct {
	Template string          `json:"template"`
	Case     string          `json:"case"`
	Vars     json.RawMessage `json:"vars"`
	Output   *string         `json:"output"`
	Error    string          `json:"error"`
	Message  string          `json:"message"`
}

func loadHFCases(t testing.TB) []hfCase {
	t.Helper()
	f, err := os.Open("testdata/hf_render.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []hfCase
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var c hfCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

func varsOf(t testing.TB, raw json.RawMessage) map[string]any {
	v, err := FromJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	d := v.(*Dict)
	vars := map[string]any{}
	for _, k := range d.Keys() {
		vars[k.(string)], _ = d.Get(k)
	}
	return vars
}

// TestHFReference renders llama.cpp's collection of real chat templates with
// several conversations and compares with jinja2 3.1.6 in the environment
// transformers 4.57.1 uses (pkg/jinja/testdata/hf_render.jsonl, made by
// scripts/fixtures/chat/gen.py). Outputs must be byte-identical; where Python
// raised, we must raise too (raise_exception: same message).
func TestHFReference(t *testing.T) {
	cases := loadHFCases(t)
	parsed := map[string]*Template{}
	for _, c := range cases {
		t.Run(c.Template+"/"+c.Case, func(t *testing.T) {
			tmpl, ok := parsed[c.Template]
			if !ok {
				src, err := os.ReadFile(filepath.Join("testdata", "templates", c.Template))
				if err != nil {
					t.Fatal(err)
				}
				tmpl, err = Parse(c.Template, string(src), HFOptions)
				if err != nil {
					t.Fatalf("parse: %v", err)
				}
				parsed[c.Template] = tmpl
			}
			got, err := tmpl.Render(context.Background(), varsOf(t, c.Vars), RenderOptions{Now: fixedNow})
			switch {
			case c.Output != nil:
				if err != nil {
					t.Fatalf("render: %v", err)
				}
				if got != *c.Output {
					t.Errorf("output differs from jinja2\n got: %q\nwant: %q", got, *c.Output)
				}
			case c.Error == "raise":
				if !errors.Is(err, ErrRaised) {
					t.Fatalf("want raise_exception(%q), got output %q, err %v", c.Message, got, err)
				}
				var je *Error
				if errors.As(err, &je) && je.Msg != c.Message {
					t.Errorf("raise_exception message %q, want %q", je.Msg, c.Message)
				}
			default:
				if err == nil {
					t.Fatalf("jinja2 failed with %s: %s; we rendered %q", c.Error, c.Message, got)
				}
			}
		})
	}
}
