package jinja

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind is the kind of a lexical token.
type tokKind int

const (
	tEOF tokKind = iota
	tText
	tVarBegin
	tVarEnd
	tBlockBegin
	tBlockEnd
	tName
	tString
	tInt
	tFloat
	tOp
)

var tokNames = [...]string{"end of template", "text", "'{{'", "'}}'", "'{%'", "'%}'", "name", "string", "integer", "float", "operator"}

func (k tokKind) String() string { return tokNames[k] }

type token struct {
	kind tokKind
	val  string // text, name, operator, or decoded string literal
	ival int64
	fval float64
	line int
}

func (t token) describe() string {
	switch t.kind {
	case tName, tOp:
		return fmt.Sprintf("%q", t.val)
	case tString:
		return "string literal"
	case tInt, tFloat:
		return "number"
	}
	return t.kind.String()
}

// lexer turns template source into tokens, applying Jinja's whitespace control
// (trim_blocks, lstrip_blocks, '-' and '+' modifiers) to the text tokens.
type lexer struct {
	name         string
	src          string
	pos          int
	line         int
	trimBlocks   bool
	lstripBlocks bool
	lineStarting bool // the previous tag ended with a newline (Jinja's line_starting)
	toks         []token
}

func lex(name, src string, opts ParseOptions) ([]token, error) {
	lx := &lexer{name: name, src: src, line: 1, trimBlocks: opts.TrimBlocks, lstripBlocks: opts.LstripBlocks, lineStarting: true}
	if err := lx.run(); err != nil {
		return nil, err
	}
	lx.toks = append(lx.toks, token{kind: tEOF, line: lx.line})
	return lx.toks, nil
}

func (lx *lexer) errorf(format string, args ...any) error {
	return &Error{Template: lx.name, Line: lx.line, Msg: fmt.Sprintf(format, args...), Err: ErrSyntax}
}

func (lx *lexer) emitText(s string) {
	if s != "" {
		lx.toks = append(lx.toks, token{kind: tText, val: s, line: lx.line})
	}
	lx.line += strings.Count(s, "\n")
}

// nextTag finds the next "{{", "{%" or "{#" at or after pos.
func (lx *lexer) nextTag() int {
	for i := lx.pos; ; {
		j := strings.IndexByte(lx.src[i:], '{')
		if j < 0 || i+j+1 >= len(lx.src) {
			return -1
		}
		switch lx.src[i+j+1] {
		case '{', '%', '#':
			return i + j
		}
		i += j + 1
	}
}

