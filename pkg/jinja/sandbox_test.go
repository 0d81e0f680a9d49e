package jinja

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func render(t *testing.T, src string, vars map[string]any, lim Limits) (string, error) {
	t.Helper()
	tmpl, err := Parse("t", src, HFOptions)
	if err != nil {
		return "", err
	}
	return tmpl.Render(context.Background(), vars, RenderOptions{Limits: lim})
}

// TestSandboxLimits: hostile templates stop with ErrLimit, quickly and
// without allocating beyond the limits.
func TestSandboxLimits(t *testing.T) {
	small := Limits{MaxSteps: 100_000, MaxOutputBytes: 1 << 16, MaxDepth: 16, MaxLoopIterations: 10_000, Timeout: 5 * time.Second}
	for i, src := range []string{
		"{% for i in range(100000000) %}x{% endfor %}",                                 // 0: huge range
		"{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}", // 1: nested loops
		"{{ 'x' * 100000000 }}", // 2: string repeat
		"{% set ns = namespace(s='xx') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}", // 3: doubling
		"{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",                                           // 4: unbounded recursion
		"{% for i in range(5000) %}{{ 'abcdefghijklmnopqrstuvwxyz' }}{% endfor %}",                         // 5: output size
		"{{ [1] * 100000000 }}", // 6: list repeat
		"{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = ns.l + ns.l %}{% endfor %}", // 7: list doubling
	} {
		start := time.Now()
		_, err := render(t, src, nil, small)
		if !errors.Is(err, ErrLimit) {
			t.Errorf("%d: want ErrLimit, got %v", i, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%d: took %v", i, d)
		}
	}
}

// TestSandboxDeadline: a cancelled context stops rendering.
func TestSandboxDeadline(t *testing.T) {
	tmpl, err := Parse("t", "{% for i in range(1000000) %}{{ i }}{% endfor %}", HFOptions)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = tmpl.Render(ctx, nil, RenderOptions{})
	if !errors.Is(err, ErrLimit) {
		t.Fatalf("want ErrLimit, got %v", err)
	}
}

// TestSandboxRefusals: no template loading, no mutation of caller data.
func TestSandboxRefusals(t *testing.T) {
	for i, tc := range []struct {
		src  string
		want error
	}{
		{"{% include 'other.jinja' %}", ErrSyntax},              // 0
		{"{% import 'macros.jinja' as m %}", ErrSyntax},         // 1
		{"{% extends 'base.jinja' %}", ErrSyntax},               // 2
		{"{% from 'x' import y %}", ErrSyntax},                  // 3
		{"{{ messages.append(1) }}", ErrSandbox},                // 4
		{"{{ d.update({'a': 2}) }}", ErrSandbox},                // 5
		{"{% set d.a = 2 %}", ErrSandbox},                       // 6: only namespaces take attributes
		{"{{ messages.pop() }}", ErrSandbox},                    // 7
		{"{{ nope.attr }}", ErrUndefined},                       // 8
		{"{{ nope() }}", ErrUndefined},                          // 9
		{"{% for x in 3 %}{% endfor %}", ErrRender},             // 10
		{"{{ 1 / 0 }}", ErrRender},                              // 11
		{"{{ raise_exception('stop here') }}", ErrRaised},       // 12
		{"{% if x %}", ErrSyntax},                               // 13: unclosed block
		{"{{ 1 + }}", ErrSyntax},                                // 14
		{"{{ 'unterminated }}", ErrSyntax},                      // 15
		{"{{ x | nosuchfilter }}", ErrRender},                   // 16
		{"{% for x in [1] recursive %}{% endfor %}", ErrSyntax}, // 17
	} {
		vars := map[string]any{"messages": []any{"m"}, "d": map[string]any{"a": 1}}
		_, err := render(t, tc.src, vars, Limits{})
		if !errors.Is(err, tc.want) {
			t.Errorf("%d %q: want %v, got %v", i, tc.src, tc.want, err)
		}
		var je *Error
		if !errors.As(err, &je) || je.Template != "t" || je.Line < 1 {
			t.Errorf("%d: error %v does not name the template and line", i, err)
		}
	}
}

// TestErrorLine: errors carry the line where the failing tag starts.
func TestErrorLine(t *testing.T) {
	_, err := render(t, "line 1\nline 2\n{{ raise_exception('boom') }}\n", nil, Limits{})
	var je *Error
	if !errors.As(err, &je) || je.Line != 3 || !strings.Contains(err.Error(), `template "t" line 3: boom`) {
		t.Fatalf("got %v", err)
	}
	_, err = render(t, "a\n{% if true %}\n{% for %}\n{% endif %}", nil, Limits{})
	if !errors.As(err, &je) || je.Line != 3 {
		t.Fatalf("got %v", err)
	}
}

// TestDeepNesting: deeply nested input is refused at parse time, not by a
// stack overflow.
func TestDeepNesting(t *testing.T) {
	for i, src := range []string{
		"{{ " + strings.Repeat("(", 10000) + "1" + strings.Repeat(")", 10000) + " }}",
		"{{ " + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + " }}",
		strings.Repeat("{% if true %}", 10000) + strings.Repeat("{% endif %}", 10000),
		"{{ " + strings.Repeat("not ", 10000) + "x }}",
		"{{ " + strings.Repeat("-", 10000) + "1 }}",
	} {
		_, err := Parse("t", src, HFOptions)
		if !errors.Is(err, ErrSyntax) {
			t.Errorf("%d: want ErrSyntax, got %v", i, err)
		}
	}
}

// TestCallerDataUnchanged: rendering never modifies the variables passed in.
func TestCallerDataUnchanged(t *testing.T) {
	msgs := []any{map[string]any{"role": "user", "content": "hi"}}
	_, err := render(t, "{% set ns = namespace(x=messages) %}{% set ns.x = [] %}{{ messages|length }}", map[string]any{"messages": msgs}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].(map[string]any)["content"] != "hi" {
		t.Fatal("caller data changed")
	}
}

// TestStrftimeNow: the clock is injected.
func TestStrftimeNow(t *testing.T) {
	tmpl, err := Parse("t", "{{ strftime_now('%d %b %Y') }}", HFOptions)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tmpl.Render(context.Background(), nil, RenderOptions{Now: func() time.Time { return time.Date(2024, 7, 26, 0, 0, 0, 0, time.UTC) }})
	if err != nil || got != "26 Jul 2024" {
		t.Fatalf("got %q, %v", got, err)
	}
}

// TestGlobals: Go functions can be offered to templates.
func TestGlobals(t *testing.T) {
	tmpl, err := Parse("t", "{{ twice(21) }}", HFOptions)
	if err != nil {
		t.Fatal(err)
	}
	twice := Func(func(args []any, _ map[string]any) (any, error) { return args[0].(int64) * 2, nil })
	got, err := tmpl.Render(context.Background(), nil, RenderOptions{Globals: map[string]any{"twice": twice}})
	if err != nil || got != "42" {
		t.Fatalf("got %q, %v", got, err)
	}
}
