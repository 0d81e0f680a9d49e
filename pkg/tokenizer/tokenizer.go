package tokenizer

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Tokenizer turns text into token ids and back.
type Tokenizer interface {
	// Encode tokenizes text. It never fails on valid UTF-8; invalid bytes are
	// encoded as byte tokens (byte-level BPE, SentencePiece byte fallback).
	Encode(text string, opts EncodeOptions) ([]int, error)
	// Decode returns the text of ids, special tokens included as their text.
	// Ids outside the vocabulary decode to nothing.
	Decode(ids []int) string
	// Piece returns the vocabulary entry of id as stored ("Ġthe", "▁the",
	// "<0x0A>", "<|im_start|>"), or "" for an id outside the vocabulary.
	Piece(id int) string
	// VocabSize is the number of token ids.
	VocabSize() int
	// Special returns the special token ids.
	Special() SpecialTokens
}

// EncodeOptions control Encode. The zero value parses special tokens and adds
// nothing: right for text that already went through a chat template.
type EncodeOptions struct {
	// AddSpecial adds BOS (and EOS) where the model's metadata asks for it
	// (SpecialTokens.AddBOS / AddEOS), like llama.cpp's add_special and HF's
	// add_special_tokens.
	AddSpecial bool
	// SpecialAsText treats control tokens written in the text ("<|im_start|>")
	// as plain text instead of matching them. User-defined added tokens are
	// still matched, as in llama.cpp and HF tokenizers.
	SpecialAsText bool
}

// NoToken marks a special token the model does not have.
const NoToken = -1

// SpecialTokens are the ids with a role; NoToken where absent.
type SpecialTokens struct {
	BOS, EOS, EOT, UNK, PAD int
	// EOG are all ids that end generation (EOS, EOT, and end-of-message ids).
	EOG []int
	// AddBOS and AddEOS say whether Encode with AddSpecial adds them.
	AddBOS, AddEOS bool
}

// IsEOG reports whether id ends generation.
func (s SpecialTokens) IsEOG(id int) bool {
	for _, e := range s.EOG {
		if e == id {
			return true
		}
	}
	return false
}

// Kind is the tokenization algorithm.
type Kind string

const (
	// ByteLevelBPE is GPT-2 style BPE over bytes mapped to printable
	// characters, with merge ranks (tokenizer.ggml.model "gpt2").
	ByteLevelBPE Kind = "byte-level-bpe"
	// SentencePieceBPE is SentencePiece BPE: '▁' for spaces, merges by
	// score, byte fallback tokens <0xNN> (tokenizer.ggml.model "llama").
	SentencePieceBPE Kind = "sentencepiece-bpe"
	// ByteFallbackBPE is BPE over Unicode characters with merge ranks and
	// <0xNN> byte fallback, behind a normalizer that writes spaces as '▁':
	// how HF tokenizers runs the tokenizer.json of SentencePiece models
	// (Gemma 2 and 3, Llama 2, Mistral).
	ByteFallbackBPE Kind = "byte-fallback-bpe"
)

// TokenType is a vocabulary entry's type, as in GGUF tokenizer.ggml.token_type.
type TokenType int32

// Token types (llama.cpp's llama_token_type).
const (
	TypeUndefined   TokenType = 0
	TypeNormal      TokenType = 1
	TypeUnknown     TokenType = 2
	TypeControl     TokenType = 3
	TypeUserDefined TokenType = 4
	TypeUnused      TokenType = 5
	TypeByte        TokenType = 6
)

// Errors. Every error from this package wraps one of them.
var (
	// ErrInvalid means the tokenizer description (GGUF metadata, tokenizer.json)
	// is missing, inconsistent or hostile.
	ErrInvalid = errors.New("invalid tokenizer description")
	// ErrUnsupported means a valid description of a tokenizer this package does
	// not implement (model or pre-tokenizer type).
	ErrUnsupported = errors.New("unsupported tokenizer")
)

