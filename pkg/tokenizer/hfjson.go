package tokenizer

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// maxHFJSONBytes bounds tokenizer.json (a 256k-token vocabulary is ~35 MB).
const maxHFJSONBytes = 512 << 20

// Pre-tokenizer regexes as Hugging Face tokenizer.json files spell them.
const (
	hfLlama3Regex = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	hfQwen2Regex  = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	hfGPT2Regex   = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
)

type hfJSON struct {
	AddedTokens []struct {
		ID         int    `json:"id"`
		Content    string `json:"content"`
		Special    bool   `json:"special"`
		Normalized bool   `json:"normalized"`
		LStrip     bool   `json:"lstrip"`
		RStrip     bool   `json:"rstrip"`
		SingleWord bool   `json:"single_word"`
	} `json:"added_tokens"`
	PreTokenizer  *hfPre    `json:"pre_tokenizer"`
	Normalizer    *hfNorm   `json:"normalizer"`
	Decoder       *hfDecode `json:"decoder"`
	PostProcessor *struct {
		Type   string `json:"type"`
		Single []struct {
			SpecialToken *struct {
				ID string `json:"id"`
			} `json:"SpecialToken"`
		} `json:"single"`
	} `json:"post_processor"`
	Model struct {
		Type                    string            `json:"type"`
		Dropout                 *float64          `json:"dropout"`
		ContinuingSubwordPrefix *string           `json:"continuing_subword_prefix"`
		EndOfWordSuffix         *string           `json:"end_of_word_suffix"`
		VocabRaw                json.RawMessage   `json:"vocab"` // read after model.type is known (Unigram's is a list)
		Vocab                   map[string]int    `json:"-"`
		Merges                  []json.RawMessage `json:"merges"`
		IgnoreMerges            bool              `json:"ignore_merges"`
		ByteFallback            bool              `json:"byte_fallback"`
		FuseUnk                 bool              `json:"fuse_unk"`
		UnkToken                *string           `json:"unk_token"`
	} `json:"model"`
}

type hfPre struct {
	Type             string     `json:"type"`
	Pretokenizers    []*hfPre   `json:"pretokenizers"`
	AddPrefixSpace   *bool      `json:"add_prefix_space"`
	UseRegex         *bool      `json:"use_regex"`
	IndividualDigits bool       `json:"individual_digits"`
	Behavior         string     `json:"behavior"`
	Invert           bool       `json:"invert"`
	Pattern          *hfPattern `json:"pattern"`
	Replacement      string     `json:"replacement"`
	PrependScheme    string     `json:"prepend_scheme"`
	Split            *bool      `json:"split"`
}

// hfPattern is a Split/Replace pattern: a literal String or a Regex.
type hfPattern struct {
	Regex  *string `json:"Regex"`
	String *string `json:"String"`
}

func (p *hfPre) is(typ string) bool { return p != nil && p.Type == typ }

// preName maps a tokenizer.json pre_tokenizer to the pre-tokenizer names of
// this package (GGUF's tokenizer.ggml.pre) and whether a space is prefixed.
func preName(p *hfPre) (name string, prefixSpace bool, err error) {
	byteLevel := func(b *hfPre, wantRegex bool) bool {
		if !b.is("ByteLevel") {
			return false
		}
		useRegex := b.UseRegex == nil || *b.UseRegex
		prefixSpace = b.AddPrefixSpace != nil && *b.AddPrefixSpace
		return useRegex == wantRegex
	}
	switch {
	case p == nil:
		return "", false, fmt.Errorf("no pre_tokenizer")
	case byteLevel(p, true):
		return "gpt-2", prefixSpace, nil
	case p.is("Sequence") && len(p.Pretokenizers) == 2:
		a, b := p.Pretokenizers[0], p.Pretokenizers[1]
		if a.is("Digits") && a.IndividualDigits && byteLevel(b, true) {
			return "smollm", prefixSpace, nil
		}
		if a.is("Split") && a.Pattern != nil && a.Pattern.Regex != nil && !a.Invert &&
			a.Behavior == "Isolated" && byteLevel(b, false) {
			switch *a.Pattern.Regex {
			case hfLlama3Regex:
				return "llama-bpe", prefixSpace, nil
			case hfQwen2Regex:
				return "qwen2", prefixSpace, nil
			case hfGPT2Regex:
				return "gpt-2", prefixSpace, nil
			}
		}
	}
	desc, _ := json.Marshal(p)
	return "", false, fmt.Errorf("pre_tokenizer %s is not implemented (known: ByteLevel; Digits+ByteLevel; Split(Llama 3 or Qwen2 regex)+ByteLevel)", desc)
}

