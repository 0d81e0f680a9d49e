package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ifprobe/ifprobe/internal/limitread"
	"github.com/ifprobe/ifprobe/pkg/checkpoint"
	"github.com/ifprobe/ifprobe/pkg/gguf"
	"github.com/ifprobe/ifprobe/pkg/jinja"
	"github.com/ifprobe/ifprobe/pkg/tokenizer"
)

// Message is one turn of a conversation, in the shape HF chat templates read.
type Message struct {
	Role       string     `json:"role"`                   // "system", "user", "assistant", "tool"
	Content    string     `json:"content"`                // the text
	Name       string     `json:"name,omitempty"`         // tool name, for role "tool"
	ToolCallID string     `json:"tool_call_id,omitempty"` // for role "tool"
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`   // for role "assistant"
}

// ToolCall is a function call made by the assistant.
type ToolCall struct {
	ID       string       `json:"id,omitempty"`
	Type     string       `json:"type"` // "function"
	Function FunctionCall `json:"function"`
}

// FunctionCall names the function and its arguments: a JSON object (most
// templates) or a JSON string.
type FunctionCall struct {
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
}

// Options are the variables apply_chat_template passes besides the messages.
type Options struct {
	// AddGenerationPrompt ends the prompt with the header of an assistant turn.
	AddGenerationPrompt bool
	// BOS and EOS are the model's bos_token and eos_token texts.
	BOS, EOS string
	// Tools are JSON schemas of the available tools (nil: none).
	Tools []json.RawMessage
	// Now is the clock of strftime_now (templates that print today's date);
	// nil means time.Now.
	Now func() time.Time
	// Extra are further template variables (e.g. "enable_thinking": false).
	Extra map[string]any
	// Limits bound the rendering (zero: jinja.DefaultLimits).
	Limits jinja.Limits
}

// Errors.
var (
	// ErrNoTemplate: the model ships no chat template.
	ErrNoTemplate = errors.New("chat: model has no chat template")
)

// Template is a model's parsed chat template.
type Template struct {
	src  string
	tmpl *jinja.Template
}

// Parse parses a chat template with the options transformers uses
// (trim_blocks, lstrip_blocks). name is used in error messages.
func Parse(name, src string) (*Template, error) {
	t, err := jinja.Parse(name, src, jinja.HFOptions)
	if err != nil {
		return nil, fmt.Errorf("chat: %w", err)
	}
	return &Template{src: src, tmpl: t}, nil
}

// Source returns the template text.
func (t *Template) Source() string { return t.src }

// FromGGUF reads tokenizer.chat_template from a GGUF file.
func FromGGUF(f *gguf.File) (*Template, error) {
	if _, ok := f.Meta("tokenizer.chat_template"); !ok {
		return nil, fmt.Errorf("%w: %s has no tokenizer.chat_template", ErrNoTemplate, filepath.Base(f.Path()))
	}
	src, err := f.String("tokenizer.chat_template")
	if err != nil {
		return nil, fmt.Errorf("chat: %w", err)
	}
	return Parse(filepath.Base(f.Path())+":tokenizer.chat_template", src)
}

// Open reads the chat template of a model: a GGUF file or a Hugging Face
// directory (checkpoint.Locate decides which; see FromCheckpoint).
func Open(path string) (*Template, error) {
	ck, err := checkpoint.Open(path)
	if err != nil {
		return nil, fmt.Errorf("chat: %w", err)
	}
	defer ck.Close()
	return FromCheckpoint(ck)
}

// FromCheckpoint reads the chat template of an opened checkpoint: a GGUF file's
// tokenizer.chat_template (FromGGUF), or a Hugging Face directory's (FromDir). A
// model without one gives an error wrapping ErrNoTemplate.
func FromCheckpoint(ck *checkpoint.Checkpoint) (*Template, error) {
	if f := ck.GGUF(); f != nil {
		return FromGGUF(f)
	}
	return FromDir(ck.Dir())
}

// TemplateFile is the chat template file transformers 5 writes beside
// tokenizer_config.json (which then has no chat_template).
const TemplateFile = "chat_template.jinja"

// maxTemplateBytes bounds chat_template.jinja; real templates are a few kB.
const maxTemplateBytes = 1 << 20

// FromDir reads the chat template of a Hugging Face model directory:
// chat_template.jinja, else tokenizer_config.json's chat_template (as
// transformers' from_pretrained looks). Neither gives an error wrapping
// ErrNoTemplate.
func FromDir(dir string) (*Template, error) {
	jinjaPath := filepath.Join(dir, TemplateFile)
	src, err := limitread.File(jinjaPath, maxTemplateBytes)
	if errors.Is(err, os.ErrNotExist) {
		t, err := FromTokenizerConfig(filepath.Join(dir, "tokenizer_config.json"))
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s has neither %s nor tokenizer_config.json", ErrNoTemplate, dir, TemplateFile)
		}
		return t, err
	}
	if err != nil {
		return nil, fmt.Errorf("chat: %w", err)
	}
	return Parse(jinjaPath, string(src))
}

// maxConfigBytes bounds tokenizer_config.json (real ones are well under 1 MB
// without the vocabulary; some embed added tokens).
const maxConfigBytes = 64 << 20

// FromTokenizerConfig reads "chat_template" from a Hugging Face
// tokenizer_config.json: a string, or a list of {"name", "template"} where
// the one named "default" is used.
func FromTokenizerConfig(path string) (*Template, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("chat: %w", err)
	}
	if st.Size() > maxConfigBytes {
		return nil, fmt.Errorf("chat: %s: %d bytes is more than the %d a tokenizer_config.json may have", path, st.Size(), maxConfigBytes)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("chat: %w", err)
	}
	var cfg struct {
		ChatTemplate json.RawMessage `json:"chat_template"`
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("chat: %s: %w", path, err)
	}
	name := filepath.Base(path) + ":chat_template"
	if len(cfg.ChatTemplate) == 0 || string(cfg.ChatTemplate) == "null" {
		return nil, fmt.Errorf("%w: %s has no chat_template", ErrNoTemplate, path)
	}
	var s string
	if err := json.Unmarshal(cfg.ChatTemplate, &s); err == nil {
		return Parse(name, s)
	}
	var named []struct{ Name, Template string }
	if err := json.Unmarshal(cfg.ChatTemplate, &named); err != nil {
		return nil, fmt.Errorf("chat: %s: chat_template is neither a string nor a list of {name, template}: %w", path, err)
	}
	for _, n := range named {
		if n.Name == "default" {
			return Parse(name+"[default]", n.Template)
		}
	}
	return nil, fmt.Errorf("%w: %s has named chat templates but none called \"default\"", ErrNoTemplate, path)
}

// Render renders msgs with the template, as transformers'
// apply_chat_template(msgs, tools=..., add_generation_prompt=..., tokenize=False)
// does with the tokenizer's bos_token and eos_token.
func (t *Template) Render(ctx context.Context, msgs []Message, opts Options) (string, error) {
	vars, err := Vars(msgs, opts)
	if err != nil {
		return "", err
	}
	out, err := t.tmpl.Render(ctx, vars, jinja.RenderOptions{Limits: opts.Limits, Now: opts.Now})
	if err != nil {
		return "", fmt.Errorf("chat: %w", err)
	}
	return out, nil
}

// Render parses template and renders msgs (see Template.Render).
func Render(template string, msgs []Message, opts Options) (string, error) {
	t, err := Parse("chat_template", template)
	if err != nil {
		return "", err
	}
	return t.Render(context.Background(), msgs, opts)
}

// Vars returns the template variables for msgs: messages, tools, documents,
// add_generation_prompt, bos_token, eos_token, and opts.Extra.
func Vars(msgs []Message, opts Options) (map[string]any, error) {
	list := make([]any, len(msgs))
	for i, m := range msgs {
		d, err := messageValue(m)
		if err != nil {
			return nil, fmt.Errorf("chat: message %d: %w", i, err)
		}
		list[i] = d
	}
	var tools any // None when absent, as in transformers
	if opts.Tools != nil {
		tl := make([]any, len(opts.Tools))
		for i, raw := range opts.Tools {
			v, err := jinja.FromJSON(raw)
			if err != nil {
				return nil, fmt.Errorf("chat: tool %d: %w", i, err)
			}
			tl[i] = v
		}
		tools = tl
	}
	vars := map[string]any{
		"messages":              list,
		"tools":                 tools,
		"documents":             nil,
		"add_generation_prompt": opts.AddGenerationPrompt,
		"bos_token":             opts.BOS,
		"eos_token":             opts.EOS,
	}
	for k, v := range opts.Extra {
		vars[k] = v
	}
	return vars, nil
}

// messageValue builds the dict a template sees. Only fields that are set are
// present, so "message.tool_calls is defined" means what templates expect.
func messageValue(m Message) (*jinja.Dict, error) {
	d := jinja.NewDict()
	d.Set("role", m.Role)
	if m.Name != "" {
		d.Set("name", m.Name)
	}
	if m.ToolCallID != "" {
		d.Set("tool_call_id", m.ToolCallID)
	}
	d.Set("content", m.Content)
	if len(m.ToolCalls) > 0 {
		calls := make([]any, len(m.ToolCalls))
		for i, c := range m.ToolCalls {
			cd := jinja.NewDict()
			if c.ID != "" {
				cd.Set("id", c.ID)
			}
			cd.Set("type", c.Type)
			fd := jinja.NewDict()
			fd.Set("name", c.Function.Name)
			var args any = jinja.NewDict()
			if len(c.Function.Arguments) > 0 {
				v, err := jinja.FromJSON(c.Function.Arguments)
				if err != nil {
					return nil, fmt.Errorf("tool call %d arguments: %w", i, err)
				}
				args = v
			}
			fd.Set("arguments", args)
			cd.Set("function", fd)
			calls[i] = cd
		}
		d.Set("tool_calls", calls)
	}
	return d, nil
}

// Prompt renders msgs and tokenizes the result as transformers'
// apply_chat_template(..., tokenize=True) does: special tokens written by the
// template are parsed and nothing is added (the template writes any BOS).
// Empty opts.BOS / opts.EOS are filled from tok's special tokens.
func (t *Template) Prompt(ctx context.Context, tok tokenizer.Tokenizer, msgs []Message, opts Options) (string, []int, error) {
	sp := tok.Special()
	if opts.BOS == "" && sp.BOS != tokenizer.NoToken {
		opts.BOS = tok.Piece(sp.BOS)
	}
	if opts.EOS == "" && sp.EOS != tokenizer.NoToken {
		opts.EOS = tok.Piece(sp.EOS)
	}
	text, err := t.Render(ctx, msgs, opts)
	if err != nil {
		return "", nil, err
	}
	ids, err := tok.Encode(text, tokenizer.EncodeOptions{})
	if err != nil {
		return "", nil, fmt.Errorf("chat: %w", err)
	}
	return text, ids, nil
}
