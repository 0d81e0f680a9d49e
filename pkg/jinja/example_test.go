package jinja_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ifprobe/ifprobe/pkg/jinja"
)

// Whitespace control as in chat templates: "-" strips, trim_blocks drops the
// newline after a block tag. (Output checked against jinja2 3.1.6.)
func ExampleTemplate_Render() {
	src := `{% for m in messages %}
<{{ m.role }}> {{ m.content | trim }}
{% endfor %}
{%- if add_generation_prompt %}<assistant>{% endif %}`
	t, err := jinja.Parse("example", src, jinja.HFOptions)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := t.Render(context.Background(), map[string]any{
		"messages": []any{
			map[string]any{"role": "system", "content": "Be brief. "},
			map[string]any{"role": "user", "content": " Hi!"},
		},
		"add_generation_prompt": true,
	}, jinja.RenderOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q\n", out)
	// Output:
	// "<system> Be brief.\n<user> Hi!\n<assistant>"
}

// A template that loops forever is stopped by the sandbox.
func ExampleLimits() {
	t, _ := jinja.Parse("hostile", "{% for i in range(10**9) %}{{ i }}{% endfor %}", jinja.HFOptions)
	_, err := t.Render(context.Background(), nil, jinja.RenderOptions{
		Limits: jinja.Limits{MaxLoopIterations: 1000, Timeout: time.Second},
	})
	fmt.Println(err)
	// Output:
	// jinja: template "hostile" line 1: range() of 1000000000 items exceeds the loop budget of 1000
}

// strftime_now reads an injected clock, so prompts with today's date are reproducible.
func ExampleRenderOptions() {
	t, _ := jinja.Parse("date", "Today Date: {{ strftime_now('%d %b %Y') }}", jinja.HFOptions)
	out, _ := t.Render(context.Background(), nil, jinja.RenderOptions{
		Now: func() time.Time { return time.Date(2024, 7, 26, 12, 0, 0, 0, time.UTC) },
	})
	fmt.Println(out)
	// Output:
	// Today Date: 26 Jul 2024
}