// Model is a loaded tokenizer. It is safe for concurrent use (its only
// mutable state is a word cache behind a mutex).
type Model struct {
	kind   Kind
	pre    string   // pre-tokenizer name (tokenizer.ggml.pre)
	split  splitter // nil for SentencePiece
	tokens []string
	types  []TokenType
	scores []float32
	toID   map[string]int
	ranks  map[[2]string]int // byte-level BPE merge ranks
	// ignoreMerges: a pre-tokenized word that is itself a token is emitted
	// whole (llama.cpp's ignore_merges, Llama 3).
	ignoreMerges   bool
	addSpacePrefix bool // SentencePiece: prepend ' ' to text after BOS/start
	nfc            bool // normalize raw text to NFC first (tokenizer.json "normalizer": NFC)
	special        SpecialTokens
	specials       []int // matchable added tokens, longest text first
	trie           *specialTrie
	cacheMu        sync.Mutex
	cache          map[string][]int // byte-level word -> ids
	byteTok        [256]int
	hf             *hfPipeline // ByteFallbackBPE: tokenizer.json's normalizer, pre-tokenizer, added tokens, decoder
}

// Kind returns the algorithm.
func (m *Model) Kind() Kind { return m.kind }

// PreTokenizer returns the pre-tokenizer name ("smollm", "llama-bpe", ...;
// "" for SentencePiece).
func (m *Model) PreTokenizer() string { return m.pre }

// VocabSize implements Tokenizer.
func (m *Model) VocabSize() int { return len(m.tokens) }

// Special implements Tokenizer.
func (m *Model) Special() SpecialTokens {
	s := m.special
	s.EOG = append([]int(nil), s.EOG...)
	return s
}

// Piece implements Tokenizer.
func (m *Model) Piece(id int) string {
	if id < 0 || id >= len(m.tokens) {
		return ""
	}
	return m.tokens[id]
}

// Type returns the token type of id (TypeUndefined outside the vocabulary).
func (m *Model) Type(id int) TokenType {
	if id < 0 || id >= len(m.types) {
		return TypeUndefined
	}
	return m.types[id]
}

// ID returns the id of a vocabulary entry, as stored (see Piece).
func (m *Model) ID(piece string) (int, bool) {
	id, ok := m.toID[piece]
	return id, ok
}

// vocab is what the loaders hand to newModel.
type vocab struct {
	source       string // file name, for errors
	kind         Kind
	pre          string
	tokens       []string
	types        []TokenType
	scores       []float32
	merges       []string    // "a b"
	mergePairs   [][2]string // tokenizer.json's merges, as pairs
	bos, eos     int
	eot, unk     int
	pad, eom     int
	addBOS       bool
	addEOS       bool
	addBOSSet    bool
	addEOSSet    bool
	addSpace     bool
	addSpaceSet  bool
	ignoreMerges bool
}

func (v *vocab) errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("tokenizer: %s: %s: %w", v.source, fmt.Sprintf(format, args...), sentinel)
}

// eotCandidates are end-of-turn texts, in order of preference, when the
// metadata names no EOT id (llama.cpp detects the same list).
var eotCandidates = []string{"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
	"<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>"}

// eogCandidates end generation wherever they exist, and are control tokens
// (llama.cpp's list in llama_vocab::impl::load, including "</s>").
var eogCandidates = []string{"<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>",
	"<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
	"<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~["}

