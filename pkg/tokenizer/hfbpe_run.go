package tokenizer

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// longestAt returns the longest token of the trie that text[i:] starts
// with, and where it ends; NoToken when none does.
func (tr *specialTrie) longestAt(text string, i int) (id, end int) {
	id, n := NoToken, int32(0)
	for j := i; j < len(text); j++ {
		child, ok := tr.next[n][text[j]]
		if !ok {
			break
		}
		n = child
		if t := tr.tok[n]; t != NoToken {
			id, end = t, j+1
		}
	}
	return id, end
}

// splitAdded cuts the added tokens of tr out of text, leftmost first and
// longest at a position (HF's LeftmostLongest automaton), and calls emit on
// each part: a token id, or text (id NoToken) with its byte offset in text.
// A special token under specialAsText stays in the text around it (HF's
// encode_special_tokens skips the match, so nothing inside it matches either).
func (p *hfPipeline) splitAdded(tr *specialTrie, text string, specialAsText bool, emit func(text string, id, off int)) {
	last := 0
	for i := 0; i < len(text); {
		id, end := tr.longestAt(text, i)
		if id == NoToken {
			i++
			continue
		}
		if specialAsText && p.special[id] {
			i = end
			continue
		}
		if last < i {
			emit(text[last:i], NoToken, last)
		}
		emit("", id, i)
		i, last = end, end
	}
	if last < len(text) {
		emit(text[last:], NoToken, last)
	}
}

// encodeHF is Encode for ByteFallbackBPE: added tokens, then per segment
// normalizer, added tokens on normalized text, pre-tokenizer and BPE.
func (m *Model) encodeHF(text string, specialAsText bool, out []int) []int {
	p := m.hf
	p.splitAdded(p.raw, text, specialAsText, func(seg string, id, off int) {
		if id != NoToken {
			out = append(out, id)
			return
		}
		p.splitAdded(p.normalized, p.normalize(seg), specialAsText, func(s string, id, off2 int) {
			if id != NoToken {
				out = append(out, id)
				return
			}
			for _, w := range p.preTokenize(s, off == 0 && off2 == 0) {
				out = m.cachedMerge(w, out)
			}
		})
	})
	return out
}

func (p *hfPipeline) normalize(s string) string {
	for _, st := range p.norm {
		switch st.kind {
		case stepReplace:
			s = strings.ReplaceAll(s, st.old, st.new)
		case stepPrepend:
			if s != "" {
				s = st.new + s
			}
		case stepNFC:
			s = norm.NFC.String(s)
		case stepNFKC:
			s = norm.NFKC.String(s)
		}
	}
	return s
}

// word is a pre-tokenized piece; atStart says it begins at offset 0 of the
// input (Metaspace's prepend_scheme "first").
type word struct {
	text    string
	atStart bool
}

func (p *hfPipeline) preTokenize(s string, atStart bool) []string {
	words := []word{{s, atStart}}
	for _, st := range p.pre {
		var next []word
		for _, w := range words {
			switch st.kind {
			case stepSplit:
				next = splitWord(next, w, st.old, st.behavior)
			case stepMetaspace:
				t := strings.ReplaceAll(w.text, " ", st.old)
				if t != "" && !strings.HasPrefix(t, st.old) && (st.prepend == "always" || st.prepend == "first" && w.atStart) {
					t = st.old + t
				}
				w.text = t
				if st.split {
					next = splitWord(next, w, st.old, splitMergedWithNext)
				} else if t != "" {
					next = append(next, w)
				}
			}
		}
		words = next
	}
	out := make([]string, 0, len(words))
	for _, w := range words {
		if w.text != "" {
			out = append(out, w.text)
		}
	}
	return out
}

// span is a part of a word: a match of the delimiter or the text between.
type span struct {
	start, end int
	match      bool
}

// splitWord is HF's NormalizedString::split on a literal delimiter: the
// matches, non-overlapping from the left, are handled by behavior; empty
// pieces are dropped.
func splitWord(out []word, w word, delim string, behavior int) []word {
	var spans []span
	prev := 0
	for prev < len(w.text) {
		i := strings.Index(w.text[prev:], delim)
		if i < 0 {
			break
		}
		if i > 0 {
			spans = append(spans, span{prev, prev + i, false})
		}
		spans = append(spans, span{prev + i, prev + i + len(delim), true})
		prev += i + len(delim)
	}
	if prev < len(w.text) {
		spans = append(spans, span{prev, len(w.text), false})
	}
	var kept []span
	switch behavior {
	case splitRemoved:
		for _, s := range spans {
			if !s.match {
				kept = append(kept, s)
			}
		}
	case splitIsolated:
		kept = spans
	case splitMergedWithPrevious:
		prevMatch := false
		for _, s := range spans {
			if s.match && !prevMatch && len(kept) > 0 {
				kept[len(kept)-1].end = s.end
			} else {
				kept = append(kept, s)
			}
			prevMatch = s.match
		}
	case splitMergedWithNext:
		prevMatch := false // the span to the right, walking from the end
		for i := len(spans) - 1; i >= 0; i-- {
			s := spans[i]
			if s.match && !prevMatch && len(kept) > 0 {
				kept[len(kept)-1].start = s.start
			} else {
				kept = append(kept, s)
			}
			prevMatch = s.match
		}
		for i, j := 0, len(kept)-1; i < j; i, j = i+1, j-1 {
			kept[i], kept[j] = kept[j], kept[i]
		}
	case splitContiguous:
		prevMatch := false
		for _, s := range spans {
			if s.match == prevMatch && len(kept) > 0 {
				kept[len(kept)-1].end = s.end
			} else {
				kept = append(kept, s)
			}
			prevMatch = s.match
		}
	}
	for _, s := range kept {
		if s.end > s.start {
			out = append(out, word{w.text[s.start:s.end], w.atStart && s.start == 0})
		}
	}
	return out
}

