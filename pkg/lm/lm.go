package lm

import (
	"context"
	"errors"
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/ifprobe/ifprobe/pkg/chat"
	"github.com/ifprobe/ifprobe/pkg/compute"
	"github.com/ifprobe/ifprobe/pkg/gguf"
	"github.com/ifprobe/ifprobe/pkg/model"
	"github.com/ifprobe/ifprobe/pkg/registry"
	"github.com/ifprobe/ifprobe/pkg/tokenizer"
)

// Options configures Load.
type Options struct {
	// Backend runs the model; nil means compute.Default().
	Backend backends.Backend
}

// LM is a loaded model with its tokenizer and chat template.
type LM struct {
	Name      string           // registry name or file base name
	Path      string           // the GGUF file
	SHA256    string           // from the registry entry, when known
	Model     *model.Model     // weights and forward/generation
	Tokenizer *tokenizer.Model // the model's own tokenizer
	Template  *chat.Template   // nil when the model ships no chat template
}

// Load resolves nameOrPath through the registry and loads everything.
func Load(nameOrPath string, opts Options) (*LM, error) {
	loc, err := registry.Resolve(nameOrPath)
	if err != nil {
		return nil, fmt.Errorf("lm: %w", err)
	}
	if loc.Format != registry.FormatGGUF {
		return nil, fmt.Errorf("lm: %s: %s models are not supported yet; use a GGUF file", loc.Path, loc.Format)
	}
	b := opts.Backend
	if b == nil {
		if b, _, err = compute.Default(); err != nil {
			return nil, fmt.Errorf("lm: %w", err)
		}
	}
	out := &LM{Name: loc.Name, Path: loc.Path}
	if loc.Entry != nil {
		out.SHA256 = loc.Entry.SHA256
	}
	f, err := gguf.Open(loc.Path)
	if err != nil {
		return nil, fmt.Errorf("lm: %w", err)
	}
	defer f.Close()
	if out.Tokenizer, err = tokenizer.FromGGUF(f); err != nil {
		return nil, fmt.Errorf("lm: %s: %w", loc.Path, err)
	}
	if out.Template, err = chat.FromGGUF(f); err != nil && !errors.Is(err, chat.ErrNoTemplate) {
		return nil, fmt.Errorf("lm: %s: %w", loc.Path, err)
	}
	if out.Model, err = model.LoadGGUF(b, loc.Path); err != nil {
		return nil, fmt.Errorf("lm: %w", err)
	}
	return out, nil
}

// RenderChat renders msgs with the model's chat template and the assistant header
// (add_generation_prompt), or returns the last message's text when the model has no
// template.
func (m *LM) RenderChat(ctx context.Context, msgs []chat.Message) (string, error) {
	s, _, err := m.prompt(ctx, msgs)
	return s, err
}

// EncodeChat renders msgs (RenderChat) and tokenizes the result.
func (m *LM) EncodeChat(ctx context.Context, msgs []chat.Message) ([]int, error) {
	_, ids, err := m.prompt(ctx, msgs)
	return ids, err
}

func (m *LM) prompt(ctx context.Context, msgs []chat.Message) (string, []int, error) {
	if len(msgs) == 0 {
		return "", nil, fmt.Errorf("lm: no messages")
	}
	if m.Template == nil {
		// No template: the raw text, with the BOS the model's metadata asks for.
		text := msgs[len(msgs)-1].Content
		ids, err := m.Tokenizer.Encode(text, tokenizer.EncodeOptions{AddSpecial: true})
		if err != nil {
			return "", nil, fmt.Errorf("lm: %s: %w", m.Name, err)
		}
		return text, ids, nil
	}
	text, ids, err := m.Template.Prompt(ctx, m.Tokenizer, msgs, chat.Options{AddGenerationPrompt: true})
	if err != nil {
		return "", nil, fmt.Errorf("lm: %s: chat template: %w", m.Name, err)
	}
	return text, ids, nil
}

// Stop returns the token ids that end a response: the tokenizer's end-of-generation
// ids, or the model config's when the tokenizer lists none.
func (m *LM) Stop() []int {
	if eog := m.Tokenizer.Special().EOG; len(eog) > 0 {
		return eog
	}
	return m.Model.Config.Stop
}
