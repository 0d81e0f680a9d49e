package jinja

import (
	"fmt"
	"strings"
)

// maxParseDepth bounds the nesting of blocks and expressions, so a hostile
// template cannot exhaust the stack while it is parsed or rendered.
const maxParseDepth = 200

type parser struct {
	name  string
	toks  []token
	pos   int
	depth int
}

func (p *parser) cur() token  { return p.toks[p.pos] }
func (p *parser) peek() token { return p.toks[min(p.pos+1, len(p.toks)-1)] }
func (p *parser) next() token {
	t := p.toks[p.pos]
	if p.pos < len(p.toks)-1 {
		p.pos++
	}
	return t
}

func (p *parser) errorf(line int, format string, args ...any) error {
	return &Error{Template: p.name, Line: line, Msg: fmt.Sprintf(format, args...), Err: ErrSyntax}
}

// fail aborts parsing; parse recovers it into an error.
type parseFail struct{ err error }

func (p *parser) fail(line int, format string, args ...any) {
	panic(parseFail{p.errorf(line, format, args...)})
}

func (p *parser) isOp(v string) bool   { t := p.cur(); return t.kind == tOp && t.val == v }
func (p *parser) isName(v string) bool { t := p.cur(); return t.kind == tName && t.val == v }

func (p *parser) expectOp(v string) token {
	t := p.cur()
	if t.kind != tOp || t.val != v {
		p.fail(t.line, "expected %q, got %s", v, t.describe())
	}
	return p.next()
}

func (p *parser) expectKind(k tokKind) token {
	t := p.cur()
	if t.kind != k {
		p.fail(t.line, "expected %s, got %s", k, t.describe())
	}
	return p.next()
}

func (p *parser) expectName() string { return p.expectKind(tName).val }

func (p *parser) enter(line int) {
	p.depth++
	if p.depth > maxParseDepth {
		p.fail(line, "nesting deeper than %d", maxParseDepth)
	}
}
func (p *parser) leave() { p.depth-- }

func parse(name string, toks []token) (body []stmt, err error) {
	p := &parser{name: name, toks: toks}
	defer func() {
		if r := recover(); r != nil {
			pf, ok := r.(parseFail)
			if !ok { // a bug here: report it, never crash the caller
				pf.err = &Error{Template: name, Line: p.cur().line, Msg: fmt.Sprintf("internal error: %v", r), Err: ErrSyntax}
			}
			err = pf.err
		}
	}()
	body, end := p.stmts()
	if end != "" {
		p.fail(p.cur().line, "unexpected {%% %s %%}", end)
	}
	return body, nil
}

// stmts parses statements until EOF or a block tag whose keyword is one of
// the enders; it returns that keyword (the tag's remaining tokens unread).
func (p *parser) stmts(enders ...string) ([]stmt, string) {
	var out []stmt
	for {
		t := p.cur()
		switch t.kind {
		case tEOF:
			if len(enders) > 0 {
				p.fail(t.line, "unexpected end of template, expected {%% %s %%}", strings.Join(enders, " %} or {% "))
			}
			return out, ""
		case tText:
			p.next()
			out = append(out, &textStmt{line: t.line, text: t.val})
		case tVarBegin:
			p.next()
			e := p.tuple()
			p.expectKind(tVarEnd)
			out = append(out, &outputStmt{line: t.line, expr: e})
		case tBlockBegin:
			kw := p.peek()
			if kw.kind != tName {
				p.fail(kw.line, "expected a statement keyword, got %s", kw.describe())
			}
			for _, e := range enders {
				if kw.val == e {
					p.next()
					p.next()
					return out, e
				}
			}
			p.next()
			p.next()
			out = append(out, p.statement(kw))
		default:
			p.fail(t.line, "unexpected %s", t.describe())
		}
	}
}

func (p *parser) endTag() { p.expectKind(tBlockEnd) }

func (p *parser) statement(kw token) stmt {
	p.enter(kw.line)
	defer p.leave()
	switch kw.val {
	case "if":
		return p.ifStmt(kw.line)
	case "for":
		return p.forStmt(kw.line)
	case "set":
		return p.setStmt(kw.line)
	case "macro":
		return p.macroStmt(kw.line)
	case "filter":
		fb := &filterBlock{line: kw.line}
		fb.filters = p.filterChain(nil)
		p.endTag()
		fb.body, _ = p.stmts("endfilter")
		p.endTag()
		return fb
	case "break", "continue":
		p.endTag()
		return &loopCtl{line: kw.line, brk: kw.val == "break"}
	case "generation":
		// transformers' AssistantTracker extension: renders its body unchanged.
		p.endTag()
		body, _ := p.stmts("endgeneration")
		p.endTag()
		return &ifStmt{line: kw.line, conds: []expr{&constExpr{line: kw.line, val: true}}, bodies: [][]stmt{body}}
	case "include", "import", "from", "extends", "block":
		p.fail(kw.line, "{%% %s %%} is not allowed: templates cannot load other templates (sandbox)", kw.val)
	}
	p.fail(kw.line, "unknown statement {%% %s %%}", kw.val)
	return nil
}

