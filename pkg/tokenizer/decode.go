package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// appendPiece appends the bytes id stands for.
func (m *Model) appendPiece(dst []byte, id int) []byte {
	if id < 0 || id >= len(m.tokens) {
		return dst
	}
	t := m.tokens[id]
	switch m.types[id] {
	case TypeByte:
		if b, ok := parseByteToken(t); ok {
			return append(dst, b)
		}
		return append(dst, t...)
	case TypeNormal, TypeUndefined:
		if m.kind == SentencePieceBPE {
			return append(dst, strings.ReplaceAll(t, "▁", " ")...)
		}
		for _, r := range t {
			if b, ok := runeToByte[r]; ok {
				dst = append(dst, b)
			} else {
				dst = utf8.AppendRune(dst, r)
			}
		}
		return dst
	}
	// Control, user-defined, unknown and unused tokens: their text as is.
	return append(dst, t...)
}

// parseByteToken reads "<0xNN>".
func parseByteToken(t string) (byte, bool) {
	if len(t) != 6 || t[:3] != "<0x" || t[5] != '>' {
		return 0, false
	}
	var v byte
	for _, c := range []byte(t[3:5]) {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | (c - '0')
		case c >= 'A' && c <= 'F':
			v = v<<4 | (c - 'A' + 10)
		case c >= 'a' && c <= 'f':
			v = v<<4 | (c - 'a' + 10)
		default:
			return 0, false
		}
	}
	return v, true
}

// Decode implements Tokenizer. It removes nothing: a SentencePiece text
// starts with the space its encoding prefixed (llama.cpp's detokenize and HF
// drop it; use strings.TrimPrefix(s, " ") for that).
//
// A ByteFallbackBPE model (tokenizer.json) decodes as its decoder says (for
// Gemma, '▁' becomes ' '; for Llama 2, the first space is stripped too), with
// one difference: byte tokens that do not form UTF-8 give their raw bytes,
// where HF tokenizers writes U+FFFD for each.
func (m *Model) Decode(ids []int) string {
	var b []byte
	if m.hf != nil {
		i := 0 // the index among tokens HF sees: ids outside the vocabulary are dropped
		for _, id := range ids {
			if id >= 0 && id < len(m.tokens) {
				b = m.appendHF(b, id, i)
				i++
			}
		}
		n := m.hf.stripStart
		return string(m.hf.stripLeading(b, &n))
	}
	for _, id := range ids {
		b = m.appendPiece(b, id)
	}
	return string(b)
}

// TokenBytes returns the bytes id decodes to (a byte token is one byte of a
// possibly multi-byte character).
// For a ByteFallbackBPE model it is the text id has inside a sequence, not at
// its start.
func (m *Model) TokenBytes(id int) []byte {
	if m.hf != nil {
		if id < 0 || id >= len(m.tokens) {
			return nil
		}
		return m.appendHF(nil, id, 1)
	}
	return m.appendPiece(nil, id)
}

// Decoder decodes a stream of ids (generation) into text, yielding only whole
// UTF-8 characters: a character split across tokens (byte tokens, byte-level
// pieces) is held back until it is complete. Concatenating every Add and the
// final Flush gives Decode of all the ids.
type Decoder struct {
	m     *Model
	buf   []byte
	n     int // ids added since the start or the last Flush
	strip int // leading characters still to strip (ByteFallbackBPE)
}

// NewDecoder returns a streaming decoder.
func (m *Model) NewDecoder() *Decoder {
	d := &Decoder{m: m}
	d.reset()
	return d
}

func (d *Decoder) reset() {
	d.buf, d.n, d.strip = d.buf[:0], 0, 0
	if d.m.hf != nil {
		d.strip = d.m.hf.stripStart
	}
}

// Add decodes one more id and returns the text that is now complete.
func (d *Decoder) Add(id int) string {
	if hf := d.m.hf; hf != nil {
		if id >= 0 && id < len(d.m.tokens) {
			d.buf = d.m.appendHF(d.buf, id, d.n)
			d.n++
		}
		if d.strip > 0 {
			d.buf = append(d.buf[:0], hf.stripLeading(d.buf, &d.strip)...)
		}
	} else {
		d.buf = d.m.appendPiece(d.buf, id)
	}
	n := completePrefix(d.buf)
	out := string(d.buf[:n])
	d.buf = append(d.buf[:0], d.buf[n:]...)
	return out
}

// Flush returns whatever is held back (an incomplete character at the end of
// the stream, as its raw bytes) and resets the decoder.
func (d *Decoder) Flush() string {
	out := string(d.buf)
	d.reset()
	return out
}

// completePrefix is the length of b without a trailing, still incomplete
// UTF-8 sequence. Invalid bytes count as complete (they will never complete).
func completePrefix(b []byte) int {
	// The last sequence starts at most 3 bytes from the end.
	for k := 1; k <= 3 && k <= len(b); k++ {
		i := len(b) - k
		c := b[i]
		if c < 0x80 {
			return len(b)
		}
		if c&0xC0 == 0x80 {
			continue // continuation byte: look further back
		}
		need := utf8Len(c)
		if need > k && utf8.FullRune(b[i:]) == false {
			return i
		}
		return len(b)
	}
	return len(b)
}
