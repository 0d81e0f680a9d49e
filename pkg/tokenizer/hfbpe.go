package tokenizer

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"unicode/utf8"
)

// This file loads the SentencePiece family of tokenizer.json files (Gemma 2
// and 3, Llama 2, Mistral: Kind ByteFallbackBPE) and runs them as HF
// tokenizers does: added tokens are cut out of the raw text (leftmost, then
// longest), each remaining segment is normalized (Replace ' '->'▁', Prepend
// '▁', NFC, NFKC), pre-tokenized (Split on a string, Metaspace), and every
// word is BPE-merged by merge rank, characters without a token falling back
// to <0xNN> byte tokens (else <unk>, fused when fuse_unk).

// hfNorm is a tokenizer.json normalizer.
type hfNorm struct {
	Type        string     `json:"type"`
	Normalizers []*hfNorm  `json:"normalizers"`
	Pattern     *hfPattern `json:"pattern"`
	Content     string     `json:"content"`
	Prepend     string     `json:"prepend"`
}

// hfDecode is a tokenizer.json decoder.
type hfDecode struct {
	Type           string      `json:"type"`
	Decoders       []*hfDecode `json:"decoders"`
	Pattern        *hfPattern  `json:"pattern"`
	Content        string      `json:"content"`
	Start          int         `json:"start"`
	Stop           int         `json:"stop"`
	Replacement    string      `json:"replacement"`
	PrependScheme  string      `json:"prepend_scheme"`
	AddPrefixSpace *bool       `json:"add_prefix_space"` // Metaspace before tokenizers 0.19
}

// step kinds of the pipeline.
const (
	stepReplace   = iota // normalizer, decoder: replace old with new
	stepPrepend          // normalizer: prepend new to a non-empty segment
	stepNFC              // normalizer
	stepNFKC             // normalizer
	stepSplit            // pre-tokenizer: split on old with behavior
	stepMetaspace        // pre-tokenizer, decoder: old is the replacement ('▁')
	stepStrip            // decoder: strip up to start (stop) leading (trailing) old
)

// Split behaviors (tokenizers' SplitDelimiterBehavior).
const (
	splitRemoved = iota
	splitIsolated
	splitMergedWithPrevious
	splitMergedWithNext
	splitContiguous
)

var splitBehaviors = map[string]int{"Removed": splitRemoved, "Isolated": splitIsolated,
	"MergedWithPrevious": splitMergedWithPrevious, "MergedWithNext": splitMergedWithNext, "Contiguous": splitContiguous}

type hfStep struct {
	kind        int
	old, new    string
	behavior    int    // stepSplit
	prepend     string // stepMetaspace: "always", "first" or "never"
	split       bool   // stepMetaspace pre-tokenizer: split before each replacement
	start, stop int    // stepStrip
}

// hfPipeline is what a ByteFallbackBPE Model runs around the BPE merges.
type hfPipeline struct {
	norm, pre []hfStep
	// dec are the decoder steps applied to each token before Fuse; byteDecode
	// says ByteFallback is among them; stripStart leading stripRune are
	// removed from the whole text after Fuse (Strip after Fuse).
	dec        []hfStep
	byteDecode bool
	stripRune  rune
	stripStart int
	// ranks maps a pair of token ids to its merge.
	ranks        map[[2]int32]hfMerge
	byteFallback bool
	fuseUnk      bool
	unk          int
	// raw matches added tokens with normalized=false in the input, normalized
	// the others in each normalized segment; special marks special=true.
	raw, normalized *specialTrie
	special         map[int]bool
}

// hfMerge is a merge: its rank (lower first) and the id it makes.
type hfMerge struct{ rank, id int32 }

// byteLevelFamily reports whether j is a GPT-2 style byte-level BPE (a
// ByteLevel pre-tokenizer or decoder); the rest is the SentencePiece family.
func byteLevelFamily(j *hfJSON) bool {
	var has func(p *hfPre) bool
	has = func(p *hfPre) bool {
		if p == nil {
			return false
		}
		if p.Type == "ByteLevel" {
			return true
		}
		for _, q := range p.Pretokenizers {
			if has(q) {
				return true
			}
		}
		return false
	}
	return has(j.PreTokenizer) || (j.Decoder != nil && j.Decoder.Type == "ByteLevel")
}