func (p *parser) ifStmt(line int) stmt {
	s := &ifStmt{line: line}
	for {
		s.conds = append(s.conds, p.expression(true))
		p.endTag()
		body, end := p.stmts("elif", "else", "endif")
		s.bodies = append(s.bodies, body)
		switch end {
		case "elif":
			continue
		case "else":
			p.endTag()
			s.els, _ = p.stmts("endif")
		}
		p.endTag()
		return s
	}
}

func (p *parser) forStmt(line int) stmt {
	s := &forStmt{line: line}
	for {
		s.target = append(s.target, p.expectName())
		if !p.isOp(",") {
			break
		}
		p.next()
	}
	if !p.isName("in") {
		p.fail(p.cur().line, "expected 'in' in for loop, got %s", p.cur().describe())
	}
	p.next()
	s.iter = p.tupleNoCond()
	if p.isName("if") {
		p.next()
		s.filter = p.expression(true)
	}
	if p.isName("recursive") {
		p.fail(p.cur().line, "recursive for loops are not supported")
	}
	p.endTag()
	body, end := p.stmts("else", "endfor")
	s.body = body
	if end == "else" {
		p.endTag()
		s.els, _ = p.stmts("endfor")
	}
	p.endTag()
	return s
}

func (p *parser) setStmt(line int) stmt {
	s := &setStmt{line: line}
	s.target = append(s.target, p.expectName())
	if p.isOp(".") {
		p.next()
		s.attr = p.expectName()
	} else {
		for p.isOp(",") {
			p.next()
			s.target = append(s.target, p.expectName())
		}
	}
	if p.isOp("=") {
		p.next()
		s.value = p.tuple()
		p.endTag()
		return s
	}
	if s.attr != "" || len(s.target) != 1 {
		p.fail(line, "block set needs a single name")
	}
	if p.isOp("|") {
		s.filters = p.filterChain(nil)
	}
	p.endTag()
	s.body, _ = p.stmts("endset")
	p.endTag()
	return s
}

func (p *parser) macroStmt(line int) stmt {
	s := &macroStmt{line: line, name: p.expectName()}
	p.expectOp("(")
	for !p.isOp(")") {
		if len(s.params) > 0 {
			p.expectOp(",")
			if p.isOp(")") {
				break
			}
		}
		s.params = append(s.params, p.expectName())
		var def expr
		if p.isOp("=") {
			p.next()
			def = p.expression(true)
		}
		s.defaults = append(s.defaults, def)
	}
	p.next()
	p.endTag()
	s.body, _ = p.stmts("endmacro")
	p.endTag()
	return s
}

// filterChain parses "|name(args)|name..." (the first "|" optional when obj is nil).
func (p *parser) filterChain(obj expr) []*filterExpr {
	var out []*filterExpr
	first := true
	for {
		if p.isOp("|") {
			p.next()
		} else if !first || !(p.cur().kind == tName) {
			return out
		}
		first = false
		f := p.filterCall(obj)
		out = append(out, f)
		obj = nil
	}
}

func (p *parser) filterCall(obj expr) *filterExpr {
	t := p.cur()
	name := p.dottedName()
	f := &filterExpr{line: t.line, obj: obj, name: name}
	if p.isOp("(") {
		f.args, f.kwNames, f.kwVals = p.callArgs()
	}
	return f
}

func (p *parser) dottedName() string {
	name := p.expectName()
	for p.isOp(".") {
		p.next()
		name += "." + p.expectName()
	}
	return name
}

// tuple parses an expression, or a bare tuple "a, b" as Jinja allows in {{ }} and set.
func (p *parser) tuple() expr { return p.tupleImpl(true) }

func (p *parser) tupleNoCond() expr { return p.tupleImpl(false) }

func (p *parser) tupleImpl(withCond bool) expr {
	line := p.cur().line
	first := p.expression(withCond)
	if !p.isOp(",") {
		return first
	}
	items := []expr{first}
	for p.isOp(",") {
		p.next()
		if p.cur().kind == tBlockEnd || p.cur().kind == tVarEnd || p.isName("if") {
			break
		}
		items = append(items, p.expression(withCond))
	}
	return &listExpr{line: line, items: items, tuple: true}
}

