package jinja

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzRender: any template source parses or fails with ErrSyntax, and renders
// within the limits; no panic escapes and no internal error is hidden behind
// the renderer's recover. Seeds: the 68 real chat templates, the feature
// snippets, and testdata/fuzz/FuzzRender.
func FuzzRender(f *testing.F) {
	files, _ := filepath.Glob("testdata/templates/*.jinja")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add(string(b))
		}
	}
	if data, err := os.ReadFile("testdata/snippets.jsonl"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if i := strings.Index(line, `"template": "`); i >= 0 {
				f.Add(line[i:]) // not the exact template; still a useful seed
			}
		}
	}
	vars := map[string]any{
		"messages": []any{
			map[string]any{"role": "system", "content": "sys"},
			map[string]any{"role": "user", "content": "hi"},
			map[string]any{"role": "assistant", "content": "yo", "tool_calls": []any{map[string]any{"type": "function", "function": map[string]any{"name": "f", "arguments": map[string]any{"a": 1}}}}},
		},
		"tools":                 nil,
		"add_generation_prompt": true,
		"bos_token":             "<s>",
		"eos_token":             "</s>",
	}
	lim := Limits{MaxSteps: 20_000, MaxOutputBytes: 1 << 16, MaxDepth: 16, MaxLoopIterations: 5_000, Timeout: 2 * time.Second}
	f.Fuzz(func(t *testing.T, src string) {
		tmpl, err := Parse("fuzz", src, HFOptions)
		if err != nil {
			var je *Error
			if !errors.Is(err, ErrSyntax) || !errors.As(err, &je) || strings.HasPrefix(je.Msg, "internal error") {
				t.Fatalf("parser bug: %v", err)
			}
			return
		}
		out, err := tmpl.Render(context.Background(), vars, RenderOptions{Limits: lim, Now: fixedNow})
		if err != nil {
			var je *Error
			if !errors.As(err, &je) {
				t.Fatalf("error is not *Error: %v", err)
			}
			if strings.HasPrefix(je.Msg, "internal error") {
				t.Fatalf("renderer bug: %v", err)
			}
			return
		}
		if len(out) > lim.MaxOutputBytes {
			t.Fatalf("output of %d bytes exceeds the limit", len(out))
		}
	})
}