// FromHFJSON builds a tokenizer from a Hugging Face tokenizer.json: byte-level
// BPE (a ByteLevel pre-tokenizer: GPT-2, Llama 3, Qwen2, SmolLM) or, otherwise,
// SentencePiece-style BPE with byte fallback (Gemma, Llama 2, Mistral; Kind
// ByteFallbackBPE), whose normalizer, pre-tokenizer and decoder it runs as HF
// tokenizers does. BOS/EOS and add_bos_token come from the tokenizer_config.json
// beside it when present, else from the post-processor.
func FromHFJSON(path string) (*Model, error) {
	v := &vocab{source: filepath.Base(path), kind: ByteLevelBPE, bos: NoToken, eos: NoToken, eot: NoToken, unk: NoToken, pad: NoToken, eom: NoToken}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	if st.Size() > maxHFJSONBytes {
		return nil, v.errorf(ErrInvalid, "%d bytes is more than the %d a tokenizer.json may have", st.Size(), maxHFJSONBytes)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	var j hfJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, v.errorf(ErrInvalid, "%v", err)
	}
	if j.Model.Type != "BPE" {
		return nil, v.errorf(ErrUnsupported, "model.type %q (supported: BPE)", j.Model.Type)
	}
	if len(j.Model.VocabRaw) > 0 {
		if err := json.Unmarshal(j.Model.VocabRaw, &j.Model.Vocab); err != nil {
			return nil, v.errorf(ErrInvalid, "model.vocab: %v", err)
		}
	}
	if j.Model.Dropout != nil && *j.Model.Dropout != 0 {
		return nil, v.errorf(ErrUnsupported, "model.dropout %v (BPE dropout is random; only 0 or null)", *j.Model.Dropout)
	}
	for key, val := range map[string]*string{"continuing_subword_prefix": j.Model.ContinuingSubwordPrefix, "end_of_word_suffix": j.Model.EndOfWordSuffix} {
		if val != nil && *val != "" {
			return nil, v.errorf(ErrUnsupported, "model.%s %q", key, *val)
		}
	}
	if err := hfVocab(v, &j); err != nil {
		return nil, err
	}
	if !byteLevelFamily(&j) {
		return fromHFByteFallback(v, &j, path)
	}
	for _, p := range v.mergePairs {
		v.merges = append(v.merges, p[0]+" "+p[1])
	}
	var nfc bool
	if j.Normalizer != nil {
		if j.Normalizer.Type != "NFC" {
			return nil, v.errorf(ErrUnsupported, "normalizer %q (supported: none, NFC)", j.Normalizer.Type)
		}
		nfc = true
	}
	var prefixSpace bool
	if v.pre, prefixSpace, err = preName(j.PreTokenizer); err != nil {
		return nil, v.errorf(ErrUnsupported, "%v", err)
	}
	if err := readTokenizerConfig(filepath.Join(filepath.Dir(path), "tokenizer_config.json"), v, &j); err != nil {
		return nil, err
	}
	m, err := newModel(v)
	if err != nil {
		return nil, err
	}
	m.addSpacePrefix = prefixSpace
	m.nfc = nfc
	return m, nil
}

