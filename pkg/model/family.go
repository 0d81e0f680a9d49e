package model

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// Family declares how one architecture differs from the common decoder: how its
// Config is read from GGUF metadata or a Hugging Face config.json, how its GGUF
// weights must be converted at load, and what its Hugging Face checkpoints call
// their tensors. Each family lives in its own file (llama.go, qwen2.go,
// gemma2.go, gemma3.go) and registers itself by its architecture string.
type Family struct {
	// Arch is the architecture string: GGUF general.architecture, and the
	// model_type of Hugging Face config.json.
	Arch string
	// PermutedQK is true when llama.cpp's converter permuted the rows of the q and k
	// projections for its interleaved rotary pairing; the loader undoes it so that
	// one (Hugging Face, rotate-half) RoPE serves every family.
	PermutedQK bool
	// HFModelTypes are the config.json model_type values that mean this family;
	// default Arch alone.
	HFModelTypes []string
	// hf names the family's tensors in Hugging Face checkpoints.
	hf hfNaming
	// fromGGUF sets the family's fields on a Config already holding the common ones.
	fromGGUF func(md Metadata, c *Config) error
	// fromHF sets the family's fields from a parsed config.json.
	fromHF func(hf hfConfig, c *Config) error
}

var families = map[string]*Family{}

func registerFamily(f *Family) { families[f.Arch] = f }

// ErrUnknownArch is returned (wrapped) for an architecture no family implements.
var ErrUnknownArch = errors.New("model: unknown architecture")

// lookupHFModelType returns the family whose HFModelTypes hold a config.json
// model_type.
func lookupHFModelType(modelType string) (*Family, error) {
	for _, f := range families {
		if slices.Contains(f.HFModelTypes, modelType) {
			return f, nil
		}
	}
	return LookupFamily(modelType)
}

// LookupFamily returns the family registered for arch.
func LookupFamily(arch string) (*Family, error) {
	if f, ok := families[arch]; ok {
		return f, nil
	}
	return nil, fmt.Errorf("%w %q (supported: %s)", ErrUnknownArch, arch, strings.Join(Architectures(), ", "))
}

// Architectures lists the supported architecture strings, sorted.
func Architectures() []string {
	out := make([]string, 0, len(families))
	for a := range families {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// Metadata is the part of a GGUF file (*gguf.File) that configs are read from.
type Metadata interface {
	Arch() string
	Uint(key string) (uint64, error)
	Float(key string) (float64, error)
	Strings(key string) ([]string, error)
}

// ConfigFromGGUF reads a Config from GGUF metadata (keys "<arch>.block_count", ...)
// and validates it. vocabSize comes from the token embedding's shape.
func ConfigFromGGUF(md Metadata, vocabSize int) (Config, error) {
	arch := md.Arch()
	fam, err := LookupFamily(arch)
	if err != nil {
		return Config{}, err
	}
	c := Config{Arch: arch, VocabSize: vocabSize, BOS: -1}
	r := metaReader{md: md, prefix: arch + "."}
	c.DModel = r.int("embedding_length", true)
	c.NLayers = r.int("block_count", true)
	c.NHeads = r.int("attention.head_count", true)
	c.NKVHeads = r.int("attention.head_count_kv", false)
	c.HeadDim = r.int("attention.key_length", false)
	c.FFDim = r.int("feed_forward_length", true)
	c.RMSEps = r.float("attention.layer_norm_rms_epsilon", false)
	c.RopeBase = r.float("rope.freq_base", false)
	c.ContextLength = r.int("context_length", false)
	if v := r.int("attention.value_length", false); v != 0 && c.HeadDim != 0 && v != c.HeadDim {
		r.fail("attention.value_length", fmt.Errorf("%d differs from key_length %d (unsupported)", v, c.HeadDim))
	}
	if rd := r.int("rope.dimension_count", false); rd != 0 {
		hd := c.HeadDim
		if hd == 0 && c.NHeads > 0 {
			hd = c.DModel / c.NHeads
		}
		if rd != hd {
			r.fail("rope.dimension_count", fmt.Errorf("%d differs from head dim %d (partial rotary is unsupported)", rd, hd))
		}
	}
	if r.err != nil {
		return Config{}, r.err
	}
	c.BOS, c.Stop = specialTokens(md)
	if err := fam.fromGGUF(md, &c); err != nil {
		return Config{}, err
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("model: config from GGUF (%s): %w", arch, err)
	}
	return c, nil
}

// stopTokenNames are end-of-turn tokens of common chat templates; generation stops
// on them when the vocabulary has them.
var stopTokenNames = []string{"<|im_end|>", "<end_of_turn>", "<|eot_id|>", "<|end|>", "<|endoftext|>", "<eos>"}

// specialTokens reads BOS and the stop tokens (EOS, EOT and known end-of-turn tokens).
func specialTokens(md Metadata) (bos int, stop []int) {
	bos = -1
	if v, err := md.Uint("tokenizer.ggml.bos_token_id"); err == nil && v < maxDim {
		bos = int(v)
	}
	seen := map[int]bool{}
	add := func(id int) {
		if !seen[id] {
			seen[id] = true
			stop = append(stop, id)
		}
	}
	for _, k := range []string{"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id"} {
		if v, err := md.Uint(k); err == nil && v < maxDim {
			add(int(v))
		}
	}
	if toks, err := md.Strings("tokenizer.ggml.tokens"); err == nil {
		want := map[string]bool{}
		for _, n := range stopTokenNames {
			want[n] = true
		}
		for id, t := range toks {
			if want[t] {
				add(id)
			}
		}
	}
	sort.Ints(stop)
	return bos, stop
}

// metaReader reads "<arch>.<key>" values, keeping the first error.
type metaReader struct {
	md     Metadata
	prefix string
	err    error
}

func (r *metaReader) fail(key string, err error) {
	if r.err == nil {
		r.err = fmt.Errorf("model: GGUF metadata %q: %w", r.prefix+key, err)
	}
}

func (r *metaReader) has(key string) bool {
	_, err := r.md.Float(r.prefix + key)
	if err == nil {
		return true
	}
	_, err = r.md.Uint(r.prefix + key)
	return err == nil
}

func (r *metaReader) int(key string, required bool) int {
	v, err := r.md.Uint(r.prefix + key)
	if err != nil {
		if required || r.has(key) {
			r.fail(key, err)
		}
		return 0
	}
	if v > maxDim*16 {
		r.fail(key, fmt.Errorf("%d is implausibly large", v))
		return 0
	}
	return int(v)
}

func (r *metaReader) float(key string, required bool) float64 {
	v, err := r.md.Float(r.prefix + key)
	if err != nil {
		if u, uerr := r.md.Uint(r.prefix + key); uerr == nil {
			return float64(u)
		}
		if required {
			r.fail(key, err)
		}
		return 0
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		r.fail(key, fmt.Errorf("%g is not finite", v))
		return 0
	}
	return v
}