// mergeByteFallback is HF tokenizers' BPE::merge_word: one symbol per
// character that is a token; else its <0xNN> byte tokens (byte_fallback),
// else <unk> (consecutive ones fused when fuse_unk); then merges by rank.
func (m *Model) mergeByteFallback(w string, out []int) []int {
	p := m.hf
	if m.ignoreMerges {
		if id, ok := m.toID[w]; ok {
			return append(out, id)
		}
	}
	syms := make([]symbol, 0, len(w))
	ids := make([]int32, 0, len(w))
	push := func(id int) {
		syms = append(syms, symbol{text: m.tokens[id], prev: len(syms) - 1, next: len(syms) + 1})
		ids = append(ids, int32(id))
	}
	pendingUnk := false // HF holds an <unk> back until the next known character
	for i := 0; i < len(w); {
		_, n := utf8.DecodeRuneInString(w[i:])
		c := w[i : i+n]
		i += n
		if id, ok := m.toID[c]; ok {
			if pendingUnk {
				push(p.unk)
				pendingUnk = false
			}
			push(id)
			continue
		}
		if p.byteFallback && m.allBytes(c) {
			for j := 0; j < len(c); j++ {
				push(m.byteTok[c[j]])
			}
			continue
		}
		if p.unk == NoToken {
			continue // HF drops it
		}
		if pendingUnk && !p.fuseUnk {
			push(p.unk)
		}
		pendingUnk = true
	}
	if pendingUnk {
		push(p.unk)
	}
	if len(syms) == 0 {
		return out
	}
	syms[len(syms)-1].next = -1
	q := &bigramQueue{}
	add := func(l, r int) {
		if l < 0 || r < 0 {
			return
		}
		pair := [2]int32{ids[l], ids[r]}
		mg, ok := p.ranks[pair]
		if !ok {
			return
		}
		q.push(bigram{left: l, right: r, rank: int(mg.rank), pair: pair, id: mg.id})
	}
	for i := 1; i < len(syms); i++ {
		add(i-1, i)
	}
	mergeAll(q, syms, add,
		func(_, _ *symbol, bg bigram) bool { return ids[bg.left] == bg.pair[0] && ids[bg.right] == bg.pair[1] },
		func(bg bigram) { ids[bg.left] = bg.id })
	for i := 0; i != -1; i = syms[i].next {
		out = append(out, int(ids[i]))
	}
	return out
}

// allBytes reports whether every byte of c has a <0xNN> token.
func (m *Model) allBytes(c string) bool {
	for j := 0; j < len(c); j++ {
		if m.byteTok[c[j]] == NoToken {
			return false
		}
	}
	return true
}

// appendHF appends the text of token id, the i-th of a decoded sequence, as
// tokenizer.json's decoder makes it (before a Strip after Fuse).
func (m *Model) appendHF(dst []byte, id, i int) []byte {
	p := m.hf
	t := m.tokens[id]
	if p.byteDecode && m.types[id] == TypeByte {
		if b, ok := parseByteToken(t); ok {
			return append(dst, b) // HF writes U+FFFD for bytes that do not form UTF-8; see Decode
		}
	}
	for _, st := range p.dec {
		switch st.kind {
		case stepReplace:
			t = strings.ReplaceAll(t, st.old, st.new)
		case stepMetaspace:
			if i == 0 && st.prepend != "never" {
				t = strings.ReplaceAll(t, st.old, "") // HF drops every replacement char of the first token
			} else {
				t = strings.ReplaceAll(t, st.old, " ")
			}
		case stepStrip:
			for k := 0; k < st.start && strings.HasPrefix(t, st.old); k++ {
				t = t[len(st.old):]
			}
			for k := 0; k < st.stop && strings.HasSuffix(t, st.old); k++ {
				t = t[:len(t)-len(st.old)]
			}
		}
	}
	return append(dst, t...)
}

// stripLeading removes up to *n leading p.stripRune from b, counting down
// *n; it sets *n to 0 once b starts with anything else.
func (p *hfPipeline) stripLeading(b []byte, n *int) []byte {
	for *n > 0 && len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r != p.stripRune {
			*n = 0
			break
		}
		b = b[size:]
		*n--
	}
	return b
}
