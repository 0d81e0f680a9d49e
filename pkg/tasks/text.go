package tasks

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds the text primitives of IFEval (Zhou et al. 2023, as shipped in
// lm-eval 0.4.13, lm_eval/tasks/ifeval/instructions*.py), rewritten with Python's
// Unicode semantics: Go's regexp classes \w, \s and \b are ASCII-only, Python's
// are not, so they are spelled out here.

// isPyWordRune is Python's re \w for str patterns: alphanumeric (letters Lu Ll
// Lt Lm Lo, numbers Nd Nl No) or underscore. Combining marks are not word
// characters, as in Python.
func isPyWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r)
}

// isPySpace is Python's str.isspace and re \s: Unicode white space plus the
// ASCII information separators U+001C..U+001F.
func isPySpace(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) }

// pyStrip is Python's str.strip() with no argument.
func pyStrip(s string) string { return strings.TrimFunc(s, isPySpace) }

// Words returns the words of text as IFEval counts them: the maximal runs of
// word characters, i.e. nltk.tokenize.RegexpTokenizer(r"\w+") with Python's
// Unicode \w. "don't" is two words, "e-mail" two, "3.5" two, "naïve" one (if
// precomposed).
func Words(text string) []string {
	var words []string
	start := -1
	for i, r := range text {
		switch {
		case isPyWordRune(r) && start < 0:
			start = i
		case !isPyWordRune(r) && start >= 0:
			words = append(words, text[start:i])
			start = -1
		}
	}
	if start >= 0 {
		words = append(words, text[start:])
	}
	return words
}

// CountWords is len(Words(text)) without allocating: IFEval's count_words.
func CountWords(text string) int {
	n, in := 0, false
	for _, r := range text {
		w := isPyWordRune(r)
		if w && !in {
			n++
		}
		in = w
	}
	return n
}

// pyClassSpace is Python's \s inside a Go character class.
const pyClassSpace = `\t\n\v\f\r \x{1c}-\x{1f}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}`

// IFEval's BulletListChecker patterns, re.MULTILINE, with Python's \s. Note that
// \s* may span blank lines and [^*] may match a newline, exactly as in Python.
var (
	bulletStar = regexp.MustCompile(`(?m)^[` + pyClassSpace + `]*\*[^*].*$`)
	bulletDash = regexp.MustCompile(`(?m)^[` + pyClassSpace + `]*-.*$`)
)

// CountBullets counts markdown bullets as IFEval does: lines starting (after
// optional white space) with "*" not followed by another "*", plus lines
// starting with "-". A "---" rule therefore counts as a bullet, and "**bold**"
// at the start of a line does not.
func CountBullets(text string) int {
	return len(bulletStar.FindAllStringIndex(text, -1)) + len(bulletDash.FindAllStringIndex(text, -1))
}

// pyIsLower is Python's str.islower: at least one cased character and no
// upper-case or title-case one. It returns the first offending rune and its byte
// offset when there is one, or -1.
func pyIsLower(s string) (ok bool, bad rune, at int) {
	cased := false
	for i, r := range s {
		switch {
		case unicode.IsUpper(r) || unicode.Is(unicode.Other_Uppercase, r) || unicode.IsTitle(r):
			return false, r, i
		case unicode.IsLower(r) || unicode.Is(unicode.Other_Lowercase, r):
			cased = true
		}
	}
	return cased, 0, -1
}

// findFold returns the byte offset of the first case-insensitive occurrence of
// needle in hay for which accept(start, end) holds, or -1. Matching uses simple
// Unicode case folding, as Python's re.IGNORECASE does.
func findFold(hay, needle string, accept func(start, end int) bool) int {
	if needle == "" {
		return -1
	}
	re := regexp.MustCompile(`(?i)` + regexp.QuoteMeta(needle))
	for off := 0; off <= len(hay); {
		loc := re.FindStringIndex(hay[off:])
		if loc == nil {
			return -1
		}
		s, e := off+loc[0], off+loc[1]
		if accept == nil || accept(s, e) {
			return s
		}
		// Retry one rune later: an overlapping occurrence may satisfy accept.
		_, size := utf8.DecodeRuneInString(hay[s:])
		off = s + max(size, 1)
	}
	return -1
}

// atWordBoundary is Python's \b at byte offset i of s (Unicode \w).
func atWordBoundary(s string, i int) bool {
	before, after := false, false
	if i > 0 {
		r, _ := utf8.DecodeLastRuneInString(s[:i])
		before = isPyWordRune(r)
	}
	if i < len(s) {
		r, _ := utf8.DecodeRuneInString(s[i:])
		after = isPyWordRune(r)
	}
	return before != after
}

// snippet returns about n runes of s around byte offset at, for reasons.
func snippet(s string, at, n int) string {
	start := at
	for k := 0; k < n/2 && start > 0; k++ {
		_, size := utf8.DecodeLastRuneInString(s[:start])
		start -= size
	}
	end := at
	for k := 0; k < n && end < len(s); k++ {
		_, size := utf8.DecodeRuneInString(s[end:])
		end += size
	}
	out := strings.Join(strings.Fields(s[start:end]), " ")
	if start > 0 {
		out = "…" + out
	}
	if end < len(s) {
		out += "…"
	}
	return out
}