func (p *parser) expression(withCond bool) expr {
	p.enter(p.cur().line)
	defer p.leave()
	e := p.or()
	if withCond {
		for p.isName("if") {
			line := p.next().line
			cond := p.or()
			var els expr
			if p.isName("else") {
				p.next()
				els = p.expression(true)
			}
			e = &condExpr{line: line, cond: cond, then: e, els: els}
		}
	}
	return e
}

func (p *parser) or() expr {
	e := p.and()
	for p.isName("or") {
		line := p.next().line
		e = &binExpr{line: line, op: "or", l: e, r: p.and()}
	}
	return e
}

func (p *parser) and() expr {
	e := p.not()
	for p.isName("and") {
		line := p.next().line
		e = &binExpr{line: line, op: "and", l: e, r: p.not()}
	}
	return e
}

func (p *parser) not() expr {
	if p.isName("not") {
		line := p.next().line
		p.enter(line)
		defer p.leave()
		return &unaryExpr{line: line, op: "not", x: p.not()}
	}
	return p.compare()
}

func (p *parser) compare() expr {
	e := p.math1()
	for {
		t := p.cur()
		var op string
		switch {
		case t.kind == tOp && (t.val == "==" || t.val == "!=" || t.val == "<" || t.val == "<=" || t.val == ">" || t.val == ">="):
			op = t.val
			p.next()
		case p.isName("in"):
			op = "in"
			p.next()
		case p.isName("not") && p.peek().kind == tName && p.peek().val == "in":
			op = "notin"
			p.next()
			p.next()
		default:
			return e
		}
		e = &binExpr{line: t.line, op: op, l: e, r: p.math1()}
	}
}

func (p *parser) math1() expr {
	e := p.concat()
	for p.isOp("+") || p.isOp("-") {
		t := p.next()
		e = &binExpr{line: t.line, op: t.val, l: e, r: p.concat()}
	}
	return e
}

func (p *parser) concat() expr {
	e := p.math2()
	for p.isOp("~") {
		t := p.next()
		e = &binExpr{line: t.line, op: "~", l: e, r: p.math2()}
	}
	return e
}

func (p *parser) math2() expr {
	e := p.pow()
	for p.isOp("*") || p.isOp("/") || p.isOp("//") || p.isOp("%") {
		t := p.next()
		e = &binExpr{line: t.line, op: t.val, l: e, r: p.pow()}
	}
	return e
}

func (p *parser) pow() expr {
	e := p.unary(true)
	for p.isOp("**") {
		t := p.next()
		e = &binExpr{line: t.line, op: "**", l: e, r: p.unary(true)}
	}
	return e
}

func (p *parser) unary(withFilter bool) expr {
	var e expr
	if p.isOp("-") || p.isOp("+") {
		t := p.next()
		p.enter(t.line)
		e = &unaryExpr{line: t.line, op: t.val, x: p.unary(false)}
		p.leave()
	} else {
		e = p.primary()
	}
	e = p.postfix(e)
	if withFilter {
		e = p.filterExpr(e)
	}
	return e
}

func (p *parser) filterExpr(e expr) expr {
	for {
		switch {
		case p.isOp("|"):
			p.next()
			e = p.filterCall(e)
		case p.isName("is"):
			e = p.test(e)
		case p.isOp("("):
			e = p.call(e)
		default:
			return e
		}
	}
}

func (p *parser) test(obj expr) expr {
	line := p.next().line
	t := &testExpr{line: line, obj: obj}
	if p.isName("not") {
		p.next()
		t.neg = true
	}
	t.name = p.dottedName()
	c := p.cur()
	switch {
	case p.isOp("("):
		args, kwn, _ := p.callArgs()
		if len(kwn) > 0 {
			p.fail(line, "test %q takes no keyword arguments", t.name)
		}
		t.args = args
	case (c.kind == tName || c.kind == tString || c.kind == tInt || c.kind == tFloat || p.isOp("[") || p.isOp("{")) &&
		!p.isName("else") && !p.isName("or") && !p.isName("and") && !p.isName("if") && !p.isName("in") && !p.isName("is") && !p.isName("not"):
		a := p.postfix(p.primary())
		t.args = []expr{a}
	}
	return t
}

