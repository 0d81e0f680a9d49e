package lm

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/backends"
	"github.com/ifprobe/ifprobe/pkg/chat"
	"github.com/ifprobe/ifprobe/pkg/checkpoint"
	"github.com/ifprobe/ifprobe/pkg/compute"
	"github.com/ifprobe/ifprobe/pkg/model"
	"github.com/ifprobe/ifprobe/pkg/registry"
	"github.com/ifprobe/ifprobe/pkg/tokenizer"
)

// Options configures Load.
type Options struct {
	// Backend runs the model; nil means compute.Default().
	Backend backends.Backend
	// Devices is how many of the backend's devices the model generates on at once
	// (model.Model.OnDevices); 0 or 1 means one. compute.Devices.Count resolves a
	// --devices flag to it.
	Devices int
	// Weights is the type the model's weights are kept in (model.LoadOptions);
	// "" means f32.
	Weights model.WeightDType
}

// LM is a loaded model with its tokenizer and chat template.
type LM struct {
	Name      string           // registry name, or the file / directory base name
	Path      string           // the GGUF file or the Hugging Face directory
	Format    registry.Format  // registry.FormatGGUF or registry.FormatHFDir
	SHA256    string           // from the registry entry, when known
	Model     *model.Model     // weights and forward/generation
	Tokenizer *tokenizer.Model // the model's own tokenizer
	Template  *chat.Template   // nil when the model ships no chat template
}

// Load resolves nameOrPath through the registry (a registry name, a GGUF file, or
// a Hugging Face model directory) and loads everything.
func Load(nameOrPath string, opts Options) (*LM, error) {
	loc, err := registry.Resolve(nameOrPath)
	if err != nil {
		return nil, fmt.Errorf("lm: %w", err)
	}
	b := opts.Backend
	if b == nil {
		if b, _, err = compute.Default(); err != nil {
			return nil, fmt.Errorf("lm: %w", err)
		}
	}
	out := &LM{Name: loc.Name, Path: loc.Path, Format: loc.Format}
	if loc.Entry != nil {
		out.SHA256 = loc.Entry.SHA256
	}
	ck, err := loc.Open()
	if err != nil {
		return nil, fmt.Errorf("lm: %w", err)
	}
	defer ck.Close()
	if err := out.load(b, ck, model.LoadOptions{Weights: opts.Weights}); err != nil {
		return nil, fmt.Errorf("lm: %w", err)
	}
	if opts.Devices > 1 {
		if out.Model, err = out.Model.OnDevices(opts.Devices); err != nil {
			return nil, fmt.Errorf("lm: %s: %w", out.Path, err)
		}
	}
	return out, nil
}

// load reads the tokenizer, the chat template and the weights from one opened
// checkpoint (a GGUF file is parsed once, by loc.Open). A Hugging Face
// directory's tokenizer may not have more tokens than the model's vocabulary.
func (m *LM) load(b backends.Backend, ck *checkpoint.Checkpoint, mo model.LoadOptions) error {
	var err error
	if m.Tokenizer, err = tokenizer.FromCheckpoint(ck); err != nil {
		return fmt.Errorf("%s: %w", m.Path, err)
	}
	if m.Template, err = chat.FromCheckpoint(ck); err != nil && !errors.Is(err, chat.ErrNoTemplate) {
		if ck.Format == checkpoint.FormatGGUF {
			err = fmt.Errorf("%s: %w", m.Path, err)
		}
		return err
	}
	if m.Model, err = model.FromCheckpoint(b, ck, mo); err != nil {
		return err
	}
	if tv, mv := m.Tokenizer.VocabSize(), m.Model.Config.VocabSize; ck.Format == checkpoint.FormatHFDir && tv > mv {
		return fmt.Errorf("%s: tokenizer.json has %d tokens, more than the model's vocab_size %d", m.Path, tv, mv)
	}
	return nil
}

// TemplateFile is the chat template file transformers 5.x writes beside
// tokenizer_config.json (which then has no chat_template).
const TemplateFile = chat.TemplateFile

// OpenTemplate reads the chat template of a model: a GGUF file's
// tokenizer.chat_template, or a Hugging Face directory's chat_template.jinja, else
// its tokenizer_config.json's chat_template (chat.Open). A model without one gives
// an error wrapping chat.ErrNoTemplate.
func OpenTemplate(path string) (*chat.Template, error) {
	t, err := chat.Open(path)
	if err != nil {
		return nil, fmt.Errorf("lm: %w", err)
	}
	return t, nil
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

// Stop returns the token ids that end a response: the tokenizer's
// end-of-generation ids together with the model's stop ids (GGUF metadata, or
// generation_config.json's eos_token_id for a Hugging Face directory), sorted.
func (m *LM) Stop() []int {
	stop := append(slices.Clone(m.Tokenizer.Special().EOG), m.Model.Config.Stop...)
	slices.Sort(stop)
	return slices.Compact(stop)
}
