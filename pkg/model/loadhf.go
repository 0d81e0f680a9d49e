package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/ifprobe/ifprobe/internal/limitread"
	"github.com/ifprobe/ifprobe/pkg/checkpoint"
	"github.com/ifprobe/ifprobe/pkg/safetensors"
)

// maxHFConfigBytes bounds config.json and generation_config.json; real ones are a
// few kB.
const maxHFConfigBytes = 4 << 20

// Open loads a model from path, a GGUF file or a Hugging Face checkpoint
// directory (checkpoint.Locate decides which), with its weights kept as opts says.
func Open(backend backends.Backend, path string, opts LoadOptions) (*Model, error) {
	ck, err := checkpoint.Open(path)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	defer ck.Close()
	return FromCheckpoint(backend, ck, opts)
}

// FromCheckpoint loads the model of an opened checkpoint: from its parsed GGUF
// file (as LoadGGUF) or its Hugging Face directory (as LoadHF). The checkpoint
// stays open; the model keeps no reference to it. opts.Weights says which type
// the weights are kept in.
func FromCheckpoint(backend backends.Backend, ck *checkpoint.Checkpoint, opts LoadOptions) (*Model, error) {
	switch ck.Format {
	case checkpoint.FormatGGUF:
		return fromGGUF(backend, ck.GGUF(), ck.Path, opts)
	case checkpoint.FormatHFDir:
		return fromHF(backend, ck, opts)
	}
	return nil, fmt.Errorf("model: %s: format %q is not supported", ck.Path, ck.Format)
}

// LoadHF reads a model from a Hugging Face checkpoint directory: its Config from
// config.json (ConfigFromHF), its stop tokens from generation_config.json's
// eos_token_id when that file has one, and its weights from model.safetensors or
// the shards of model.safetensors.index.json, converted to f32 once (F32, F16 and
// BF16 are accepted; F16 and BF16 convert exactly). Open with LoadOptions keeps
// them in bf16 or f16 instead: a tensor stored in that type is copied from the
// file as it is, never widened. Tensor names are Hugging
// Face's (model.layers.N.self_attn.q_proj.weight, ...), as each family's file
// declares them, also under the language_model prefixes of multimodal Gemma 3
// checkpoints; tensors the model does not use are ignored. Every shape is
// checked against the Config before the tensor's data is read, so a lying header
// fails with an error naming the file and tensor instead of allocating.
//
// When config.json does not say tie_word_embeddings, the unembedding is tied
// exactly when the checkpoint has no lm_head.weight.
func LoadHF(backend backends.Backend, dir string) (*Model, error) {
	ck, err := checkpoint.Location{Format: checkpoint.FormatHFDir, Path: dir}.Open()
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	defer ck.Close()
	return fromHF(backend, ck, LoadOptions{})
}

// fromHF is LoadHF on an opened checkpoint.
func fromHF(backend backends.Backend, hck *checkpoint.Checkpoint, opts LoadOptions) (m *Model, err error) {
	defer recoverTo(&err)
	dir := hck.Dir()
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
	ck, err := hck.Tensors()
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	fam, err := LookupFamily(cfg.Arch)
	if err != nil {
		return nil, err
	}
	names, err := fam.hf.find(ck, dir)
	if err != nil {
		return nil, err
	}
	if hf.TieWordEmbeddings == nil {
		_, hasHead := names.lookup(ck, "output.weight")
		cfg.Tied = !hasHead
	}
	// tensor finds the checkpoint's tensor for s and checks its shape and dtype.
	tensor := func(s weightSpec) (name string, info safetensors.TensorInfo, err error) {
		name, ok := names.lookup(ck, s.Name)
		if !ok {
			return "", info, fmt.Errorf("model: %s: tensor %q: missing (architecture %s)", dir, name, cfg.Arch)
		}
		info, _ = ck.Info(name)
		file := dir
		if f, ok := ck.File(name); ok {
			file = f.Name()
		}
		if !slices.Equal(info.Shape, s.Shape) {
			return "", info, fmt.Errorf("model: %s: tensor %q: shape %v, want %v", file, name, info.Shape, s.Shape)
		}
		switch info.DType {
		case safetensors.F32, safetensors.F16, safetensors.BF16:
		default:
			return "", info, fmt.Errorf("model: %s: tensor %q: dtype %s (supported: F32, F16, BF16)", file, name, info.DType)
		}
		return name, info, nil
	}
	m, err = newModel(backend, cfg, opts, weightSource{
		f32: func(s weightSpec) ([]float32, error) {
			name, _, err := tensor(s)
			if err != nil {
				return nil, err
			}
			w, err := ck.Float32(name, nil)
			if err != nil {
				return nil, fmt.Errorf("model: %w", err)
			}
			return w, nil
		},
		raw: func(s weightSpec, d WeightDType, dst []byte) (bool, error) {
			name, info, err := tensor(s)
			if err != nil || info.DType != d.safetensors() {
				return false, err
			}
			got, err := ck.Raw(name, dst[:0])
			if err != nil {
				return false, fmt.Errorf("model: %w", err)
			}
			if len(got) != len(dst) || &got[0] != &dst[0] {
				return false, fmt.Errorf("model: %s: tensor %q: %d bytes, want %d", dir, name, len(got), len(dst))
			}
			return true, nil
		},
	})
	if err != nil {
		return nil, err
	}
	m.Source = dir
	return m, nil
}