// fromHFByteFallback finishes FromHFJSON for the SentencePiece family.
func fromHFByteFallback(v *vocab, j *hfJSON, path string) (*Model, error) {
	v.kind = ByteFallbackBPE
	p := &hfPipeline{byteFallback: j.Model.ByteFallback, fuseUnk: j.Model.FuseUnk, unk: NoToken, special: map[int]bool{}}
	var err error
	if p.norm, err = normSteps(j.Normalizer, "normalizer", nil); err != nil {
		return nil, v.errorf(ErrUnsupported, "%v", err)
	}
	if p.pre, err = preSteps(j.PreTokenizer, "pre_tokenizer", nil); err != nil {
		return nil, v.errorf(ErrUnsupported, "%v", err)
	}
	if err = p.decoder(j.Decoder); err != nil {
		return nil, v.errorf(ErrUnsupported, "%v", err)
	}
	for id, t := range v.tokens {
		if _, ok := parseByteToken(t); ok && v.types[id] == TypeNormal {
			v.types[id] = TypeByte
		}
	}
	if err := readTokenizerConfig(filepath.Join(filepath.Dir(path), "tokenizer_config.json"), v, j); err != nil {
		return nil, err
	}
	postProcessorSpecials(v, j)
	m, err := newModel(v)
	if err != nil {
		return nil, err
	}
	if u := j.Model.UnkToken; u != nil {
		id, ok := m.toID[*u]
		if !ok {
			return nil, v.errorf(ErrInvalid, "model.unk_token %q is not in the vocabulary", *u)
		}
		p.unk = id
		if m.special.UNK == NoToken {
			m.special.UNK = id
		}
	}
	if p.ranks, err = mergeRanksByID(m, v); err != nil {
		return nil, err
	}
	var raw, normalized []int
	for i, a := range j.AddedTokens {
		if a.LStrip || a.RStrip || a.SingleWord {
			return nil, v.errorf(ErrUnsupported, "added_tokens[%d] %q: lstrip, rstrip and single_word are not implemented", i, a.Content)
		}
		if a.Content == "" {
			continue
		}
		if a.Special {
			p.special[a.ID] = true
		}
		if a.Normalized {
			normalized = append(normalized, a.ID)
		} else {
			raw = append(raw, a.ID)
		}
	}
	p.raw, p.normalized = newSpecialTrie(m.tokens, raw), newSpecialTrie(m.tokens, normalized)
	m.hf = p
	return m, nil
}

// postProcessorSpecials: without add_bos_token/add_eos_token in
// tokenizer_config.json, BOS (EOS) is added when the TemplateProcessing
// post-processor puts a special token first (last), as HF's encode does.
func postProcessorSpecials(v *vocab, j *hfJSON) {
	pp := j.PostProcessor
	if pp == nil || pp.Type != "TemplateProcessing" || len(pp.Single) == 0 {
		return
	}
	id := func(e int) int {
		if st := pp.Single[e].SpecialToken; st != nil {
			for i, t := range v.tokens {
				if t == st.ID && v.types[i] != TypeNormal {
					return i
				}
			}
		}
		return NoToken
	}
	if first := id(0); first != NoToken && !v.addBOSSet {
		v.addBOS, v.addBOSSet = true, true
		if v.bos == NoToken {
			v.bos = first
		}
	}
	if last := id(len(pp.Single) - 1); last != NoToken && len(pp.Single) > 1 && !v.addEOSSet {
		v.addEOS, v.addEOSSet = true, true
		if v.eos == NoToken {
			v.eos = last
		}
	}
}

// mergeRanksByID checks every merge as HF tokenizers does on load (both
// pieces and their concatenation are tokens) and maps id pairs to ranks.
func mergeRanksByID(m *Model, v *vocab) (map[[2]int32]hfMerge, error) {
	ranks := make(map[[2]int32]hfMerge, len(v.mergePairs))
	for i, pr := range v.mergePairs {
		a, okA := m.toID[pr[0]]
		b, okB := m.toID[pr[1]]
		ab, okAB := m.toID[pr[0]+pr[1]]
		if !okA || !okB || !okAB {
			return nil, v.errorf(ErrInvalid, "model.merges[%d] [%q, %q]: a piece or their concatenation is not in the vocabulary", i, pr[0], pr[1])
		}
		ranks[[2]int32{int32(a), int32(b)}] = hfMerge{int32(i), int32(ab)} // a repeated pair: the last wins, as in HF's map
	}
	return ranks, nil
}

func pattern(p *hfPattern, field string) (string, error) {
	switch {
	case p == nil:
		return "", fmt.Errorf("%s.pattern is missing", field)
	case p.String != nil && *p.String != "":
		return *p.String, nil
	case p.Regex != nil:
		return "", fmt.Errorf("%s.pattern Regex %q is not implemented (only String patterns)", field, *p.Regex)
	}
	return "", fmt.Errorf("%s.pattern is empty", field)
}

func normSteps(n *hfNorm, field string, out []hfStep) ([]hfStep, error) {
	if n == nil {
		return out, nil
	}
	switch n.Type {
	case "Sequence":
		var err error
		for i, c := range n.Normalizers {
			if out, err = normSteps(c, fmt.Sprintf("%s.normalizers[%d]", field, i), out); err != nil {
				return nil, err
			}
		}
		return out, nil
	case "Replace":
		pat, err := pattern(n.Pattern, field)
		if err != nil {
			return nil, err
		}
		return append(out, hfStep{kind: stepReplace, old: pat, new: n.Content}), nil
	case "Prepend":
		return append(out, hfStep{kind: stepPrepend, new: n.Prepend}), nil
	case "NFC":
		return append(out, hfStep{kind: stepNFC}), nil
	case "NFKC":
		return append(out, hfStep{kind: stepNFKC}), nil
	}
	return nil, fmt.Errorf("%s type %q is not implemented (known: Sequence, Replace, Prepend, NFC, NFKC)", field, n.Type)
}

