package tokenizer

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// byteToRune is GPT-2's bytes_to_unicode: printable bytes map to themselves,
// the others to U+0100 onwards, so every byte is a visible character.
var byteToRune, runeToByte = func() ([256]rune, map[rune]byte) {
	var b2r [256]rune
	r2b := make(map[rune]byte, 256)
	n := 0
	for b := 0; b < 256; b++ {
		if b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE && b <= 0xFF {
			b2r[b] = rune(b)
		} else {
			b2r[b] = rune(256 + n)
			n++
		}
		r2b[b2r[b]] = byte(b)
	}
	return b2r, r2b
}()

// cp is one code point of the input, or one invalid byte (r == invalidByte).
type cp struct {
	r          rune
	start, end int // byte offsets in the text
}

const invalidByte = -1

func codepoints(text string) []cp {
	out := make([]cp, 0, len(text))
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		if r == utf8.RuneError && n <= 1 {
			out = append(out, cp{r: invalidByte, start: i, end: i + 1})
			i++
			continue
		}
		out = append(out, cp{r: r, start: i, end: i + n})
		i += n
	}
	return out
}

// llama.cpp's whitespace set (unicode_set_whitespace), which \s means here.
func isSpace(r rune) bool {
	switch r {
	case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}

func isLetter(r rune) bool { return r >= 0 && unicode.IsLetter(r) }
func isNumber(r rune) bool { return r >= 0 && unicode.IsNumber(r) }

// splitter cuts a text fragment into words; lens are code point counts of the
// pieces to refine, as in llama.cpp's unicode_regex_split offsets.
type splitter func(cps []cp, lens []int) []int

// newSplitter returns the pre-tokenizer of a tokenizer.ggml.pre name. Each is a
// hand-written equivalent of the regex llama.cpp and HF tokenizers use (Go's
// regexp has no lookahead for \s+(?!\S)).
func newSplitter(pre string) (splitter, error) {
	switch pre {
	case "gpt-2", "gpt2", "phi-2", "jina-es", "jina-de", "jina-v2-es", "jina-v2-de", "mpt", "olmo", "jais", "trillion":
		return splitGPT2, nil
	case "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva":
		// "\p{N}" first (each digit alone), then the GPT-2 regex.
		return func(cps []cp, lens []int) []int { return splitGPT2(cps, splitDigits(cps, lens)) }, nil
	case "llama-bpe", "llama3", "llama-v3", "falcon3", "pixtral", "dbrx", "smaug-bpe":
		return func(cps []cp, lens []int) []int { return splitLlama3(cps, lens, 3) }, nil
	case "qwen2", "deepseek-r1-qwen", "stablelm2":
		return func(cps []cp, lens []int) []int { return splitLlama3(cps, lens, 1) }, nil
	}
	return nil, fmt.Errorf("pre-tokenizer %q is not implemented (known: gpt-2, smollm, starcoder, llama-bpe, qwen2, ...)", pre)
}

// splitDigits isolates every \p{N} code point.
func splitDigits(cps []cp, lens []int) []int {
	var out []int
	start := 0
	for _, l := range lens {
		run := 0
		for i := start; i < start+l; i++ {
			if isNumber(cps[i].r) {
				if run > 0 {
					out = append(out, run)
					run = 0
				}
				out = append(out, 1)
			} else {
				run++
			}
		}
		if run > 0 {
			out = append(out, run)
		}
		start += l
	}
	return out
}

// fragment gives bounded access to one piece, like llama.cpp's _get_cpt/_get_flags.
type fragment struct {
	cps      []cp
	ini, end int
	prev     int
	out      []int
}

const outOfRange rune = -2

func (f *fragment) at(pos int) rune {
	if pos >= f.ini && pos < f.end {
		return f.cps[pos].r
	}
	return outOfRange
}

func (f *fragment) letter(pos int) bool { r := f.at(pos); return r != outOfRange && isLetter(r) }
func (f *fragment) number(pos int) bool { r := f.at(pos); return r != outOfRange && isNumber(r) }
func (f *fragment) space(pos int) bool  { r := f.at(pos); return r != outOfRange && isSpace(r) }

// other is [^\s\p{L}\p{N}] inside the fragment.
func (f *fragment) other(pos int) bool {
	r := f.at(pos)
	return r != outOfRange && !isSpace(r) && !isLetter(r) && !isNumber(r)
}

func (f *fragment) add(end int) int {
	n := end - f.prev
	if n > 0 {
		f.out = append(f.out, n)
	}
	f.prev = end
	return n
}

// spaces ends the piece at pos, where nws whitespace code points start, with the
// regexes' last alternatives: \s+(?!\S) (a run followed by a non-space gives up
// its last space to the next piece), \s+, or any one code point. It returns the
// new position.
func (f *fragment) spaces(pos, nws int) int {
	switch {
	case nws > 1 && f.at(pos+nws) != outOfRange:
		pos += nws - 1
	case nws > 0:
		pos += nws
	default:
		pos++
	}
	f.add(pos)
	return pos
}

func lower(r rune) rune {
	if r >= 'A' && r <= 'Z' {
		return r + 'a' - 'A'
	}
	return r
}

// contraction matches 's 't 're 've 'm 'll 'd at pos (case-insensitively when
// fold) and returns its length in code points, or 0.
func (f *fragment) contraction(pos int, fold bool) int {
	if f.at(pos) != '\'' || pos+1 >= f.end {
		return 0
	}
	c1 := f.at(pos + 1)
	if fold {
		c1 = lower(c1)
	}
	if c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd' {
		return 2
	}
	if pos+2 < f.end {
		c2 := f.at(pos + 2)
		if fold {
			c2 = lower(c2)
		}
		if c1 == 'r' && c2 == 'e' || c1 == 'v' && c2 == 'e' || c1 == 'l' && c2 == 'l' {
			return 3
		}
	}
	return 0
}