func (p *parser) postfix(e expr) expr {
	for {
		switch {
		case p.isOp("."):
			t := p.next()
			n := p.cur()
			switch n.kind {
			case tName:
				p.next()
				e = &attrExpr{line: t.line, obj: e, name: n.val}
			case tInt:
				p.next()
				e = &indexExpr{line: t.line, obj: e, index: &constExpr{line: n.line, val: n.ival}}
			default:
				p.fail(n.line, "expected attribute name after '.', got %s", n.describe())
			}
		case p.isOp("["):
			e = p.subscript(e)
		case p.isOp("("):
			e = p.call(e)
		default:
			return e
		}
	}
}

func (p *parser) subscript(obj expr) expr {
	line := p.next().line
	p.enter(line)
	defer p.leave()
	var parts [3]expr
	colons := 0
	for {
		if p.isOp("]") {
			break
		}
		if p.isOp(":") {
			p.next()
			colons++
			if colons > 2 {
				p.fail(line, "too many ':' in slice")
			}
			continue
		}
		if parts[colons] != nil {
			p.fail(p.cur().line, "expected ']' or ':' in subscript, got %s", p.cur().describe())
		}
		parts[colons] = p.expression(true)
	}
	p.next()
	if colons == 0 {
		if parts[0] == nil {
			p.fail(line, "empty subscript")
		}
		return &indexExpr{line: line, obj: obj, index: parts[0]}
	}
	return &sliceExpr{line: line, obj: obj, start: parts[0], stop: parts[1], step: parts[2]}
}

func (p *parser) call(fn expr) expr {
	line := p.cur().line
	args, kwn, kwv := p.callArgs()
	return &callExpr{line: line, fn: fn, args: args, kwNames: kwn, kwVals: kwv}
}

// callArgs parses "(a, b, k=v)".
func (p *parser) callArgs() (args []expr, kwNames []string, kwVals []expr) {
	line := p.expectOp("(").line
	p.enter(line)
	defer p.leave()
	for !p.isOp(")") {
		if len(args)+len(kwNames) > 0 {
			p.expectOp(",")
			if p.isOp(")") {
				break
			}
		}
		if p.isOp("*") || p.isOp("**") {
			p.fail(p.cur().line, "*args and **kwargs are not supported")
		}
		if p.cur().kind == tName && p.peek().kind == tOp && p.peek().val == "=" {
			kwNames = append(kwNames, p.next().val)
			p.next()
			kwVals = append(kwVals, p.expression(true))
			continue
		}
		if len(kwNames) > 0 {
			p.fail(p.cur().line, "positional argument after keyword argument")
		}
		args = append(args, p.expression(true))
	}
	p.next()
	return
}

func (p *parser) primary() expr {
	t := p.cur()
	switch t.kind {
	case tName:
		p.next()
		switch t.val {
		case "true", "True":
			return &constExpr{line: t.line, val: true}
		case "false", "False":
			return &constExpr{line: t.line, val: false}
		case "none", "None":
			return &constExpr{line: t.line, val: nil}
		}
		return &nameExpr{line: t.line, name: t.val}
	case tString:
		p.next()
		s := t.val
		for p.cur().kind == tString { // adjacent literals concatenate
			s += p.next().val
		}
		return &constExpr{line: t.line, val: s}
	case tInt:
		p.next()
		return &constExpr{line: t.line, val: t.ival}
	case tFloat:
		p.next()
		return &constExpr{line: t.line, val: t.fval}
	case tOp:
		switch t.val {
		case "(":
			p.next()
			p.enter(t.line)
			defer p.leave()
			if p.isOp(")") {
				p.next()
				return &listExpr{line: t.line, tuple: true}
			}
			e := p.expression(true)
			if p.isOp(",") {
				items := []expr{e}
				for p.isOp(",") {
					p.next()
					if p.isOp(")") {
						break
					}
					items = append(items, p.expression(true))
				}
				e = &listExpr{line: t.line, items: items, tuple: true}
			}
			p.expectOp(")")
			return e
		case "[":
			p.next()
			p.enter(t.line)
			defer p.leave()
			l := &listExpr{line: t.line}
			for !p.isOp("]") {
				if len(l.items) > 0 {
					p.expectOp(",")
					if p.isOp("]") {
						break
					}
				}
				l.items = append(l.items, p.expression(true))
			}
			p.next()
			return l
		case "{":
			p.next()
			p.enter(t.line)
			defer p.leave()
			d := &dictExpr{line: t.line}
			for !p.isOp("}") {
				if len(d.keys) > 0 {
					p.expectOp(",")
					if p.isOp("}") {
						break
					}
				}
				d.keys = append(d.keys, p.expression(true))
				p.expectOp(":")
				d.vals = append(d.vals, p.expression(true))
			}
			p.next()
			return d
		}
	}
	p.fail(t.line, "unexpected %s in expression", t.describe())
	return nil
}
