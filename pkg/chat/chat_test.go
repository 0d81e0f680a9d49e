package chat

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ifprobe/ifprobe/pkg/gguf"
	"github.com/ifprobe/ifprobe/pkg/jinja"
	"github.com/ifprobe/ifprobe/pkg/registry/registrytest"
	"github.com/ifprobe/ifprobe/pkg/tokenizer"
)

// fixedNow is the clock of the reference renderings (scripts/fixtures/chat/gen.py NOW).
var fixedNow = func() time.Time { return time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC) }

func readJSONL(t *testing.T, path string, each func(line []byte)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		each(sc.Bytes())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

type renderCase struct {
	Template string `json:"template"`
	Case     string `json:"case"`
	Vars     struct {
		Messages            []Message         `json:"messages"`
		Tools               []json.RawMessage `json:"tools"`
		AddGenerationPrompt bool              `json:"add_generation_prompt"`
		BOS                 string            `json:"bos_token"`
		EOS                 string            `json:"eos_token"`
	} `json:"vars"`
	Output *string `json:"output"`
	Error  string  `json:"error"`
}

// TestTemplateCollection renders llama.cpp's collection of 68 real model chat
// templates through Message values and compares with transformers 4.57.1 +
// jinja2 3.1.6 (the fixture pkg/jinja tests too; here the Message → template
// value conversion is under test).
func TestTemplateCollection(t *testing.T) {
	dir := filepath.Join("..", "jinja", "testdata")
	parsed := map[string]*Template{}
	n := 0
	readJSONL(t, filepath.Join(dir, "hf_render.jsonl"), func(line []byte) {
		var c renderCase
		if err := json.Unmarshal(line, &c); err != nil {
			t.Fatal(err)
		}
		if c.Output == nil {
			return // error cases are pkg/jinja's concern
		}
		tmpl, ok := parsed[c.Template]
		if !ok {
			src, err := os.ReadFile(filepath.Join(dir, "templates", c.Template))
			if err != nil {
				t.Fatal(err)
			}
			if tmpl, err = Parse(c.Template, string(src)); err != nil {
				t.Fatal(err)
			}
			parsed[c.Template] = tmpl
		}
		got, err := tmpl.Render(context.Background(), c.Vars.Messages, Options{
			AddGenerationPrompt: c.Vars.AddGenerationPrompt, BOS: c.Vars.BOS, EOS: c.Vars.EOS,
			Tools: c.Vars.Tools, Now: fixedNow})
		if err != nil {
			t.Errorf("%s/%s: %v", c.Template, c.Case, err)
			return
		}
		if got != *c.Output {
			t.Errorf("%s/%s: differs from transformers\n got %q\nwant %q", c.Template, c.Case, got, *c.Output)
		}
		n++
	})
	if n < 400 {
		t.Fatalf("only %d renderings compared", n)
	}
}

type modelRow struct {
	Model               string            `json:"model"`
	Case                string            `json:"case"`
	Messages            []Message         `json:"messages"`
	Tools               []json.RawMessage `json:"tools"`
	AddGenerationPrompt bool              `json:"add_generation_prompt"`
	BOS                 string            `json:"bos_token"`
	EOS                 string            `json:"eos_token"`
	Output              *string           `json:"output"`
	Error               string            `json:"error"`
	Message             string            `json:"message"`
	Template            *string           `json:"template"`
}

func modelRows(t *testing.T) (templates map[string]*string, cases map[string][]modelRow) {
	templates, cases = map[string]*string{}, map[string][]modelRow{}
	readJSONL(t, "testdata/models.jsonl", func(line []byte) {
		var r modelRow
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatal(err)
		}
		if r.Case == "" {
			templates[r.Model] = r.Template
		} else {
			cases[r.Model] = append(cases[r.Model], r)
		}
	})
	return templates, cases
}

// TestDefaultModelRendering renders each default model's own template (as
// stored in testdata/models.jsonl, copied from its GGUF) and compares with
// transformers' apply_chat_template on the GGUF-loaded tokenizer.
func TestDefaultModelRendering(t *testing.T) {
	templates, cases := modelRows(t)
	if len(templates) != 2 {
		t.Fatalf("want the 2 default models in models.jsonl, got %d", len(templates))
	}
	for model, src := range templates {
		if src == nil {
			continue // no template in this model (see TestDefaultModelTemplatesFromGGUF)
		}
		tmpl, err := Parse(model, *src)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases[model] {
			got, err := tmpl.Render(context.Background(), c.Messages, Options{
				AddGenerationPrompt: c.AddGenerationPrompt, BOS: c.BOS, EOS: c.EOS, Tools: c.Tools, Now: fixedNow})
			switch {
			case c.Output != nil && err != nil:
				t.Errorf("%s/%s: %v", model, c.Case, err)
			case c.Output != nil && got != *c.Output:
				t.Errorf("%s/%s:\n got %q\nwant %q", model, c.Case, got, *c.Output)
			case c.Output == nil && err == nil:
				t.Errorf("%s/%s: transformers failed (%s: %s), we rendered %q", model, c.Case, c.Error, c.Message, got)
			}
		}
	}
}