// splitGPT2 is 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// (llama.cpp's unicode_regex_split_custom_gpt2).
func splitGPT2(cps []cp, lens []int) []int {
	var out []int
	start := 0
	for _, l := range lens {
		f := &fragment{cps: cps, ini: start, end: start + l, prev: start, out: out}
		for pos := f.ini; pos < f.end; {
			if n := f.contraction(pos, false); n > 0 {
				pos += f.add(pos + n)
				continue
			}
			c := f.at(pos)
			p2 := pos // the class is decided by the character after an optional space
			if c == ' ' {
				p2 = pos + 1
			}
			switch {
			case f.letter(p2):
				pos = p2 + 1
				for f.letter(pos) {
					pos++
				}
				f.add(pos)
				continue
			case f.number(p2):
				pos = p2 + 1
				for f.number(pos) {
					pos++
				}
				f.add(pos)
				continue
			case f.other(p2):
				pos = p2 + 1
				for f.other(pos) {
					pos++
				}
				f.add(pos)
				continue
			}
			nws := 0
			for f.space(pos + nws) {
				nws++
			}
			pos = f.spaces(pos, nws)
		}
		out = f.out
		start += l
	}
	return out
}

// splitLlama3 is Llama 3's (digits = 3) and Qwen2's (digits = 1) regex:
// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,digits}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
// (llama.cpp's unicode_regex_split_custom_llama3 / _qwen2).
func splitLlama3(cps []cp, lens []int, digits int) []int {
	var out []int
	start := 0
	for _, l := range lens {
		f := &fragment{cps: cps, ini: start, end: start + l, prev: start, out: out}
		for pos := f.ini; pos < f.end; {
			if n := f.contraction(pos, true); n > 0 {
				pos += f.add(pos + n)
				continue
			}
			c := f.at(pos)
			// [^\r\n\p{L}\p{N}]?\p{L}+
			if !(c == '\r' || c == '\n' || f.number(pos)) {
				if f.letter(pos) || f.letter(pos+1) {
					pos++
					for f.letter(pos) {
						pos++
					}
					f.add(pos)
					continue
				}
			}
			// \p{N}{1,digits}
			if f.number(pos) {
				ini := pos
				for f.number(pos) {
					pos++
					if pos-ini >= digits {
						f.add(pos)
						ini = pos
					}
				}
				f.add(pos)
				continue
			}
			// <space>?[^\s\p{L}\p{N}]+[\r\n]*
			p2 := pos
			if c == ' ' {
				p2 = pos + 1
			}
			if f.other(p2) {
				pos = p2 + 1
				for f.other(pos) {
					pos++
				}
				for r := f.at(pos); r == '\r' || r == '\n'; r = f.at(pos) {
					pos++
				}
				f.add(pos)
				continue
			}
			nws, lastNL := 0, 0
			for f.space(pos + nws) {
				if r := f.at(pos + nws); r == '\r' || r == '\n' {
					lastNL = pos + nws + 1
				}
				nws++
			}
			if lastNL > 0 { // \s*[\r\n]+
				pos = lastNL
				f.add(pos)
				continue
			}
			pos = f.spaces(pos, nws)
		}
		out = f.out
		start += l
	}
	return out
}