// metaspaceScheme reads prepend_scheme, or the older add_prefix_space.
func metaspaceScheme(scheme string, addPrefixSpace *bool, field string) (string, error) {
	switch scheme {
	case "always", "first", "never":
		return scheme, nil
	case "":
		if addPrefixSpace != nil && !*addPrefixSpace {
			return "never", nil
		}
		return "always", nil
	}
	return "", fmt.Errorf("%s.prepend_scheme %q (known: always, first, never)", field, scheme)
}

func preSteps(p *hfPre, field string, out []hfStep) ([]hfStep, error) {
	if p == nil {
		return out, nil
	}
	switch p.Type {
	case "Sequence":
		var err error
		for i, c := range p.Pretokenizers {
			if out, err = preSteps(c, fmt.Sprintf("%s.pretokenizers[%d]", field, i), out); err != nil {
				return nil, err
			}
		}
		return out, nil
	case "Split":
		pat, err := pattern(p.Pattern, field)
		if err != nil {
			return nil, err
		}
		b, ok := splitBehaviors[p.Behavior]
		if !ok {
			return nil, fmt.Errorf("%s.behavior %q is not a Split behavior", field, p.Behavior)
		}
		if p.Invert {
			return nil, fmt.Errorf("%s.invert true is not implemented", field)
		}
		return append(out, hfStep{kind: stepSplit, old: pat, behavior: b}), nil
	case "Metaspace":
		scheme, err := metaspaceScheme(p.PrependScheme, p.AddPrefixSpace, field)
		if err != nil {
			return nil, err
		}
		if utf8.RuneCountInString(p.Replacement) != 1 {
			return nil, fmt.Errorf("%s.replacement %q is not one character", field, p.Replacement)
		}
		return append(out, hfStep{kind: stepMetaspace, old: p.Replacement, prepend: scheme, split: p.Split == nil || *p.Split}), nil
	}
	desc, _ := json.Marshal(p)
	return nil, fmt.Errorf("%s %s is not implemented (known for SentencePiece-style BPE: Sequence, Split on a String, Metaspace)", field, desc)
}

// decoder reads the decoder into per-token steps, ByteFallback, and a
// leading Strip after Fuse; other shapes are not implemented.
func (p *hfPipeline) decoder(d *hfDecode) error {
	if d == nil {
		return fmt.Errorf("decoder is null (HF joins tokens with spaces then; not implemented)")
	}
	list := []*hfDecode{d}
	if d.Type == "Sequence" {
		list = d.Decoders
	}
	fused := false
	for i, s := range list {
		field := fmt.Sprintf("decoder.decoders[%d]", i)
		if s == nil {
			return fmt.Errorf("%s is null", field)
		}
		switch s.Type {
		case "Fuse":
			fused = true
		case "ByteFallback":
			if fused {
				return fmt.Errorf("%s: ByteFallback after Fuse is not implemented", field)
			}
			p.byteDecode = true
		case "Replace":
			pat, err := pattern(s.Pattern, field)
			if err != nil {
				return err
			}
			if fused && utf8.RuneCountInString(pat) != 1 { // one character: per token is the same
				return fmt.Errorf("%s: Replace of %q after Fuse is not implemented", field, pat)
			}
			p.dec = append(p.dec, hfStep{kind: stepReplace, old: pat, new: s.Content})
		case "Strip":
			r, n := utf8.DecodeRuneInString(s.Content)
			if n == 0 || n != len(s.Content) || s.Start < 0 || s.Stop < 0 {
				return fmt.Errorf("%s: Strip content %q start %d stop %d", field, s.Content, s.Start, s.Stop)
			}
			if !fused {
				p.dec = append(p.dec, hfStep{kind: stepStrip, old: s.Content, start: s.Start, stop: s.Stop})
				continue
			}
			if s.Stop != 0 || p.stripStart != 0 {
				return fmt.Errorf("%s: Strip after Fuse is implemented for one leading strip only", field)
			}
			p.stripRune, p.stripStart = r, s.Start
		case "Metaspace":
			scheme, err := metaspaceScheme(s.PrependScheme, s.AddPrefixSpace, field)
			if err != nil {
				return err
			}
			if fused || utf8.RuneCountInString(s.Replacement) != 1 {
				return fmt.Errorf("%s: Metaspace after Fuse or with replacement %q is not implemented", field, s.Replacement)
			}
			p.dec = append(p.dec, hfStep{kind: stepMetaspace, old: s.Replacement, prepend: scheme})
		default:
			return fmt.Errorf("%s type %q is not implemented (known: Sequence, Replace, ByteFallback, Fuse, Strip, Metaspace)", field, s.Type)
		}
	}
	return nil
}