// TestDefaultModelTemplatesFromGGUF reads the template from the installed
// default models: SmolLM2's equals the fixture's; the Gemma 3 270M GGUF (the
// pretrained model, not -it) has none, which FromGGUF reports as ErrNoTemplate.
func TestDefaultModelTemplatesFromGGUF(t *testing.T) {
	templates, _ := modelRows(t)
	for model, want := range templates {
		t.Run(model, func(t *testing.T) {
			f, err := gguf.Open(registrytest.Model(t, model))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			tmpl, err := FromGGUF(f)
			if want == nil {
				if !errors.Is(err, ErrNoTemplate) {
					t.Fatalf("want ErrNoTemplate, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tmpl.Source() != *want {
				t.Fatalf("template from GGUF differs from the fixture's")
			}
		})
	}
}

func TestFromTokenizerConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for i, tc := range []struct {
		body    string
		want    string
		wantErr error
	}{
		{`{"chat_template": "{{ messages[0].content }}!"}`, "hi!", nil},                                                                    // 0
		{`{"chat_template": [{"name": "tool_use", "template": "x"}, {"name": "default", "template": "{{ messages|length }}"}]}`, "1", nil}, // 1
		{`{"chat_template": [{"name": "tool_use", "template": "x"}]}`, "", ErrNoTemplate},                                                  // 2
		{`{"bos_token": "<s>"}`, "", ErrNoTemplate},                                                                                        // 3
	} {
		tmpl, err := FromTokenizerConfig(write("tokenizer_config.json", tc.body))
		if tc.wantErr != nil {
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("%d: want %v, got %v", i, tc.wantErr, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		got, err := tmpl.Render(context.Background(), []Message{{Role: "user", Content: "hi"}}, Options{})
		if err != nil || got != tc.want {
			t.Errorf("%d: got %q, %v; want %q", i, got, err, tc.want)
		}
	}
	if _, err := FromTokenizerConfig(write("bad.json", `{"chat_template": 3}`)); err == nil {
		t.Error("a numeric chat_template must be an error")
	}
}

// TestRaiseException: a template's raise_exception surfaces as jinja.ErrRaised
// with the template's message.
func TestRaiseException(t *testing.T) {
	src := `{% if messages[0].role != 'user' %}{{ raise_exception('Conversation must start with a user message') }}{% endif %}ok`
	_, err := Render(src, []Message{{Role: "assistant", Content: "x"}}, Options{})
	var je *jinja.Error
	if !errors.Is(err, jinja.ErrRaised) || !errors.As(err, &je) || je.Msg != "Conversation must start with a user message" {
		t.Fatalf("got %v", err)
	}
}

// TestPromptSmolLM2: the real model's template and tokenizer give the prompt
// ids: the rendered text (equal to transformers', TestDefaultModelRendering)
// tokenized with its special tokens as single ids.
func TestPromptSmolLM2(t *testing.T) {
	path := registrytest.Model(t, "smollm2-135m-instruct")
	tmpl, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	text, ids, err := tmpl.Prompt(context.Background(), tok, []Message{{Role: "user", Content: "Hi"}}, Options{AddGenerationPrompt: true})
	if err != nil {
		t.Fatal(err)
	}
	imStart, _ := tok.ID("<|im_start|>")
	imEnd, _ := tok.ID("<|im_end|>")
	if ids[0] != imStart || tok.Decode(ids) != text {
		t.Fatalf("ids %v do not start with <|im_start|> (%d) or do not decode to %q", ids, imStart, text)
	}
	count := 0
	for _, id := range ids {
		if id == imEnd {
			count++
		}
	}
	if count != 2 { // default system turn + user turn
		t.Fatalf("want 2 <|im_end|> ids in %v", ids)
	}
}

// TestFromDir: a Hugging Face directory's chat_template.jinja wins over
// tokenizer_config.json's chat_template (transformers 5 writes the former);
// without it the latter is used; with neither the error wraps ErrNoTemplate.
func TestFromDir(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	render := func() string {
		t.Helper()
		tmpl, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		s, err := tmpl.Render(context.Background(), []Message{{Role: "user", Content: "hi"}}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if _, err := FromDir(dir); !errors.Is(err, ErrNoTemplate) || !strings.Contains(err.Error(), TemplateFile) {
		t.Errorf("empty directory: %v", err)
	}
	write("tokenizer_config.json", `{"chat_template": "config: {{ messages[0].content }}"}`)
	if got := render(); got != "config: hi" {
		t.Errorf("tokenizer_config.json only: %q", got)
	}
	write(TemplateFile, "jinja: {{ messages[0].content }}")
	if got := render(); got != "jinja: hi" {
		t.Errorf("with %s: %q", TemplateFile, got)
	}
	write(TemplateFile, "{% for %}")
	if _, err := FromDir(dir); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, TemplateFile)) {
		t.Errorf("a broken %s must be an error naming it: %v", TemplateFile, err)
	}
	write(TemplateFile, strings.Repeat("x", maxTemplateBytes+1))
	if _, err := FromDir(dir); err == nil || errors.Is(err, ErrNoTemplate) {
		t.Errorf("an oversized %s must be an error: %v", TemplateFile, err)
	}
}
