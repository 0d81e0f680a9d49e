package tokenizer

import (
	"fmt"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// piece is a part of the input: raw text (id < 0) or a matched special token.
type piece struct {
	text string
	id   int
}

// specialTrie finds which matchable special tokens occur in a text in one
// pass, so partition only works through those (a vocabulary such as Gemma's
// has thousands).
type specialTrie struct {
	next []map[byte]int32 // node -> byte -> child node
	tok  []int            // node -> token id ending here, or NoToken
}

func newSpecialTrie(tokens []string, ids []int) *specialTrie {
	tr := &specialTrie{next: []map[byte]int32{{}}, tok: []int{NoToken}}
	for _, id := range ids {
		n := int32(0)
		for _, c := range []byte(tokens[id]) {
			child, ok := tr.next[n][c]
			if !ok {
				child = int32(len(tr.tok))
				tr.next[n][c] = child
				tr.next = append(tr.next, map[byte]int32{})
				tr.tok = append(tr.tok, NoToken)
			}
			n = child
		}
		if tr.tok[n] == NoToken {
			tr.tok[n] = id
		}
	}
	return tr
}

// present returns the set of token ids occurring anywhere in text.
func (tr *specialTrie) present(text string) map[int]bool {
	var found map[int]bool
	for i := 0; i < len(text); i++ {
		n := int32(0)
		for j := i; j < len(text); j++ {
			child, ok := tr.next[n][text[j]]
			if !ok {
				break
			}
			n = child
			if id := tr.tok[n]; id != NoToken {
				if found == nil {
					found = map[int]bool{}
				}
				found[id] = true
			}
		}
	}
	return found
}

// partition splits text at special tokens, longest token text first, as
// llama.cpp's tokenizer_st_partition does.
func (m *Model) partition(text string, specialAsText bool) []piece {
	if text == "" {
		return nil
	}
	parts := []piece{{text: text, id: NoToken}}
	found := m.trie.present(text)
	if len(found) == 0 {
		return parts
	}
	for _, id := range m.specials {
		if !found[id] {
			continue
		}
		t := m.types[id]
		if specialAsText && (t == TypeControl || t == TypeUnknown) {
			continue
		}
		tok := m.tokens[id]
		var next []piece
		for _, p := range parts {
			if p.id != NoToken || !strings.Contains(p.text, tok) {
				next = append(next, p)
				continue
			}
			rest := p.text
			for {
				i := strings.Index(rest, tok)
				if i < 0 {
					break
				}
				if i > 0 {
					next = append(next, piece{text: rest[:i], id: NoToken})
				}
				next = append(next, piece{id: id})
				rest = rest[i+len(tok):]
			}
			if rest != "" {
				next = append(next, piece{text: rest, id: NoToken})
			}
		}
		parts = next
	}
	return parts
}

// Encode implements Tokenizer.
func (m *Model) Encode(text string, opts EncodeOptions) (ids []int, err error) {
	defer func() {
		if r := recover(); r != nil { // a bug here: report it, never crash the caller
			ids, err = nil, fmt.Errorf("tokenizer: internal error encoding %d bytes: %v", len(text), r)
		}
	}()
	out := make([]int, 0, len(text)/3+2)
	if opts.AddSpecial && m.special.AddBOS {
		out = append(out, m.special.BOS)
	}
	if m.hf != nil {
		out = m.encodeHF(text, opts.SpecialAsText, out)
		if opts.AddSpecial && m.special.AddEOS {
			out = append(out, m.special.EOS)
		}
		return out, nil
	}
	prevSpecial := true // SentencePiece: a space prefix goes at the start and after special tokens
	for _, p := range m.partition(text, opts.SpecialAsText) {
		if p.id != NoToken {
			out = append(out, p.id)
			prevSpecial = true
			continue
		}
		if m.nfc {
			p.text = norm.NFC.String(p.text)
		}
		switch m.kind {
		case ByteLevelBPE:
			t := p.text
			if m.addSpacePrefix && !strings.HasPrefix(t, " ") { // HF ByteLevel(add_prefix_space=True)
				t = " " + t
			}
			out = m.encodeByteLevel(t, out)
		case SentencePieceBPE:
			t := p.text
			if m.addSpacePrefix && prevSpecial {
				t = " " + t
			}
			out = m.encodeSPM(strings.ReplaceAll(t, " ", "▁"), out)
		}
		prevSpecial = false
	}
	if opts.AddSpecial && m.special.AddEOS {
		out = append(out, m.special.EOS)
	}
	return out, nil
}

// encodeByteLevel pre-tokenizes, maps bytes to GPT-2 characters and applies merges.
func (m *Model) encodeByteLevel(text string, out []int) []int {
	cps := codepoints(text)
	if len(cps) == 0 {
		return out
	}
	var word strings.Builder
	start := 0
	for _, n := range m.split(cps, []int{len(cps)}) {
		word.Reset()
		for _, b := range []byte(text[cps[start].start:cps[start+n-1].end]) {
			word.WriteRune(byteToRune[b])
		}
		start += n
		w := word.String()
		if m.ignoreMerges {
			if id, ok := m.toID[w]; ok {
				out = append(out, id)
				continue
			}
		}
		out = m.cachedMerge(w, out)
	}
	return out
}

// Word cache: natural text repeats words, so merged words are remembered (as
// HF tokenizers' BPE cache does). Bounded; cleared when full.
const (
	maxCacheEntries = 1 << 15
	maxCachedWord   = 64 // bytes
)

func (m *Model) cachedMerge(w string, out []int) []int {
	if len(w) > maxCachedWord {
		return m.merge(w, out)
	}
	m.cacheMu.Lock()
	ids, ok := m.cache[w]
	m.cacheMu.Unlock()
	if ok {
		return append(out, ids...)
	}
	n := len(out)
	out = m.merge(w, out)
	ids = append([]int(nil), out[n:]...)
	m.cacheMu.Lock()
	if m.cache == nil || len(m.cache) >= maxCacheEntries {
		m.cache = make(map[string][]int)
	}
	m.cache[w] = ids
	m.cacheMu.Unlock()
	return out
}

// merge is the BPE of one pre-tokenized word.
func (m *Model) merge(w string, out []int) []int {
	if m.hf != nil {
		return m.mergeByteFallback(w, out)
	}
	return m.mergeRanks(w, out)
}

// symbol is a node of the doubly linked list BPE merges work on.
type symbol struct {
	text       string
	prev, next int
}

// bigram is a candidate merge of symbols left and right.
// mergeAll pops bigrams best first and merges each whose two symbols still hold what
// the bigram was made from (fresh), tells merged (when not nil), then queues the new
// neighbours through add. Byte-level BPE checks freshness on the text, SentencePiece on
// the lengths, tokenizer.json's byte-fallback BPE on the token ids.
func mergeAll(q *bigramQueue, syms []symbol, add func(l, r int), fresh func(l, r *symbol, bg bigram) bool, merged func(bg bigram)) {
	for q.Len() > 0 {
		bg := q.pop()
		l, r := &syms[bg.left], &syms[bg.right]
		if l.text == "" || r.text == "" || !fresh(l, r, bg) {
			continue // stale
		}
		l.text += r.text
		r.text = ""
		if merged != nil {
			merged(bg)
		}
		l.next = r.next
		if r.next >= 0 {
			syms[r.next].prev = bg.left
		}
		add(l.prev, bg.left)
		add(bg.left, l.next)
	}
}

type bigram struct {
	left, right int
	text        string
	rank        int      // byte-level BPE: lower merges first
	score       float32  // SentencePiece: higher merges first
	pair        [2]int32 // tokenizer.json byte-fallback BPE: the ids merged ...
	id          int32    // ... into this one
}

// bigramQueue orders candidates by rank (or score), then leftmost first.
type bigramQueue struct {
	items []bigram
	spm   bool
}

func (q *bigramQueue) Len() int { return len(q.items) }
func (q *bigramQueue) Less(i, j int) bool {
	a, b := &q.items[i], &q.items[j]
	if q.spm {
		if a.score != b.score {
			return a.score > b.score
		}
	} else if a.rank != b.rank {
		return a.rank < b.rank
	}
	return a.left < b.left
}

// push and pop are container/heap's, without boxing each bigram in an interface
// (one allocation per candidate pair otherwise).
func (q *bigramQueue) push(b bigram) {
	q.items = append(q.items, b)
	for j := len(q.items) - 1; j > 0; {
		i := (j - 1) / 2
		if i == j || !q.Less(j, i) {
			break
		}
		q.items[i], q.items[j] = q.items[j], q.items[i]
		j = i
	}
}

func (q *bigramQueue) pop() bigram {
	n := len(q.items) - 1
	q.items[0], q.items[n] = q.items[n], q.items[0]
	for i := 0; ; {
		j := 2*i + 1
		if j >= n {
			break
		}
		if j2 := j + 1; j2 < n && q.Less(j2, j) {
			j = j2
		}
		if !q.Less(j, i) {
			break
		}
		q.items[i], q.items[j] = q.items[j], q.items[i]
		i = j
	}
	b := q.items[n]
	q.items = q.items[:n]
	return b
}

// splitChars makes one symbol per UTF-8 character of w.
func splitChars(w string) []symbol {
	syms := make([]symbol, 0, len(w))
	for i := 0; i < len(w); {
		n := utf8Len(w[i])
		if i+n > len(w) {
			n = len(w) - i
		}
		syms = append(syms, symbol{text: w[i : i+n], prev: len(syms) - 1, next: len(syms) + 1})
		i += n
	}
	syms[len(syms)-1].next = -1
	return syms
}

// utf8Len is the length of the UTF-8 sequence a lead byte announces (1 for
// continuation bytes), as llama.cpp's unicode_len_utf8.
func utf8Len(b byte) int {
	switch {
	case b < 0x80:
		return 1
	case b>>5 == 0x6:
		return 2
	case b>>4 == 0xE:
		return 3
	case b>>3 == 0x1E:
		return 4
	}
	return 1
}

// mergeRanks is llama.cpp's llm_tokenizer_bpe_session for one word.
func (m *Model) mergeRanks(w string, out []int) []int {
	syms := splitChars(w)
	q := &bigramQueue{}
	add := func(l, r int) {
		if l < 0 || r < 0 {
			return
		}
		rank, ok := m.ranks[[2]string{syms[l].text, syms[r].text}]
		if !ok {
			return
		}
		q.push(bigram{left: l, right: r, text: syms[l].text + syms[r].text, rank: rank})
	}
	for i := 1; i < len(syms); i++ {
		add(i-1, i)
	}
	mergeAll(q, syms, add, func(l, r *symbol, bg bigram) bool { return l.text+r.text == bg.text }, nil)
	for i := 0; i != -1 && i < len(syms); i = syms[i].next {
		s := syms[i].text
		if id, ok := m.toID[s]; ok {
			out = append(out, id)
			continue
		}
		// A merged piece missing from the vocabulary: fall back to its characters.
		for _, r := range s {
			if b, ok := runeToByte[r]; ok && m.byteTok[b] != NoToken {
				out = append(out, m.byteTok[b])
			}
		}
	}
	return out
}

// encodeSPM is llama.cpp's llm_tokenizer_spm_session: merge the adjacent pair
// whose concatenation is the highest-scoring token, then byte fallback.
func (m *Model) encodeSPM(text string, out []int) []int {
	if text == "" {
		return out
	}
	syms := splitChars(text)
	q := &bigramQueue{spm: true}
	add := func(l, r int) {
		if l < 0 || r < 0 {
			return
		}
		t := syms[l].text + syms[r].text
		id, ok := m.toID[t]
		if !ok {
			return
		}
		q.push(bigram{left: l, right: r, text: t, score: m.scores[id]})
	}
	for i := 1; i < len(syms); i++ {
		add(i-1, i)
	}
	mergeAll(q, syms, add, func(l, r *symbol, bg bigram) bool { return len(l.text)+len(r.text) == len(bg.text) }, nil)
	for i := 0; i != -1 && i < len(syms); i = syms[i].next {
		s := syms[i].text
		if id, ok := m.toID[s]; ok {
			out = append(out, id)
			continue
		}
		for j := 0; j < len(s); j++ {
			if id := m.byteTok[s[j]]; id != NoToken {
				out = append(out, id)
			} else if m.special.UNK != NoToken {
				out = append(out, m.special.UNK)
			}
		}
	}
	return out
}
