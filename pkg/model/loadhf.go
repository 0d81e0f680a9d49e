package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/ifprobe/ifprobe/internal/limitread"
	"github.com/ifprobe/ifprobe/pkg/safetensors"
)

// maxHFConfigBytes bounds config.json and generation_config.json; real ones are a
// few kB.
const maxHFConfigBytes = 4 << 20

// Open loads a model from path: a Hugging Face checkpoint directory (LoadHF) or a
// GGUF file (LoadGGUF).
func Open(backend backends.Backend, path string) (*Model, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if st.IsDir() {
		return LoadHF(backend, path)
	}
	return LoadGGUF(backend, path)
}

// LoadHF reads a model from a Hugging Face checkpoint directory: its Config from
// config.json (ConfigFromHF), its stop tokens from generation_config.json's
// eos_token_id when that file has one, and its weights from model.safetensors or
// the shards of model.safetensors.index.json, converted to f32 once (F32, F16 and
// BF16 are accepted; F16 and BF16 convert exactly). Tensor names are Hugging
// Face's (model.layers.N.self_attn.q_proj.weight, ...), also under the
// language_model prefixes of multimodal Gemma 3 checkpoints; tensors the model
// does not use are ignored. Every shape is checked against the Config before the
// tensor's data is read, so a lying header fails with an error naming the file
// and tensor instead of allocating.
//
// When config.json does not say tie_word_embeddings, the unembedding is tied
// exactly when the checkpoint has no lm_head.weight.
func LoadHF(backend backends.Backend, dir string) (m *Model, err error) {
	defer recoverTo(&err)
	cfgPath := filepath.Join(dir, "config.json")
	data, err := readBounded(cfgPath)
	if err != nil {
		return nil, err
	}
	cfg, hf, err := configFromHF(data)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, cfgPath)
	}
	if stop, err := generationStop(filepath.Join(dir, "generation_config.json"), cfg.VocabSize); err != nil {
		return nil, err
	} else if stop != nil {
		cfg.Stop = stop
	}
	ck, err := safetensors.OpenCheckpoint(dir)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	defer ck.Close()
	names, err := newHFNames(ck, dir)
	if err != nil {
		return nil, err
	}
	if hf.TieWordEmbeddings == nil {
		_, hasHead := names.lookup(ck, "output.weight", cfg.PostNorms)
		cfg.Tied = !hasHead
	}
	m, err = newModel(backend, cfg, func(s weightSpec) ([]float32, error) {
		name, ok := names.lookup(ck, s.Name, cfg.PostNorms)
		if !ok {
			return nil, fmt.Errorf("model: %s: tensor %q: missing (architecture %s)", dir, name, cfg.Arch)
		}
		info, _ := ck.Info(name)
		file := dir
		if f, ok := ck.File(name); ok {
			file = f.Name()
		}
		if !slices.Equal(info.Shape, s.Shape) {
			return nil, fmt.Errorf("model: %s: tensor %q: shape %v, want %v", file, name, info.Shape, s.Shape)
		}
		switch info.DType {
		case safetensors.F32, safetensors.F16, safetensors.BF16:
		default:
			return nil, fmt.Errorf("model: %s: tensor %q: dtype %s (supported: F32, F16, BF16)", file, name, info.DType)
		}
		w, err := ck.Float32(name, nil)
		if err != nil {
			return nil, fmt.Errorf("model: %w", err)
		}
		return w, nil
	})
	if err != nil {
		return nil, err
	}
	m.Source = dir
	return m, nil
}

// hfNames maps the GGUF names of layoutFor to a checkpoint's Hugging Face names.
type hfNames struct {
	prefix string   // before "embed_tokens.weight", "layers.N...", "norm.weight"
	heads  []string // candidate names of the unembedding
}

// hfPrefixes are the places checkpoints put the decoder: text-only models, then
// the two spellings of multimodal Gemma 3 (transformers 4.5x and 5.x).
var hfPrefixes = []string{"model.", "model.language_model.", "language_model.model."}

func newHFNames(ck *safetensors.Checkpoint, dir string) (*hfNames, error) {
	for _, p := range hfPrefixes {
		if _, ok := ck.Info(p + "embed_tokens.weight"); ok {
			n := &hfNames{prefix: p, heads: []string{"lm_head.weight"}}
			if p == "language_model.model." {
				n.heads = append(n.heads, "language_model.lm_head.weight")
			}
			return n, nil
		}
	}
	return nil, fmt.Errorf("model: %s: tensor \"model.embed_tokens.weight\": missing (also looked under %s)", dir, strings.Join(hfPrefixes[1:], ", "))
}

