package tokenizer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ifprobe/ifprobe/pkg/checkpoint"
	"github.com/ifprobe/ifprobe/pkg/gguf"
)

// FromGGUF builds the tokenizer described by a GGUF file's tokenizer.ggml.*
// metadata: "gpt2" (byte-level BPE, with tokenizer.ggml.pre naming the
// pre-tokenizer) or "llama" (SentencePiece BPE with scores and byte fallback).
func FromGGUF(f *gguf.File) (*Model, error) {
	v := &vocab{source: filepath.Base(f.Path()), bos: NoToken, eos: NoToken, eot: NoToken, unk: NoToken, pad: NoToken, eom: NoToken}
	model, err := f.String("tokenizer.ggml.model")
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %v: %w", v.source, err, ErrInvalid)
	}
	switch model {
	case "gpt2":
		v.kind = ByteLevelBPE
		if v.pre, err = f.String("tokenizer.ggml.pre"); err != nil {
			v.pre = "default"
		}
	case "llama":
		v.kind = SentencePieceBPE
	default:
		return nil, v.errorf(ErrUnsupported, "tokenizer.ggml.model %q (supported: gpt2, llama)", model)
	}
	if v.tokens, err = f.Strings("tokenizer.ggml.tokens"); err != nil {
		return nil, v.errorf(ErrInvalid, "%v", err)
	}
	if types, err := f.Int32s("tokenizer.ggml.token_type"); err == nil {
		v.types = make([]TokenType, len(types))
		for i, t := range types {
			v.types[i] = TokenType(t)
		}
	} else if !isMissing(f, "tokenizer.ggml.token_type") {
		return nil, v.errorf(ErrInvalid, "%v", err)
	}
	if v.kind == SentencePieceBPE {
		if v.scores, err = f.Float32s("tokenizer.ggml.scores"); err != nil {
			return nil, v.errorf(ErrInvalid, "%v", err)
		}
	} else {
		if v.merges, err = f.Strings("tokenizer.ggml.merges"); err != nil {
			return nil, v.errorf(ErrInvalid, "%v", err)
		}
	}
	for key, dst := range map[string]*int{
		"tokenizer.ggml.bos_token_id": &v.bos, "tokenizer.ggml.eos_token_id": &v.eos,
		"tokenizer.ggml.eot_token_id": &v.eot, "tokenizer.ggml.unknown_token_id": &v.unk,
		"tokenizer.ggml.padding_token_id": &v.pad, "tokenizer.ggml.eom_token_id": &v.eom,
	} {
		if isMissing(f, key) {
			continue
		}
		id, err := f.Uint(key)
		if err != nil {
			return nil, v.errorf(ErrInvalid, "%v", err)
		}
		if id >= uint64(len(v.tokens)) {
			return nil, v.errorf(ErrInvalid, "%s = %d is outside the vocabulary of %d tokens", key, id, len(v.tokens))
		}
		*dst = int(id)
	}
	for key, dst := range map[string][2]*bool{
		"tokenizer.ggml.add_bos_token":    {&v.addBOS, &v.addBOSSet},
		"tokenizer.ggml.add_eos_token":    {&v.addEOS, &v.addEOSSet},
		"tokenizer.ggml.add_space_prefix": {&v.addSpace, &v.addSpaceSet},
	} {
		if isMissing(f, key) {
			continue
		}
		b, err := f.Bool(key)
		if err != nil {
			return nil, v.errorf(ErrInvalid, "%v", err)
		}
		*dst[0], *dst[1] = b, true
	}
	return newModel(v)
}

// OpenGGUF opens a GGUF file and builds its tokenizer.
func OpenGGUF(path string) (*Model, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	defer f.Close()
	return FromGGUF(f)
}

func isMissing(f *gguf.File, key string) bool {
	_, ok := f.Meta(key)
	return !ok
}

// Open loads the tokenizer of a model: a GGUF file or a Hugging Face model
// directory (checkpoint.Locate decides which; see FromCheckpoint).
func Open(path string) (*Model, error) {
	ck, err := checkpoint.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	defer ck.Close()
	return FromCheckpoint(ck)
}

// FromCheckpoint builds the tokenizer of an opened checkpoint: a GGUF file's
// tokenizer.ggml.* metadata (FromGGUF), or a Hugging Face directory's
// tokenizer.json (with tokenizer_config.json; byte-level BPE or
// SentencePiece-style BPE with byte fallback, as Gemma's), else, or when
// tokenizer.json describes a tokenizer not implemented here, its SentencePiece
// tokenizer.model.
func FromCheckpoint(ck *checkpoint.Checkpoint) (*Model, error) {
	if f := ck.GGUF(); f != nil {
		return FromGGUF(f)
	}
	dir := ck.Dir()
	spPath := filepath.Join(dir, "tokenizer.model")
	_, spErr := os.Stat(spPath)
	m, err := FromHFJSON(filepath.Join(dir, "tokenizer.json"))
	if err != nil && spErr == nil && (errors.Is(err, ErrUnsupported) || errors.Is(err, os.ErrNotExist)) {
		return FromSentencePiece(spPath)
	}
	return m, err
}