func (lx *lexer) run() error {
	for lx.pos < len(lx.src) {
		at := lx.nextTag()
		if at < 0 {
			lx.emitText(lx.src[lx.pos:])
			lx.pos = len(lx.src)
			return nil
		}
		kind := lx.src[at+1]
		mod := byte(0)
		if at+2 < len(lx.src) && (lx.src[at+2] == '-' || lx.src[at+2] == '+') {
			mod = lx.src[at+2]
		}
		text := lx.src[lx.pos:at]
		switch {
		case mod == '-':
			text = strings.TrimRightFunc(text, unicode.IsSpace)
		case mod != '+' && lx.lstripBlocks && kind != '{':
			lpos := strings.LastIndexByte(text, '\n') + 1
			if lpos > 0 || lx.lineStarting {
				if rest := text[lpos:]; rest != "" && strings.TrimLeftFunc(rest, unicode.IsSpace) == "" {
					text = text[:lpos]
				}
			}
		}
		if text != "" {
			lx.toks = append(lx.toks, token{kind: tText, val: text, line: lx.line})
		}
		lx.line += strings.Count(lx.src[lx.pos:at], "\n")
		lx.pos = at + 2
		if mod != 0 {
			lx.pos++
		}
		lx.lineStarting = false
		var err error
		switch kind {
		case '#':
			err = lx.comment()
		case '%':
			if lx.tryRaw() {
				err = lx.raw()
			} else {
				lx.toks = append(lx.toks, token{kind: tBlockBegin, line: lx.line})
				err = lx.inside("%}", tBlockEnd)
			}
		case '{':
			lx.toks = append(lx.toks, token{kind: tVarBegin, line: lx.line})
			err = lx.inside("}}", tVarEnd)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// afterEnd applies the end-of-tag whitespace rules: "-" strips all following
// whitespace, trim_blocks (for blocks and comments, unless "+") drops one newline.
func (lx *lexer) afterEnd(mod byte, isBlock bool) {
	start := lx.pos
	switch {
	case mod == '-':
		rest := strings.TrimLeftFunc(lx.src[lx.pos:], unicode.IsSpace)
		lx.pos = len(lx.src) - len(rest)
	case mod != '+' && isBlock && lx.trimBlocks:
		if lx.pos < len(lx.src) && lx.src[lx.pos] == '\n' {
			lx.pos++
		}
	}
	skipped := lx.src[start:lx.pos]
	lx.line += strings.Count(skipped, "\n")
	lx.lineStarting = strings.HasSuffix(skipped, "\n")
}

func (lx *lexer) comment() error {
	end := strings.Index(lx.src[lx.pos:], "#}")
	if end < 0 {
		return lx.errorf("unterminated comment")
	}
	body := lx.src[lx.pos : lx.pos+end]
	mod := byte(0)
	if n := len(body); n > 0 && (body[n-1] == '-' || body[n-1] == '+') {
		mod = body[n-1]
	}
	lx.line += strings.Count(body, "\n")
	lx.pos += end + 2
	lx.afterEnd(mod, true)
	return nil
}

// tryRaw reports whether the block tag at pos is "raw".
func (lx *lexer) tryRaw() bool {
	rest := strings.TrimLeft(lx.src[lx.pos:], " \t\r\n")
	if !strings.HasPrefix(rest, "raw") {
		return false
	}
	rest = strings.TrimLeft(rest[3:], " \t\r\n")
	return strings.HasPrefix(rest, "%}") || strings.HasPrefix(rest, "-%}") || strings.HasPrefix(rest, "+%}")
}

func (lx *lexer) raw() error {
	i := lx.pos + strings.Index(lx.src[lx.pos:], "raw") + 3
	i += len(lx.src[i:]) - len(strings.TrimLeft(lx.src[i:], " \t\r\n"))
	mod := byte(0)
	if lx.src[i] != '%' {
		mod = lx.src[i]
		i++
	}
	lx.line += strings.Count(lx.src[lx.pos:i], "\n")
	lx.pos = i + 2
	lx.afterEnd(mod, true)
	// Find {% endraw %} with optional modifiers.
	for search := lx.pos; ; {
		j := strings.Index(lx.src[search:], "{%")
		if j < 0 {
			return lx.errorf("missing endraw")
		}
		k := search + j + 2
		emod := byte(0)
		if k < len(lx.src) && (lx.src[k] == '-' || lx.src[k] == '+') {
			emod = lx.src[k]
			k++
		}
		rest := strings.TrimLeft(lx.src[k:], " \t\r\n")
		if !strings.HasPrefix(rest, "endraw") {
			search = search + j + 2
			continue
		}
		after := strings.TrimLeft(rest[6:], " \t\r\n")
		tmod := byte(0)
		if after != "" && (after[0] == '-' || after[0] == '+') {
			tmod = after[0]
			after = after[1:]
		}
		if !strings.HasPrefix(after, "%}") {
			return lx.errorf("malformed endraw tag")
		}
		body := lx.src[lx.pos : search+j]
		if emod == '-' {
			body = strings.TrimRightFunc(body, unicode.IsSpace)
		}
		lx.emitText(body)
		endAt := len(lx.src) - len(after) + 2
		lx.line += strings.Count(lx.src[lx.pos+len(body):endAt], "\n")
		lx.pos = endAt
		lx.afterEnd(tmod, true)
		return nil
	}
}

// threeOps and twoOps are the multi-character operators, longest first.
var twoOps = []string{"//", "**", "==", "!=", ">=", "<="}

const oneOps = "+-*/%~<>=.,:|()[]{}"

// inside lexes the expression tokens of a tag until its end marker ("}}" or
// "%}", optionally preceded by '-' or '+'), which only counts when brackets are balanced.
func (lx *lexer) inside(end string, endKind tokKind) error {
	depth := 0
	startLine := lx.line
	for {
		// Skip whitespace.
		for lx.pos < len(lx.src) {
			c := lx.src[lx.pos]
			if c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' {
				break
			}
			if c == '\n' {
				lx.line++
			}
			lx.pos++
		}
		if lx.pos >= len(lx.src) {
			return &Error{Template: lx.name, Line: startLine, Msg: fmt.Sprintf("unterminated tag: missing %q", end), Err: ErrSyntax}
		}
		rest := lx.src[lx.pos:]
		if depth == 0 {
			mod := byte(0)
			r := rest
			if r[0] == '-' || r[0] == '+' {
				mod, r = r[0], r[1:]
			}
			if strings.HasPrefix(r, end) {
				lx.toks = append(lx.toks, token{kind: endKind, line: lx.line})
				lx.pos += len(rest) - len(r) + len(end)
				lx.afterEnd(mod, endKind == tBlockEnd)
				return nil
			}
		}
		c := rest[0]
		switch {
		case c == '_' || isASCIILetter(c):
			n := 1
			for n < len(rest) && (rest[n] == '_' || isASCIILetter(rest[n]) || isDigit(rest[n])) {
				n++
			}
			lx.toks = append(lx.toks, token{kind: tName, val: rest[:n], line: lx.line})
			lx.pos += n
		case isDigit(c):
			if err := lx.number(); err != nil {
				return err
			}
		case c == '\'' || c == '"':
			if err := lx.str(); err != nil {
				return err
			}
		default:
			op := ""
			for _, o := range twoOps {
				if strings.HasPrefix(rest, o) {
					op = o
					break
				}
			}
			if op == "" && strings.IndexByte(oneOps, c) >= 0 {
				op = rest[:1]
			}
			if op == "" {
				r, _ := utf8.DecodeRuneInString(rest)
				return lx.errorf("unexpected character %q in tag", r)
			}
			switch op {
			case "(", "[", "{":
				depth++
			case ")", "]", "}":
				if depth == 0 {
					return lx.errorf("unexpected %q", op)
				}
				depth--
			}
			lx.toks = append(lx.toks, token{kind: tOp, val: op, line: lx.line})
			lx.pos += len(op)
		}
	}
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool       { return c >= '0' && c <= '9' }

func (lx *lexer) number() error {
	rest := lx.src[lx.pos:]
	n := 0
	digits := func() {
		for n < len(rest) && (isDigit(rest[n]) || rest[n] == '_' && n+1 < len(rest) && isDigit(rest[n+1])) {
			n++
		}
	}
	digits()
	isFloat := false
	if n+1 < len(rest) && rest[n] == '.' && isDigit(rest[n+1]) {
		isFloat = true
		n++
		digits()
	}
	if n < len(rest) && (rest[n] == 'e' || rest[n] == 'E') {
		m := n + 1
		if m < len(rest) && (rest[m] == '+' || rest[m] == '-') {
			m++
		}
		if m < len(rest) && isDigit(rest[m]) {
			isFloat = true
			n = m
			digits()
		}
	}
	lit := strings.ReplaceAll(rest[:n], "_", "")
	tok := token{line: lx.line, val: lit}
	if isFloat {
		f, err := strconv.ParseFloat(lit, 64)
		if err != nil {
			return lx.errorf("bad float literal %q", lit)
		}
		tok.kind, tok.fval = tFloat, f
	} else {
		v, err := strconv.ParseInt(lit, 10, 64)
		if err != nil {
			return lx.errorf("integer literal %q out of range", lit)
		}
		tok.kind, tok.ival = tInt, v
	}
	lx.toks = append(lx.toks, tok)
	lx.pos += n
	return nil
}

// str lexes a quoted string literal with Python escape sequences.
func (lx *lexer) str() error {
	q := lx.src[lx.pos]
	var b strings.Builder
	i := lx.pos + 1
	line := lx.line
	for {
		if i >= len(lx.src) {
			return &Error{Template: lx.name, Line: line, Msg: "unterminated string literal", Err: ErrSyntax}
		}
		c := lx.src[i]
		if c == q {
			i++
			break
		}
		if c == '\n' {
			lx.line++
		}
		if c != '\\' || i+1 >= len(lx.src) {
			b.WriteByte(c)
			i++
			continue
		}
		e := lx.src[i+1]
		i += 2
		switch e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '0':
			b.WriteByte(0)
		case 'a':
			b.WriteByte(7)
		case 'b':
			b.WriteByte(8)
		case 'f':
			b.WriteByte(12)
		case 'v':
			b.WriteByte(11)
		case '\\', '\'', '"':
			b.WriteByte(e)
		case '\n':
			lx.line++ // line continuation
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			if i+n > len(lx.src) {
				return lx.errorf("truncated \\%c escape", e)
			}
			v, err := strconv.ParseUint(lx.src[i:i+n], 16, 32)
			if err != nil || v > unicode.MaxRune {
				return lx.errorf("bad \\%c escape %q", e, lx.src[i:i+n])
			}
			b.WriteRune(rune(v))
			i += n
		default:
			b.WriteByte('\\')
			b.WriteByte(e)
		}
	}
	lx.toks = append(lx.toks, token{kind: tString, val: b.String(), line: line})
	lx.pos = i
	return nil
}