// hfBlockNames maps the GGUF name of a block tensor (after "blk.N.") to Hugging
// Face's (after "layers.N."). ffn_norm is missing: see blockName.
var hfBlockNames = map[string]string{
	"attn_norm.weight":           "input_layernorm.weight",
	"attn_q.weight":              "self_attn.q_proj.weight",
	"attn_k.weight":              "self_attn.k_proj.weight",
	"attn_v.weight":              "self_attn.v_proj.weight",
	"attn_q.bias":                "self_attn.q_proj.bias",
	"attn_k.bias":                "self_attn.k_proj.bias",
	"attn_v.bias":                "self_attn.v_proj.bias",
	"attn_q_norm.weight":         "self_attn.q_norm.weight",
	"attn_k_norm.weight":         "self_attn.k_norm.weight",
	"attn_output.weight":         "self_attn.o_proj.weight",
	"post_attention_norm.weight": "post_attention_layernorm.weight",
	"ffn_gate.weight":            "mlp.gate_proj.weight",
	"ffn_up.weight":              "mlp.up_proj.weight",
	"ffn_down.weight":            "mlp.down_proj.weight",
	"post_ffw_norm.weight":       "post_feedforward_layernorm.weight",
}

// hfName returns the Hugging Face name of the GGUF tensor name. The MLP's pre-norm
// is called post_attention_layernorm in Llama and Qwen2 (it follows the attention)
// but pre_feedforward_layernorm in Gemma 2/3, whose post_attention_layernorm is the
// norm of the attention output (postNorms).
func (n *hfNames) hfName(gguf string, postNorms bool) string {
	switch gguf {
	case "token_embd.weight":
		return n.prefix + "embed_tokens.weight"
	case "output_norm.weight":
		return n.prefix + "norm.weight"
	case "output.weight":
		return n.heads[0]
	}
	rest, ok := strings.CutPrefix(gguf, "blk.")
	if !ok {
		return gguf
	}
	layer, suffix, ok := strings.Cut(rest, ".")
	if _, err := strconv.Atoi(layer); !ok || err != nil {
		return gguf
	}
	hf, ok := hfBlockNames[suffix]
	if suffix == "ffn_norm.weight" {
		hf, ok = "post_attention_layernorm.weight", true
		if postNorms {
			hf = "pre_feedforward_layernorm.weight"
		}
	}
	if !ok {
		return gguf
	}
	return n.prefix + "layers." + layer + "." + hf
}

// lookup returns the checkpoint's name for a GGUF tensor name and whether the
// checkpoint has it; when it does not, name is the preferred spelling.
func (n *hfNames) lookup(ck *safetensors.Checkpoint, gguf string, postNorms bool) (name string, ok bool) {
	name = n.hfName(gguf, postNorms)
	if gguf == "output.weight" {
		for _, h := range n.heads {
			if _, ok := ck.Info(h); ok {
				return h, true
			}
		}
		return name, false
	}
	_, ok = ck.Info(name)
	return name, ok
}

// generationStop reads eos_token_id (an id or a list) from generation_config.json;
// nil when the file or the key is absent.
func generationStop(path string, vocab int) ([]int, error) {
	data, err := readBounded(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var g struct {
		EOS json.RawMessage `json:"eos_token_id"`
	}
	if err := json.Unmarshal(data, &g); err != nil {
		return nil, fmt.Errorf("model: %s: %w", path, err)
	}
	if len(g.EOS) == 0 || string(g.EOS) == "null" {
		return nil, nil
	}
	ids := jsonInts(g.EOS)
	if ids == nil {
		return nil, fmt.Errorf("model: %s: eos_token_id %s: want an id or a list of ids", path, g.EOS)
	}
	for _, id := range ids {
		if id < 0 || id >= vocab {
			return nil, fmt.Errorf("model: %s: eos_token_id %d: outside the vocabulary [0, %d)", path, id, vocab)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// readBounded reads a small JSON file, refusing one larger than maxHFConfigBytes.
func readBounded(path string) ([]byte, error) {
	data, err := limitread.File(path, maxHFConfigBytes)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	return data, nil
}
