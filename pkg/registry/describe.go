package registry

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/ifprobe/ifprobe/pkg/gguf"
)

// Info is what a model's own files say about it (for `ifprobe models info`).
// Zero values mean "not stated by the files".
type Info struct {
	Local
	FileSize     int64          `json:"file_size"`    // bytes (GGUF only)
	Architecture string         `json:"architecture"` // general.architecture, or config.json architectures[0]
	ModelName    string         `json:"model_name"`   // general.name
	Basename     string         `json:"basename"`     // general.basename
	Finetune     string         `json:"finetune"`     // general.finetune
	License      string         `json:"license"`      // general.license
	Params       int64          `json:"params"`       // elements of all tensors (GGUF only)
	Layers       int            `json:"layers"`
	DModel       int            `json:"d_model"`
	FFN          int            `json:"d_ffn"`
	Heads        int            `json:"heads"`
	KVHeads      int            `json:"kv_heads"`
	HeadDim      int            `json:"head_dim"`
	Vocab        int            `json:"vocab"`
	Context      int            `json:"context"`
	TensorTypes  map[string]int `json:"tensor_types"` // ggml type -> number of tensors (GGUF only)
	ChatTemplate string         `json:"chat_template"`
}

// Describe reads the model's metadata: the GGUF header, or an HF directory's
// config.json and tokenizer_config.json.
func Describe(l Local) (Info, error) {
	switch l.Format {
	case FormatGGUF:
		return describeGGUF(l)
	case FormatHFDir:
		return describeHF(l)
	}
	return Info{}, fmt.Errorf("registry: %s: unknown format %q", l.Path, l.Format)
}

func describeGGUF(l Local) (Info, error) {
	f, err := gguf.Open(l.Path)
	if err != nil {
		return Info{}, err
	}
	defer f.Close()
	in := Info{Local: l, FileSize: f.Size, Architecture: f.Arch(), TensorTypes: map[string]int{}}
	str := func(k string) string { s, _ := f.String(k); return s }
	num := func(k string) int { u, _ := f.Uint(in.Architecture + "." + k); return int(u) }
	in.ModelName, in.Basename = str("general.name"), str("general.basename")
	in.Finetune, in.License = str("general.finetune"), str("general.license")
	in.ChatTemplate = str("tokenizer.chat_template")
	in.Layers, in.DModel, in.FFN = num("block_count"), num("embedding_length"), num("feed_forward_length")
	in.Heads, in.KVHeads, in.Context = num("attention.head_count"), num("attention.head_count_kv"), num("context_length")
	if in.KVHeads == 0 {
		in.KVHeads = in.Heads // GGUF convention: absent means no grouping
	}
	if in.HeadDim = num("attention.key_length"); in.HeadDim == 0 && in.Heads > 0 {
		in.HeadDim = in.DModel / in.Heads
	}
	if toks, err := f.Strings("tokenizer.ggml.tokens"); err == nil {
		in.Vocab = len(toks)
	} else {
		in.Vocab = num("vocab_size")
	}
	for _, t := range f.Tensors() {
		in.Params += t.Elements()
		in.TensorTypes[t.Type.String()]++
	}
	return in, nil
}

// hfConfig holds the config.json fields Describe reports.
type hfConfig struct {
	Architectures []string  `json:"architectures"`
	ModelType     string    `json:"model_type"`
	Layers        int       `json:"num_hidden_layers"`
	DModel        int       `json:"hidden_size"`
	FFN           int       `json:"intermediate_size"`
	Heads         int       `json:"num_attention_heads"`
	KVHeads       int       `json:"num_key_value_heads"`
	HeadDim       int       `json:"head_dim"`
	Vocab         int       `json:"vocab_size"`
	Context       int       `json:"max_position_embeddings"`
	TextConfig    *hfConfig `json:"text_config"`
}

func describeHF(l Local) (Info, error) {
	in := Info{Local: l}
	var c hfConfig
	if err := readJSON(filepath.Join(l.Path, "config.json"), &c); err != nil {
		return in, err
	}
	if c.TextConfig != nil && c.Layers == 0 { // multimodal wrappers (Gemma 3 4B+)
		arch := c.Architectures
		c = *c.TextConfig
		c.Architectures = arch
	}
	in.Architecture = c.ModelType
	if len(c.Architectures) > 0 {
		in.ModelName = c.Architectures[0]
	}
	in.Layers, in.DModel, in.FFN, in.Heads = c.Layers, c.DModel, c.FFN, c.Heads
	in.KVHeads, in.HeadDim, in.Vocab, in.Context = c.KVHeads, c.HeadDim, c.Vocab, c.Context
	if in.KVHeads == 0 {
		in.KVHeads = in.Heads
	}
	if in.HeadDim == 0 && in.Heads > 0 {
		in.HeadDim = in.DModel / in.Heads
	}
	var tc struct {
		ChatTemplate any `json:"chat_template"`
	}
	if err := readJSON(filepath.Join(l.Path, "tokenizer_config.json"), &tc); err == nil {
		switch t := tc.ChatTemplate.(type) {
		case string:
			in.ChatTemplate = t
		case []any: // a list of named templates: report the default one
			for _, x := range t {
				if m, ok := x.(map[string]any); ok && m["name"] == "default" {
					in.ChatTemplate, _ = m["template"].(string)
				}
			}
		}
	}
	if b, err := os.ReadFile(filepath.Join(l.Path, "chat_template.jinja")); err == nil && in.ChatTemplate == "" {
		in.ChatTemplate = string(b)
	}
	return in, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("registry: %s: %w", path, err)
	}
	return nil
}

// SortedTypes returns the tensor types of in.TensorTypes sorted by name, each with
// its count, for display.
func (in Info) SortedTypes() []string {
	var out []string
	for t, n := range in.TensorTypes {
		out = append(out, fmt.Sprintf("%s×%d", t, n))
	}
	sort.Strings(out)
	return out
}
