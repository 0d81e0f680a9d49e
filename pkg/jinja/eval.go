package jinja

import (
	"context"
	"fmt"
	"html"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// renderer is the state of one Render: output, budgets, current line.
type renderer struct {
	tmpl  *Template
	ctx   context.Context
	lim   Limits
	now   func() time.Time
	out   *strings.Builder
	steps int64
	loops int64
	depth int
	line  int
}

// renderFail carries an error out of the evaluator; Render recovers it.
type renderFail struct{ err error }

func (r *renderer) fail(line int, sentinel error, format string, args ...any) {
	if line == 0 {
		line = r.line
	}
	panic(renderFail{&Error{Template: r.tmpl.name, Line: line, Msg: fmt.Sprintf(format, args...), Err: sentinel}})
}

// step charges one unit of work and checks the budgets.
func (r *renderer) step(line int) {
	r.line = line
	r.steps++
	if r.steps > r.lim.MaxSteps {
		r.fail(line, ErrLimit, "step budget of %d exhausted", r.lim.MaxSteps)
	}
	if r.steps&1023 == 0 {
		if err := r.ctx.Err(); err != nil {
			r.fail(line, ErrLimit, "stopped: %v", err)
		}
	}
}

// charge adds work proportional to the size of what an operation touches,
// so that a few steps over huge values cannot run for long.
func (r *renderer) charge(n int) {
	if n <= 0 {
		return
	}
	r.steps += int64(n)
	if r.steps > r.lim.MaxSteps {
		r.fail(0, ErrLimit, "step budget of %d exhausted", r.lim.MaxSteps)
	}
	if err := r.ctx.Err(); err != nil {
		r.fail(0, ErrLimit, "stopped: %v", err)
	}
}

// checkSize fails when a string or list being built exceeds the output limit,
// and charges for building it.
func (r *renderer) checkSize(n int) {
	if n > r.lim.MaxOutputBytes || n < 0 {
		r.fail(0, ErrLimit, "value of size %d exceeds the output limit of %d bytes", n, r.lim.MaxOutputBytes)
	}
	r.charge(n / 64)
}

func (r *renderer) write(s string) {
	r.checkSize(r.out.Len() + len(s))
	r.out.WriteString(s)
}

// frame is a variable scope.
type frame struct {
	vars   map[string]any
	parent *frame
}

func (f *frame) lookup(name string) (any, bool) {
	for ; f != nil; f = f.parent {
		if v, ok := f.vars[name]; ok {
			return v, true
		}
	}
	return nil, false
}

func (f *frame) child() *frame { return &frame{vars: map[string]any{}, parent: f} }

// control is how a statement list finished.
type control int

const (
	ctlNone control = iota
	ctlBreak
	ctlContinue
)

func (r *renderer) execBody(body []stmt, f *frame) control {
	for _, s := range body {
		if c := r.exec(s, f); c != ctlNone {
			return c
		}
	}
	return ctlNone
}

func (r *renderer) exec(s stmt, f *frame) control {
	r.step(s.stmtLine())
	switch s := s.(type) {
	case *textStmt:
		r.write(s.text)
	case *outputStmt:
		r.write(pyStr(r.eval(s.expr, f)))
	case *ifStmt:
		for i, c := range s.conds {
			if truthy(r.eval(c, f)) {
				return r.execBody(s.bodies[i], f)
			}
		}
		return r.execBody(s.els, f)
	case *forStmt:
		r.execFor(s, f)
	case *setStmt:
		r.execSet(s, f)
	case *macroStmt:
		f.vars[s.name] = &macro{def: s, closure: f}
	case *filterBlock:
		v := any(r.capture(s.body, f))
		for _, flt := range s.filters {
			v = r.applyFilter(flt, v, f)
		}
		r.write(pyStr(v))
	case *loopCtl:
		if s.brk {
			return ctlBreak
		}
		return ctlContinue
	}
	return ctlNone
}

// capture renders body into a string instead of the output.
func (r *renderer) capture(body []stmt, f *frame) string {
	saved := r.out
	var b strings.Builder
	r.out = &b
	defer func() { r.out = saved }()
	r.execBody(body, f)
	return b.String()
}

func (r *renderer) execSet(s *setStmt, f *frame) {
	var v any
	if s.body != nil || s.value == nil {
		v = r.capture(s.body, f)
		for _, flt := range s.filters {
			v = r.applyFilter(flt, v, f)
		}
	} else {
		v = r.eval(s.value, f)
	}
	if s.attr != "" {
		obj, _ := f.lookup(s.target[0])
		ns, ok := obj.(*namespace)
		if !ok {
			r.fail(s.line, ErrSandbox, "cannot assign attribute %q on %s %q: only namespace() objects are mutable", s.attr, typeName(obj), s.target[0])
		}
		ns.d.Set(s.attr, v)
		return
	}
	if len(s.target) == 1 {
		f.vars[s.target[0]] = v
		return
	}
	items := r.unpack(v, len(s.target), s.line)
	for i, n := range s.target {
		f.vars[n] = items[i]
	}
}

func (r *renderer) unpack(v any, n, line int) []any {
	items, ok := plain(v).([]any)
	if !ok || len(items) != n {
		r.fail(line, ErrRender, "cannot unpack %s into %d names", typeName(v), n)
	}
	return items
}

// iterate returns the items a for loop visits.
func (r *renderer) iterate(v any, line int) []any {
	items := r.iterateNoCharge(v, line)
	r.charge(len(items) / 8)
	return items
}

func (r *renderer) iterateNoCharge(v any, line int) []any {
	switch x := plain(v).(type) {
	case []any:
		return x
	case *Dict:
		return x.Keys()
	case string:
		out := make([]any, 0, len(x))
		for _, c := range x {
			out = append(out, string(c))
		}
		return out
	case *generator:
		return x.items
	case Undefined:
		return nil
	}
	r.fail(line, ErrRender, "%s object is not iterable", typeName(v))
	return nil
}

func (r *renderer) execFor(s *forStmt, f *frame) {
	items := r.iterate(r.eval(s.iter, f), s.line)
	lf := f.child()
	bind := func(item any) {
		if len(s.target) == 1 {
			lf.vars[s.target[0]] = item
			return
		}
		for i, v := range r.unpack(item, len(s.target), s.line) {
			lf.vars[s.target[i]] = v
		}
	}
	if s.filter != nil {
		kept := make([]any, 0, len(items))
		for _, it := range items {
			r.countLoop(s.line)
			bind(it)
			if truthy(r.eval(s.filter, lf)) {
				kept = append(kept, it)
			}
		}
		items = kept
	}
	if len(items) == 0 {
		r.execBody(s.els, f)
		return
	}
	depth := 1
	if outer, ok := f.lookup("loop"); ok {
		if li, ok := outer.(*loopInfo); ok {
			depth = li.depth + 1
		}
	}
	li := &loopInfo{length: len(items), items: items, depth: depth}
	for i, it := range items {
		r.countLoop(s.line)
		// Each iteration has its own scope: a {% set %} in the body neither
		// leaks out of the loop nor survives into the next iteration (as in Jinja).
		lf = f.child()
		lf.vars["loop"] = li
		li.index0 = i
		bind(it)
		if r.execBody(s.body, lf) == ctlBreak {
			break
		}
	}
}

func (r *renderer) countLoop(line int) {
	r.loops++
	if r.loops > r.lim.MaxLoopIterations {
		r.fail(line, ErrLimit, "loop iteration budget of %d exhausted", r.lim.MaxLoopIterations)
	}
	r.step(line)
}

func (r *renderer) eval(e expr, f *frame) any {
	r.step(e.exprLine())
	switch e := e.(type) {
	case *constExpr:
		return e.val
	case *nameExpr:
		if v, ok := f.lookup(e.name); ok {
			return v
		}
		return Undefined{Name: e.name}
	case *listExpr:
		out := make([]any, len(e.items))
		for i, it := range e.items {
			out[i] = r.eval(it, f)
		}
		if e.tuple {
			return tuple(out)
		}
		return out
	case *dictExpr:
		d := NewDict()
		for i, k := range e.keys {
			kv := r.eval(k, f)
			if !hashable(kv) {
				r.fail(e.line, ErrRender, "unhashable dict key of type %s", typeName(kv))
			}
			d.Set(kv, r.eval(e.vals[i], f))
		}
		return d
	case *attrExpr:
		return r.getAttr(plain(r.eval(e.obj, f)), e.name, e)
	case *indexExpr:
		return r.getItem(plain(r.eval(e.obj, f)), plain(r.eval(e.index, f)), e)
	case *sliceExpr:
		return r.slice(e, f)
	case *callExpr:
		return r.call(e, f)
	case *filterExpr:
		return r.applyFilter(e, r.eval(e.obj, f), f)
	case *testExpr:
		v := r.applyTest(e, f)
		if e.neg {
			return !v
		}
		return v
	case *unaryExpr:
		x := plain(r.eval(e.x, f))
		switch e.op {
		case "not":
			return !truthy(x)
		case "-":
			switch n := x.(type) {
			case int64:
				return -n
			case float64:
				return -n
			case bool:
				if n {
					return int64(-1)
				}
				return int64(0)
			}
			r.fail(e.line, ErrRender, "bad operand type for unary -: %s", typeName(x))
		case "+":
			if _, ok := asNumber(x); !ok {
				r.fail(e.line, ErrRender, "bad operand type for unary +: %s", typeName(x))
			}
			return x
		}
	case *binExpr:
		return r.binary(e, f)
	case *condExpr:
		if truthy(r.eval(e.cond, f)) {
			return r.eval(e.then, f)
		}
		if e.els == nil {
			return Undefined{}
		}
		return r.eval(e.els, f)
	}
	r.fail(e.exprLine(), ErrRender, "cannot evaluate %T", e)
	return nil
}

func exprName(e expr) string {
	switch x := e.(type) {
	case *nameExpr:
		return x.name
	case *attrExpr:
		return exprName(x.obj) + "." + x.name
	case *indexExpr:
		if c, ok := x.index.(*constExpr); ok {
			return exprName(x.obj) + "[" + pyRepr(c.val) + "]"
		}
		return exprName(x.obj) + "[...]"
	}
	return "value"
}

func (r *renderer) undefinedFail(u Undefined, e expr) {
	name := u.Name
	if name == "" {
		name = exprName(e)
	}
	r.fail(e.exprLine(), ErrUndefined, "%q is undefined", name)
}

// getAttr is Jinja's obj.name: Python attribute first (methods), then item.
func (r *renderer) getAttr(obj any, name string, e expr) any {
	switch x := obj.(type) {
	case Undefined:
		r.undefinedFail(x, e)
	case *Dict:
		if isMethod(obj, name) {
			return &boundMethod{recv: obj, name: name}
		}
		if v, ok := x.Get(name); ok {
			return v
		}
	case *namespace:
		if v, ok := x.d.Get(name); ok {
			return v
		}
	case *loopInfo:
		return r.loopAttr(x, name, e)
	default:
		if isMethod(obj, name) {
			return &boundMethod{recv: obj, name: name}
		}
	}
	return Undefined{Name: exprName(e)}
}

// getItem is Jinja's obj[key]: item first, then attribute.
func (r *renderer) getItem(obj, key any, e expr) any {
	switch x := obj.(type) {
	case Undefined:
		r.undefinedFail(x, e)
	case *Dict:
		if v, ok := x.Get(key); ok {
			return v
		}
	case []any:
		if i, ok := key.(int64); ok {
			if i < 0 {
				i += int64(len(x))
			}
			if i >= 0 && i < int64(len(x)) {
				return x[i]
			}
			return Undefined{Name: exprName(e)}
		}
	case string:
		if i, ok := key.(int64); ok {
			rs := []rune(x)
			if i < 0 {
				i += int64(len(rs))
			}
			if i >= 0 && i < int64(len(rs)) {
				return string(rs[i])
			}
			return Undefined{Name: exprName(e)}
		}
	}
	if s, ok := key.(string); ok {
		return r.getAttr(obj, s, e)
	}
	return Undefined{Name: exprName(e)}
}

func (r *renderer) loopAttr(l *loopInfo, name string, e expr) any {
	switch name {
	case "index":
		return int64(l.index0 + 1)
	case "index0":
		return int64(l.index0)
	case "revindex":
		return int64(l.length - l.index0)
	case "revindex0":
		return int64(l.length - l.index0 - 1)
	case "first":
		return l.index0 == 0
	case "last":
		return l.index0 == l.length-1
	case "length":
		return int64(l.length)
	case "depth":
		return int64(l.depth)
	case "depth0":
		return int64(l.depth - 1)
	case "previtem":
		if l.index0 > 0 {
			return l.items[l.index0-1]
		}
		return Undefined{Name: "loop.previtem"}
	case "nextitem":
		if l.index0+1 < l.length {
			return l.items[l.index0+1]
		}
		return Undefined{Name: "loop.nextitem"}
	case "cycle":
		return &boundMethod{recv: l, name: "cycle"}
	}
	return Undefined{Name: "loop." + name}
}

// sliceIndices resolves Python slice bounds for a sequence of length n.
func sliceIndices(n int, start, stop, step any) (int, int, int, error) {
	st := 1
	if step != nil {
		s, ok := step.(int64)
		if !ok || s == 0 {
			return 0, 0, 0, fmt.Errorf("slice step must be a non-zero integer")
		}
		st = int(max(min(s, math.MaxInt32), math.MinInt32))
	}
	bound := func(v any, def int) (int, error) {
		if v == nil {
			return def, nil
		}
		i, ok := v.(int64)
		if !ok {
			return 0, fmt.Errorf("slice indices must be integers or None, not %s", typeName(v))
		}
		x := int(max(min(i, math.MaxInt32), math.MinInt32))
		if x < 0 {
			x += n
			if x < 0 {
				if st < 0 {
					x = -1
				} else {
					x = 0
				}
			}
		} else if x >= n {
			if st < 0 {
				x = n - 1
			} else {
				x = n
			}
		}
		return x, nil
	}
	var lo, hi int
	var err error
	if st > 0 {
		lo, err = bound(start, 0)
		if err == nil {
			hi, err = bound(stop, n)
		}
	} else {
		lo, err = bound(start, n-1)
		if err == nil {
			hi, err = bound(stop, -1)
		}
	}
	return lo, hi, st, err
}

func (r *renderer) slice(e *sliceExpr, f *frame) any {
	obj := plain(r.eval(e.obj, f))
	var start, stop, step any
	for _, p := range []struct {
		x   expr
		dst *any
	}{{e.start, &start}, {e.stop, &stop}, {e.step, &step}} {
		if p.x != nil {
			v := r.eval(p.x, f)
			if _, u := v.(Undefined); !u {
				*p.dst = v
			}
		}
	}
	var n int
	var rs []rune
	switch x := obj.(type) {
	case []any:
		n = len(x)
	case string:
		rs = []rune(x)
		n = len(rs)
	case Undefined:
		r.undefinedFail(x, e.obj)
	default:
		r.fail(e.line, ErrRender, "%s object is not subscriptable", typeName(obj))
	}
	lo, hi, st, err := sliceIndices(n, start, stop, step)
	if err != nil {
		r.fail(e.line, ErrRender, "%v", err)
	}
	var idx []int
	for i := lo; (st > 0 && i < hi) || (st < 0 && i > hi); i += st {
		idx = append(idx, i)
	}
	if l, ok := obj.([]any); ok {
		out := make([]any, len(idx))
		for k, i := range idx {
			out[k] = l[i]
		}
		return out
	}
	out := make([]rune, len(idx))
	for k, i := range idx {
		out[k] = rs[i]
	}
	return string(out)
}

func (r *renderer) evalArgs(args []expr, kwNames []string, kwVals []expr, f *frame) ([]any, map[string]any) {
	pos := make([]any, len(args))
	for i, a := range args {
		pos[i] = r.eval(a, f)
	}
	var kw map[string]any
	if len(kwNames) > 0 {
		kw = make(map[string]any, len(kwNames))
		for i, n := range kwNames {
			kw[n] = r.eval(kwVals[i], f)
		}
	}
	return pos, kw
}

func (r *renderer) call(e *callExpr, f *frame) any {
	fn := r.eval(e.fn, f)
	args, kw := r.evalArgs(e.args, e.kwNames, e.kwVals, f)
	if _, isMacro := fn.(*macro); !isMacro {
		plainAll(args)
		for k, v := range kw {
			kw[k] = plain(v)
		}
	}
	return r.callValue(fn, args, kw, e)
}

func (r *renderer) callValue(fn any, args []any, kw map[string]any, e expr) any {
	switch x := fn.(type) {
	case Func:
		v, err := x(args, kw)
		if err != nil {
			if je, ok := err.(*Error); ok {
				panic(renderFail{je})
			}
			r.fail(e.exprLine(), ErrRender, "%s: %v", exprName(callee(e)), err)
		}
		c, err := FromGo(v)
		if err != nil {
			r.fail(e.exprLine(), ErrRender, "%v", err)
		}
		return c
	case *boundMethod:
		return r.callMethod(x, args, kw, e)
	case *macro:
		return r.callMacro(x, args, kw, e)
	case Undefined:
		r.undefinedFail(x, callee(e))
	}
	r.fail(e.exprLine(), ErrRender, "%s object is not callable", typeName(fn))
	return nil
}

func callee(e expr) expr {
	if c, ok := e.(*callExpr); ok {
		return c.fn
	}
	return e
}

func (r *renderer) callMacro(m *macro, args []any, kw map[string]any, e expr) any {
	d := m.def
	if len(args) > len(d.params) {
		r.fail(e.exprLine(), ErrRender, "macro %q takes %d arguments, %d given", d.name, len(d.params), len(args))
	}
	r.depth++
	defer func() { r.depth-- }()
	if r.depth > r.lim.MaxDepth {
		r.fail(e.exprLine(), ErrLimit, "macro calls nested deeper than %d", r.lim.MaxDepth)
	}
	mf := m.closure.child()
	for i, p := range d.params {
		switch {
		case i < len(args):
			mf.vars[p] = args[i]
		case kw != nil && kw[p] != nil:
			mf.vars[p] = kw[p]
		case d.defaults[i] != nil:
			mf.vars[p] = r.eval(d.defaults[i], mf)
		default:
			mf.vars[p] = Undefined{Name: p}
		}
	}
	for k := range kw {
		if _, ok := mf.vars[k]; !ok {
			r.fail(e.exprLine(), ErrRender, "macro %q has no parameter %q", d.name, k)
		}
	}
	return r.capture(d.body, mf)
}

func (r *renderer) binary(e *binExpr, f *frame) any {
	switch e.op {
	case "and":
		l := r.eval(e.l, f)
		if !truthy(l) {
			return l
		}
		return r.eval(e.r, f)
	case "or":
		l := r.eval(e.l, f)
		if truthy(l) {
			return l
		}
		return r.eval(e.r, f)
	}
	l, rv := r.eval(e.l, f), r.eval(e.r, f)
	if e.op == "+" {
		if m, ok := r.markupAdd(l, rv); ok {
			return m
		}
	}
	l, rv = plain(l), plain(rv)
	switch e.op {
	case "~":
		s1, s2 := pyStr(l), pyStr(rv)
		r.checkSize(len(s1) + len(s2))
		return s1 + s2
	case "==":
		return equal(l, rv)
	case "!=":
		return !equal(l, rv)
	case "<", "<=", ">", ">=":
		c, err := compare(l, rv)
		if err != nil {
			r.fail(e.line, ErrRender, "%v", err)
		}
		switch e.op {
		case "<":
			return c < 0
		case "<=":
			return c <= 0
		case ">":
			return c > 0
		}
		return c >= 0
	case "in", "notin":
		if l, ok := rv.([]any); ok {
			r.charge(len(l) / 8)
		}
		in := r.contains(rv, l, e)
		if e.op == "in" {
			return in
		}
		return !in
	}
	return r.arith(e.op, l, rv, e)
}

// markupAdd is markupsafe's Markup + str / str + Markup: the plain side is escaped.
func (r *renderer) markupAdd(l, rv any) (any, bool) {
	lm, lok := l.(markup)
	rm, rok := rv.(markup)
	switch {
	case lok && rok:
		r.checkSize(len(lm) + len(rm))
		return lm + rm, true
	case lok:
		if s, ok := rv.(string); ok {
			s = html.EscapeString(s)
			r.checkSize(len(lm) + len(s))
			return lm + markup(s), true
		}
	case rok:
		if s, ok := l.(string); ok {
			s = html.EscapeString(s)
			r.checkSize(len(rm) + len(s))
			return markup(s) + rm, true
		}
	}
	return nil, false
}

func (r *renderer) contains(container, item any, e expr) bool {
	container, item = plain(container), plain(item)
	switch c := container.(type) {
	case string:
		s, ok := item.(string)
		if !ok {
			r.fail(e.exprLine(), ErrRender, "'in <string>' requires string as left operand, not %s", typeName(item))
		}
		return strings.Contains(c, s)
	case []any:
		for _, x := range c {
			if equal(x, item) {
				return true
			}
		}
		return false
	case *generator:
		return r.contains(c.items, item, e)
	case *Dict:
		_, ok := c.Get(item)
		return ok
	case *namespace:
		_, ok := c.d.Get(item)
		return ok
	case Undefined:
		return false
	}
	r.fail(e.exprLine(), ErrRender, "argument of type %s is not iterable", typeName(container))
	return false
}

func (r *renderer) arith(op string, l, rv any, e expr) any {
	// Sequences.
	switch x := l.(type) {
	case string:
		switch op {
		case "+":
			if y, ok := rv.(string); ok {
				r.checkSize(len(x) + len(y))
				return x + y
			}
		case "*":
			if n, ok := rv.(int64); ok {
				return r.repeatStr(x, n)
			}
		case "%":
			return r.percentFormat(x, rv, e)
		}
	case []any:
		switch op {
		case "+":
			if y, ok := rv.([]any); ok {
				r.checkSize(len(x) + len(y))
				return append(append(make([]any, 0, len(x)+len(y)), x...), y...)
			}
		case "*":
			if n, ok := rv.(int64); ok {
				if n <= 0 {
					return []any{}
				}
				r.checkSize(len(x) * int(min(n, 1<<31)))
				out := make([]any, 0, len(x)*int(n))
				for i := int64(0); i < n; i++ {
					out = append(out, x...)
				}
				return out
			}
		}
	case int64:
		if s, ok := rv.(string); ok && op == "*" {
			return r.repeatStr(s, x)
		}
	}
	if u, ok := l.(Undefined); ok {
		r.undefinedFail(u, e.(*binExpr).l)
	}
	if u, ok := rv.(Undefined); ok {
		r.undefinedFail(u, e.(*binExpr).r)
	}
	li, lInt := l.(int64)
	ri, rInt := rv.(int64)
	if lb, ok := l.(bool); ok {
		li, lInt = b2i(lb), true
	}
	if rb, ok := rv.(bool); ok {
		ri, rInt = b2i(rb), true
	}
	lf, lok := asNumber(l)
	rf, rok := asNumber(rv)
	if !lok || !rok {
		r.fail(e.exprLine(), ErrRender, "unsupported operand types for %s: %s and %s", op, typeName(l), typeName(rv))
	}
	ints := lInt && rInt
	switch op {
	case "+":
		if ints && !addOverflows(li, ri) {
			return li + ri
		}
		return lf + rf
	case "-":
		if ints && !addOverflows(li, -ri) {
			return li - ri
		}
		return lf - rf
	case "*":
		if ints && (li == 0 || (li*ri)/li == ri) {
			return li * ri
		}
		return lf * rf
	case "/":
		if rf == 0 {
			r.fail(e.exprLine(), ErrRender, "division by zero")
		}
		return lf / rf
	case "//", "%":
		if rf == 0 {
			r.fail(e.exprLine(), ErrRender, "integer division or modulo by zero")
		}
		if ints {
			q, m := li/ri, li%ri
			if m != 0 && (m < 0) != (ri < 0) {
				q--
				m += ri
			}
			if op == "//" {
				return q
			}
			return m
		}
		q := math.Floor(lf / rf)
		if op == "//" {
			return q
		}
		return lf - q*rf
	case "**":
		if ints && ri >= 0 {
			res := int64(1)
			for i := int64(0); i < ri; i++ {
				r.step(e.exprLine())
				if res != 0 && (res*li)/res != li {
					return math.Pow(lf, rf)
				}
				res *= li
			}
			return res
		}
		return math.Pow(lf, rf)
	}
	r.fail(e.exprLine(), ErrRender, "unknown operator %s", op)
	return nil
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func addOverflows(a, b int64) bool {
	s := a + b
	return (a > 0 && b > 0 && s < 0) || (a < 0 && b < 0 && s >= 0)
}

func (r *renderer) repeatStr(s string, n int64) string {
	if n <= 0 || s == "" {
		return ""
	}
	if n > int64(r.lim.MaxOutputBytes) {
		r.checkSize(r.lim.MaxOutputBytes + 1)
	}
	r.checkSize(len(s) * int(n))
	return strings.Repeat(s, int(n))
}

// percentFormat is Python's "fmt % args" for %s, %r, %d, %i, %f, %x and %%.
func (r *renderer) percentFormat(format string, arg any, e expr) string {
	args, ok := plain(arg).([]any)
	if !ok {
		args = []any{arg}
	}
	s, err := pyPercent(format, args)
	if err != nil {
		r.fail(e.exprLine(), ErrRender, "%v", err)
	}
	r.checkSize(len(s))
	return s
}

func pyPercent(format string, args []any) (string, error) {
	var b strings.Builder
	ai := 0
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		j := i + 1
		for j < len(format) && strings.IndexByte("-+ #0123456789.", format[j]) >= 0 {
			j++
		}
		if j >= len(format) {
			return "", fmt.Errorf("incomplete format")
		}
		spec, verb := format[i+1:j], format[j]
		i = j
		if verb == '%' {
			b.WriteByte('%')
			continue
		}
		if ai >= len(args) {
			return "", fmt.Errorf("not enough arguments for format string")
		}
		a := args[ai]
		ai++
		switch verb {
		case 's':
			fmt.Fprintf(&b, "%"+spec+"s", pyStr(a))
		case 'r':
			fmt.Fprintf(&b, "%"+spec+"s", pyRepr(a))
		case 'd', 'i':
			n, ok := asNumber(a)
			if !ok {
				return "", fmt.Errorf("%%%c format: a number is required, not %s", verb, typeName(a))
			}
			fmt.Fprintf(&b, "%"+spec+"d", int64(n))
		case 'f', 'e', 'g':
			n, ok := asNumber(a)
			if !ok {
				return "", fmt.Errorf("%%%c format: a real number is required, not %s", verb, typeName(a))
			}
			if !strings.Contains(spec, ".") {
				spec += ".6"
			}
			fmt.Fprintf(&b, "%"+spec+string(verb), n)
		case 'x', 'X', 'o':
			n, ok := a.(int64)
			if !ok {
				return "", fmt.Errorf("%%%c format: an integer is required, not %s", verb, typeName(a))
			}
			fmt.Fprintf(&b, "%"+spec+string(verb), n)
		default:
			return "", fmt.Errorf("unsupported format character %q", verb)
		}
	}
	if ai < len(args) {
		return "", fmt.Errorf("not all arguments converted during string formatting")
	}
	return b.String(), nil
}

// runeLen is Python len() of a string.
func runeLen(s string) int { return utf8.RuneCountInString(s) }