func newModel(v *vocab) (*Model, error) {
	n := len(v.tokens)
	if n == 0 {
		return nil, v.errorf(ErrInvalid, "empty vocabulary")
	}
	if len(v.types) == 0 {
		v.types = make([]TokenType, n)
		for i := range v.types {
			v.types[i] = TypeNormal
		}
	}
	if len(v.types) != n {
		return nil, v.errorf(ErrInvalid, "token_type has %d entries for %d tokens", len(v.types), n)
	}
	if v.scores != nil && len(v.scores) != n {
		return nil, v.errorf(ErrInvalid, "scores has %d entries for %d tokens", len(v.scores), n)
	}
	m := &Model{kind: v.kind, pre: v.pre, tokens: v.tokens, types: v.types, scores: v.scores,
		toID: make(map[string]int, n), ignoreMerges: v.ignoreMerges}
	for i, t := range v.tokens {
		if _, dup := m.toID[t]; !dup { // the first id wins, as in llama.cpp's map
			m.toID[t] = i
		}
	}
	for _, id := range []*int{&v.bos, &v.eos, &v.eot, &v.unk, &v.pad, &v.eom} {
		if *id < NoToken || *id >= n {
			return nil, v.errorf(ErrInvalid, "special token id %d outside the vocabulary of %d", *id, n)
		}
	}
	switch v.kind {
	case ByteLevelBPE:
		split, err := newSplitter(v.pre)
		if err != nil {
			return nil, v.errorf(ErrUnsupported, "%v", err)
		}
		m.split = split
		if v.pre == "llama-bpe" || v.pre == "llama3" || v.pre == "llama-v3" || v.pre == "falcon3" || v.pre == "pixtral" {
			m.ignoreMerges = true
		}
		m.ranks = make(map[[2]string]int, len(v.merges))
		for i, mg := range v.merges {
			a, b, ok := strings.Cut(mg, " ")
			if !ok {
				return nil, v.errorf(ErrInvalid, "merge %d %q is not two space-separated pieces", i, mg)
			}
			k := [2]string{a, b}
			if _, dup := m.ranks[k]; !dup {
				m.ranks[k] = i
			}
		}
		for b := 0; b < 256; b++ {
			m.byteTok[b] = NoToken
			if id, ok := m.toID[string(byteToRune[b])]; ok {
				m.byteTok[b] = id
			}
		}
	case SentencePieceBPE:
		if v.scores == nil {
			return nil, v.errorf(ErrInvalid, "SentencePiece model without scores")
		}
		m.addSpacePrefix = true // llama.cpp's default for SPM
		if v.addSpaceSet {
			m.addSpacePrefix = v.addSpace
		}
		for b := 0; b < 256; b++ {
			m.byteTok[b] = NoToken
			if id, ok := m.toID[fmt.Sprintf("<0x%02X>", b)]; ok {
				m.byteTok[b] = id
			} else if id, ok := m.toID[string(rune(b))]; ok && b < 0x80 {
				m.byteTok[b] = id
			}
		}
	case ByteFallbackBPE:
		for b := 0; b < 256; b++ {
			m.byteTok[b] = NoToken
			if id, ok := m.toID[fmt.Sprintf("<0x%02X>", b)]; ok {
				m.byteTok[b] = id
			}
		}
	default:
		return nil, v.errorf(ErrUnsupported, "tokenizer kind %q", v.kind)
	}
	m.special = SpecialTokens{BOS: v.bos, EOS: v.eos, EOT: v.eot, UNK: v.unk, PAD: v.pad}
	switch v.kind {
	case SentencePieceBPE:
		m.special.AddBOS = true
	case ByteLevelBPE:
		m.special.AddBOS = m.ignoreMerges // llama.cpp: Llama 3 style adds BOS by default
	}
	if v.addBOSSet {
		m.special.AddBOS = v.addBOS
	}
	if v.addEOSSet {
		m.special.AddEOS = v.addEOS
	}
	if m.special.AddBOS && m.special.BOS == NoToken {
		m.special.AddBOS = false
	}
	if m.special.AddEOS && m.special.EOS == NoToken {
		m.special.AddEOS = false
	}
	if m.special.EOT == NoToken {
		for _, c := range eotCandidates {
			if id, ok := m.toID[c]; ok {
				m.special.EOT = id
				break
			}
		}
	}
	// End-of-generation texts (llama.cpp's list) end generation and are
	// control tokens even where the file says otherwise.
	for _, id := range []int{m.special.EOS, m.special.EOT, v.eom} {
		if id != NoToken && !m.special.IsEOG(id) {
			m.special.EOG = append(m.special.EOG, id)
		}
	}
	for _, c := range eogCandidates {
		id, ok := m.toID[c]
		if !ok {
			continue
		}
		if !m.special.IsEOG(id) {
			m.special.EOG = append(m.special.EOG, id)
		}
		if m.types[id] != TypeControl {
			m.types = append([]TokenType(nil), m.types...)
			m.types[id] = TypeControl
		}
	}
	for id, t := range m.types {
		if (t == TypeControl || t == TypeUserDefined || t == TypeUnknown) && m.tokens[id] != "" {
			m.specials = append(m.specials, id)
		}
	}
	sort.SliceStable(m.specials, func(i, j int) bool {
		return len(m.tokens[m.specials[i]]) > len(m.tokens[m.specials[j]])
	})
	m.trie = newSpecialTrie(m.tokens, m.specials)
	return m, nil
}
