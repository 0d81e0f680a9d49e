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
func (m *Model) Decode(ids []int) string {
	var b []byte
	for _, id := range ids {
		b = m.appendPiece(b, id)
	}
	return string(b)
}

// TokenBytes returns the bytes id decodes to (a byte token is one byte of a
// possibly multi-byte character).
func (m *Model) TokenBytes(id int) []byte { return m.appendPiece(nil, id) }

// Decoder decodes a stream of ids (generation) into text, yielding only whole
// UTF-8 characters: a character split across tokens (byte tokens, byte-level
// pieces) is held back until it is complete. Concatenating every Add and the
// final Flush gives Decode of all the ids.
type Decoder struct {
	m   *Model
	buf []byte
}

// NewDecoder returns a streaming decoder.
func (m *Model) NewDecoder() *Decoder { return &Decoder{m: m} }

// Add decodes one more id and returns the text that is now complete.
func (d *Decoder) Add(id int) string {
	d.buf = d.m.appendPiece(d.buf, id)
	n := completePrefix(d.buf)
	out := string(d.buf[:n])
	d.buf = append(d.buf[:0], d.buf[n:]...)
	return out
}

// Flush returns whatever is held back (an incomplete character at the end of
// the stream, as its raw bytes) and resets the decoder.
func (d *Decoder) Flush() string {
	out := string(d.buf)
	d.buf = d.buf[:0]
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