// hfNaming is how a family's Hugging Face checkpoints name their tensors; each
// family's file declares its own.
type hfNaming struct {
	// names maps GGUF names to Hugging Face names after the decoder prefix: a
	// block tensor's name after "blk.N." to its name after "layers.N.", and the
	// other tensors' whole names ("token_embd.weight" -> "embed_tokens.weight").
	names map[string]string
	// prefixes are the places checkpoints put the decoder, tried in order;
	// default "model.".
	prefixes []string
	// heads lists the candidate names of the unembedding by prefix; default
	// "lm_head.weight".
	heads map[string][]string
}

// hfResolved is a family's naming with the prefix one checkpoint uses.
type hfResolved struct {
	*hfNaming
	prefix string
	heads  []string
}

// withNames returns a copy of base with the entries of more added or replaced.
func withNames(base, more map[string]string) map[string]string {
	out := maps.Clone(base)
	maps.Copy(out, more)
	return out
}

// find picks the decoder prefix the checkpoint uses: the first under which it
// has the token embedding.
func (n *hfNaming) find(ck *safetensors.Checkpoint, dir string) (*hfResolved, error) {
	prefixes := n.prefixes
	if len(prefixes) == 0 {
		prefixes = []string{"model."}
	}
	emb := n.names["token_embd.weight"]
	for _, p := range prefixes {
		if _, ok := ck.Info(p + emb); ok {
			heads := n.heads[p]
			if len(heads) == 0 {
				heads = []string{"lm_head.weight"}
			}
			return &hfResolved{hfNaming: n, prefix: p, heads: heads}, nil
		}
	}
	msg := fmt.Sprintf("model: %s: tensor %q: missing", dir, prefixes[0]+emb)
	if len(prefixes) > 1 {
		msg += " (also looked under " + strings.Join(prefixes[1:], ", ") + ")"
	}
	return nil, errors.New(msg)
}

// hfName returns the Hugging Face name of the GGUF tensor name, or the GGUF name
// itself when the family does not name it.
func (n *hfResolved) hfName(gguf string) string {
	if gguf == "output.weight" {
		return n.heads[0]
	}
	if hf, ok := n.names[gguf]; ok {
		return n.prefix + hf
	}
	rest, ok := strings.CutPrefix(gguf, "blk.")
	if !ok {
		return gguf
	}
	layer, suffix, ok := strings.Cut(rest, ".")
	if _, err := strconv.Atoi(layer); !ok || err != nil {
		return gguf
	}
	hf, ok := n.names[suffix]
	if !ok {
		return gguf
	}
	return n.prefix + "layers." + layer + "." + hf
}

// lookup returns the checkpoint's name for a GGUF tensor name and whether the
// checkpoint has it; when it does not, name is the preferred spelling.
func (n *hfResolved) lookup(ck *safetensors.Checkpoint, gguf string) (name string, ok bool) {
	name = n.hfName(gguf)
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