// hfVocab fills v's tokens, types and merges from model.vocab, added_tokens
// and model.merges.
func hfVocab(v *vocab, j *hfJSON) error {
	v.ignoreMerges = j.Model.IgnoreMerges
	// Ids must be dense: a lying id cannot make us allocate more than the
	// number of entries the file really holds.
	n := len(j.Model.Vocab) + len(j.AddedTokens)
	maxID := -1
	for tok, id := range j.Model.Vocab {
		if id < 0 || id >= n {
			return v.errorf(ErrInvalid, "model.vocab[%q] = %d is outside [0, %d)", tok, id, n)
		}
		maxID = max(maxID, id)
	}
	for i, a := range j.AddedTokens {
		if a.ID < 0 || a.ID >= n {
			return v.errorf(ErrInvalid, "added_tokens[%d].id = %d is outside [0, %d)", i, a.ID, n)
		}
		maxID = max(maxID, a.ID)
	}
	v.tokens = make([]string, maxID+1)
	v.types = make([]TokenType, maxID+1)
	seen := make([]bool, maxID+1)
	for tok, id := range j.Model.Vocab {
		v.tokens[id], v.types[id], seen[id] = tok, TypeNormal, true
	}
	for _, a := range j.AddedTokens {
		v.tokens[a.ID], seen[a.ID] = a.Content, true
		v.types[a.ID] = TypeUserDefined
		if a.Special {
			v.types[a.ID] = TypeControl
		}
	}
	for id, ok := range seen {
		if !ok {
			v.types[id] = TypeUnused
		}
	}
	v.mergePairs = make([][2]string, 0, len(j.Model.Merges))
	for i, raw := range j.Model.Merges {
		var s string
		if len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
			a, b, ok := strings.Cut(s, " ")
			if !ok {
				return v.errorf(ErrInvalid, "model.merges[%d] %q is not two space-separated pieces", i, s)
			}
			v.mergePairs = append(v.mergePairs, [2]string{a, b})
			continue
		}
		var pair []string
		if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
			return v.errorf(ErrInvalid, "model.merges[%d] is neither \"a b\" nor [\"a\", \"b\"]", i)
		}
		v.mergePairs = append(v.mergePairs, [2]string{pair[0], pair[1]})
	}
	return nil
}

// readTokenizerConfig takes bos/eos and add_bos_token/add_eos_token from
// tokenizer_config.json, if the file exists; otherwise BOS is what the
// post-processor puts first.
func readTokenizerConfig(path string, v *vocab, j *hfJSON) error {
	lookup := func(text string) int {
		for id, t := range v.tokens {
			if t == text && v.types[id] != TypeNormal {
				return id
			}
		}
		return NoToken
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if pp := j.PostProcessor; pp != nil && pp.Type == "TemplateProcessing" && len(pp.Single) > 0 && pp.Single[0].SpecialToken != nil {
			if id := lookup(pp.Single[0].SpecialToken.ID); id != NoToken {
				v.bos, v.addBOS, v.addBOSSet = id, true, true
			}
		}
		return nil
	}
	var cfg map[string]json.RawMessage
	if err := json.Unmarshal(data, &cfg); err != nil {
		return fmt.Errorf("tokenizer: %s: %v: %w", filepath.Base(path), err, ErrInvalid)
	}
	text := func(key string) string {
		var s string
		if json.Unmarshal(cfg[key], &s) == nil {
			return s
		}
		var obj struct{ Content string }
		if json.Unmarshal(cfg[key], &obj) == nil {
			return obj.Content
		}
		return ""
	}
	if s := text("bos_token"); s != "" {
		v.bos = lookup(s)
	}
	if s := text("eos_token"); s != "" {
		v.eos = lookup(s)
	}
	for key, dst := range map[string][2]*bool{"add_bos_token": {&v.addBOS, &v.addBOSSet}, "add_eos_token": {&v.addEOS, &v.addEOSSet}} {
		if raw, ok := cfg[key]; ok && json.Unmarshal(raw, dst[0]) == nil {
			*dst[1] = true
		}
	}
	return nil
}
