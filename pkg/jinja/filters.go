package jinja

import (
	"html"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// applyFilter evaluates the filter's arguments and applies it to v.
func (r *renderer) applyFilter(fe *filterExpr, v any, f *frame) any {
	args, kw := r.evalArgs(fe.args, fe.kwNames, fe.kwVals, f)
	return r.filter(fe.name, v, args, kw, fe)
}

// arg returns positional argument i, or keyword name, or def.
func arg(args []any, kw map[string]any, i int, name string, def any) any {
	if i < len(args) {
		return args[i]
	}
	if v, ok := kw[name]; ok {
		return v
	}
	return def
}

func (r *renderer) filter(name string, v any, args []any, kw map[string]any, e expr) any {
	line := e.exprLine()
	if name == "safe" {
		if _, ok := v.(string); ok {
			return markup(v.(string))
		}
		return v
	}
	v = plain(v)
	plainAll(args)
	for k, x := range kw {
		kw[k] = plain(x)
	}
	str := func() string { return pyStr(v) }
	switch name {
	case "list":
		return r.iterate(v, line)
	case "string":
		return str()
	case "trim":
		chars := arg(args, kw, 0, "chars", nil)
		if c, ok := chars.(string); ok {
			return strings.Trim(str(), c)
		}
		return strings.TrimFunc(str(), unicode.IsSpace)
	case "upper":
		return strings.ToUpper(str())
	case "lower":
		return strings.ToLower(str())
	case "capitalize":
		return capitalize(str())
	case "title":
		return jinjaTitle(str())
	case "length", "count":
		return int64(r.length(v, e))
	case "default", "d":
		def := arg(args, kw, 0, "default_value", "")
		boolean := truthy(arg(args, kw, 1, "boolean", false))
		if _, u := v.(Undefined); u || (boolean && !truthy(v)) {
			return def
		}
		return v
	case "first", "last":
		if _, gen := v.(*generator); gen && name == "last" {
			r.fail(line, ErrRender, "'generator' object is not reversible")
		}
		items := r.iterate(v, line)
		if len(items) == 0 {
			return Undefined{Name: name + " of empty sequence"}
		}
		if name == "first" {
			return items[0]
		}
		return items[len(items)-1]
	case "join":
		sep := pyStr(arg(args, kw, 0, "d", ""))
		attr := arg(args, kw, 1, "attribute", nil)
		items := r.iterate(v, line)
		parts := make([]string, len(items))
		n := 0
		for i, it := range items {
			if attr != nil {
				it = r.attrPath(it, attr, e)
			}
			parts[i] = pyStr(it)
			n += len(parts[i]) + len(sep)
		}
		r.checkSize(n)
		return strings.Join(parts, sep)
	case "replace":
		old := pyStr(arg(args, kw, 0, "old", ""))
		nw := pyStr(arg(args, kw, 1, "new", ""))
		cnt := int64(-1)
		if c, ok := arg(args, kw, 2, "count", nil).(int64); ok {
			cnt = c
		}
		s := str()
		if old == "" && cnt < 0 {
			r.checkSize(len(s) + (runeLen(s)+1)*len(nw))
		} else if old != "" {
			r.checkSize(len(s) + strings.Count(s, old)*max(0, len(nw)-len(old)))
		}
		return strings.Replace(s, old, nw, int(cnt))
	case "int":
		def := arg(args, kw, 0, "default", int64(0))
		switch x := v.(type) {
		case int64:
			return x
		case bool:
			return b2i(x)
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return def
			}
			return int64(x)
		case string:
			s := strings.TrimSpace(x)
			if n, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64); err == nil {
				return n
			}
			if fl, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(fl, 0) && !math.IsNaN(fl) {
				return int64(fl)
			}
		}
		return def
	case "float":
		def := arg(args, kw, 0, "default", 0.0)
		switch x := v.(type) {
		case int64:
			return float64(x)
		case float64:
			return x
		case bool:
			return float64(b2i(x))
		case string:
			if fl, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
				return fl
			}
		}
		return def
	case "abs":
		switch x := v.(type) {
		case int64:
			if x < 0 {
				return -x
			}
			return x
		case float64:
			return math.Abs(x)
		}
		r.fail(line, ErrRender, "bad operand type for abs(): %s", typeName(v))
	case "round":
		n, ok := asNumber(v)
		if !ok {
			r.fail(line, ErrRender, "round: %s is not a number", typeName(v))
		}
		prec, _ := arg(args, kw, 0, "precision", int64(0)).(int64)
		method := pyStr(arg(args, kw, 1, "method", "common"))
		p := math.Pow(10, float64(prec))
		switch method {
		case "ceil":
			return math.Ceil(n*p) / p
		case "floor":
			return math.Floor(n*p) / p
		}
		return math.RoundToEven(n*p) / p // Python's round: half to even
	case "items":
		switch x := v.(type) {
		case Undefined:
			return []any{}
		case *Dict:
			return r.callMethod(&boundMethod{recv: x, name: "items"}, nil, nil, e)
		}
		r.fail(line, ErrRender, "items: %s is not a mapping", typeName(v))
	case "dictsort":
		d, ok := v.(*Dict)
		if !ok {
			r.fail(line, ErrRender, "dictsort: %s is not a mapping", typeName(v))
		}
		items := r.callMethod(&boundMethod{recv: d, name: "items"}, nil, nil, e).([]any)
		r.sortValues(items, func(x any) any { return plain(x).([]any)[0] }, false, e)
		return items
	case "tojson":
		return r.tojson(v, args, kw, e)
	case "indent":
		if w, ok := arg(args, kw, 0, "width", int64(4)).(int64); ok {
			r.checkSize(len(str()) * (1 + int(max(0, min(w, 256)))))
		}
		return indent(str(), arg(args, kw, 0, "width", int64(4)), truthy(arg(args, kw, 1, "first", false)), truthy(arg(args, kw, 2, "blank", false)))
	case "e", "escape", "forceescape":
		return markup(html.EscapeString(str()))
	case "wordcount":
		return int64(len(strings.Fields(str())))
	case "reverse":
		if s, ok := v.(string); ok {
			rs := []rune(s)
			for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
				rs[i], rs[j] = rs[j], rs[i]
			}
			return string(rs)
		}
		items := r.iterate(v, line)
		out := make([]any, len(items))
		for i, it := range items {
			out[len(items)-1-i] = it
		}
		return out
	case "unique":
		items := r.iterate(v, line)
		seen := map[any]bool{}
		var out []any
		for _, it := range items {
			if hashable(it) {
				k := normKey(it)
				if f, ok := it.(float64); ok && f != math.Trunc(f) {
					k = it
				}
				if !seen[k] {
					seen[k] = true
					out = append(out, it)
				}
				continue
			}
			dup := false
			for _, o := range out {
				r.step(line)
				if equal(o, it) {
					dup = true
					break
				}
			}
			if !dup {
				out = append(out, it)
			}
		}
		return &generator{out}
	case "sort":
		items := append([]any(nil), r.iterate(v, line)...)
		attr := arg(args, kw, 2, "attribute", nil)
		key := func(x any) any { return x }
		if attr != nil {
			key = func(x any) any { return r.attrPath(x, attr, e) }
		}
		r.sortValues(items, key, truthy(arg(args, kw, 0, "reverse", false)), e)
		return items
	case "sum":
		attr := arg(args, kw, 0, "attribute", nil)
		var total any = arg(args, kw, 1, "start", int64(0))
		for _, it := range r.iterate(v, line) {
			if attr != nil {
				it = r.attrPath(it, attr, e)
			}
			total = r.arith("+", total, it, &binExpr{line: line, op: "+", l: e, r: e})
		}
		return total
	case "min", "max":
		items := r.iterate(v, line)
		if len(items) == 0 {
			return Undefined{Name: name + " of empty sequence"}
		}
		best := items[0]
		for _, it := range items[1:] {
			c, err := compare(it, best)
			if err != nil {
				r.fail(line, ErrRender, "%s: %v", name, err)
			}
			if (name == "min" && c < 0) || (name == "max" && c > 0) {
				best = it
			}
		}
		return best
	case "attr":
		return r.getAttr(v, pyStr(arg(args, kw, 0, "name", "")), e)
	case "map":
		return r.mapFilter(v, args, kw, e)
	case "select", "reject", "selectattr", "rejectattr":
		return r.selectFilter(name, v, args, kw, e)
	case "batch":
		n, ok := arg(args, kw, 0, "linecount", nil).(int64)
		if !ok || n <= 0 {
			r.fail(line, ErrRender, "batch: linecount must be a positive int")
		}
		items := r.iterate(v, line)
		var out []any
		for i := 0; i < len(items); i += int(n) {
			out = append(out, append([]any(nil), items[i:min(len(items), i+int(n))]...))
		}
		return out
	case "center":
		w, _ := arg(args, kw, 0, "width", int64(80)).(int64)
		s := str()
		pad := int(w) - runeLen(s)
		if pad <= 0 {
			return s
		}
		r.checkSize(int(w))
		left := pad / 2
		if pad%2 == 1 && runeLen(s)%2 == 1 {
			left++
		}
		return strings.Repeat(" ", left) + s + strings.Repeat(" ", pad-left)
	case "format":
		out, err := pyPercent(str(), args)
		if err != nil {
			r.fail(line, ErrRender, "format: %v", err)
		}
		r.checkSize(len(out))
		return out
	case "pprint":
		return pyRepr(v)
	}
	r.fail(line, ErrRender, "no filter named %q", name)
	return nil
}

func (r *renderer) length(v any, e expr) int {
	switch x := v.(type) {
	case string:
		return runeLen(x)
	case []any:
		return len(x)
	case *Dict:
		return x.Len()
	case *namespace:
		return x.d.Len()
	case Undefined:
		return 0
	}
	r.fail(e.exprLine(), ErrRender, "object of type %s has no len()", typeName(v))
	return 0
}

// attrPath resolves Jinja's attribute argument: "a.b.0" or an int index.
func (r *renderer) attrPath(v any, attr any, e expr) any {
	if n, ok := attr.(int64); ok {
		return r.getItem(v, n, e)
	}
	for _, part := range strings.Split(pyStr(attr), ".") {
		if n, err := strconv.ParseInt(part, 10, 64); err == nil {
			v = r.getItem(v, n, e)
		} else {
			v = r.getItem(v, part, e)
		}
		if _, u := v.(Undefined); u {
			return v
		}
	}
	return v
}

func (r *renderer) sortValues(items []any, key func(any) any, reverse bool, e expr) {
	var err error
	lower := func(x any) any {
		if s, ok := x.(string); ok {
			return strings.ToLower(s)
		}
		return x
	}
	sort.SliceStable(items, func(i, j int) bool {
		a, b := lower(key(items[i])), lower(key(items[j]))
		if reverse {
			a, b = b, a
		}
		c, cerr := compare(a, b)
		if cerr != nil && err == nil {
			err = cerr
		}
		return c < 0
	})
	if err != nil {
		r.fail(e.exprLine(), ErrRender, "sort: %v", err)
	}
}

func (r *renderer) tojson(v any, args []any, kw map[string]any, e expr) any {
	o := &jsonOpts{itemSep: ", ", keySep: ": "}
	o.ensureASCI = truthy(arg(nil, kw, 0, "ensure_ascii", false))
	ind := arg(args, kw, 0, "indent", nil)
	switch x := ind.(type) {
	case int64:
		o.hasIndent, o.indent = true, strings.Repeat(" ", int(max(0, min(x, 64))))
	case string:
		o.hasIndent, o.indent = true, x
	}
	if o.hasIndent {
		o.itemSep = ","
	}
	if seps, ok := arg(nil, kw, 0, "separators", nil).([]any); ok && len(seps) == 2 {
		o.itemSep, o.keySep = pyStr(seps[0]), pyStr(seps[1])
	}
	o.sortKeys = truthy(arg(nil, kw, 0, "sort_keys", false))
	var b strings.Builder
	if err := writeJSON(&b, v, o, 0); err != nil {
		r.fail(e.exprLine(), ErrRender, "%v", err)
	}
	r.checkSize(b.Len())
	return b.String()
}

// indent is Jinja's indent filter, quirks included.
func indent(s string, width any, first, blank bool) string {
	ind := ""
	switch w := width.(type) {
	case string:
		ind = w
	case int64:
		ind = strings.Repeat(" ", int(max(0, min(w, 256))))
	}
	s += "\n"
	lines := splitLines(s)
	var rv string
	if blank {
		rv = strings.Join(lines, "\n"+ind)
	} else {
		rv = lines[0]
		if len(lines) > 1 {
			rest := make([]string, len(lines)-1)
			for i, l := range lines[1:] {
				if l != "" {
					l = ind + l
				}
				rest[i] = l
			}
			rv += "\n" + strings.Join(rest, "\n")
		}
	}
	if first {
		rv = ind + rv
	}
	return rv
}

// jinjaTitle is Jinja's title filter: words start after whitespace, '-', '(', '{', '[' or '<'.
func jinjaTitle(s string) string {
	var b strings.Builder
	start := true
	for _, c := range s {
		if unicode.IsSpace(c) || strings.ContainsRune("-({[<", c) {
			b.WriteRune(c)
			start = true
			continue
		}
		if start {
			b.WriteRune(unicode.ToUpper(c))
		} else {
			b.WriteRune(unicode.ToLower(c))
		}
		start = false
	}
	return b.String()
}

func (r *renderer) mapFilter(v any, args []any, kw map[string]any, e expr) any {
	if !truthy(v) {
		return &generator{}
	}
	items := r.iterate(v, e.exprLine())
	out := make([]any, len(items))
	if attr, ok := kw["attribute"]; ok {
		def, hasDef := kw["default"]
		for i, it := range items {
			x := r.attrPath(it, attr, e)
			if _, u := x.(Undefined); u && hasDef {
				x = def
			}
			out[i] = x
		}
		return &generator{out}
	}
	if len(args) == 0 {
		r.fail(e.exprLine(), ErrRender, "map: needs a filter name or attribute=")
	}
	fname := pyStr(args[0])
	for i, it := range items {
		out[i] = r.filter(fname, it, args[1:], nil, e)
	}
	return &generator{out}
}

func (r *renderer) selectFilter(name string, v any, args []any, kw map[string]any, e expr) any {
	if !truthy(v) {
		return &generator{}
	}
	items := r.iterate(v, e.exprLine())
	onAttr := strings.HasSuffix(name, "attr")
	want := strings.HasPrefix(name, "select")
	var attr any
	if onAttr {
		if len(args) == 0 {
			r.fail(e.exprLine(), ErrRender, "%s: needs an attribute name", name)
		}
		attr, args = args[0], args[1:]
	}
	var out []any
	for _, it := range items {
		x := it
		if onAttr {
			x = r.attrPath(it, attr, e)
		}
		var ok bool
		if len(args) == 0 {
			ok = truthy(x)
		} else {
			ok = r.test(pyStr(args[0]), x, args[1:], e)
		}
		if ok == want {
			out = append(out, it)
		}
	}
	return &generator{out}
}

func (r *renderer) applyTest(te *testExpr, f *frame) bool {
	v := r.eval(te.obj, f)
	args, _ := r.evalArgs(te.args, nil, nil, f)
	return r.test(te.name, v, args, te)
}

func (r *renderer) test(name string, v any, args []any, e expr) bool {
	v = plain(v)
	plainAll(args)
	a0 := func() any {
		if len(args) == 0 {
			r.fail(e.exprLine(), ErrRender, "test %q needs an argument", name)
		}
		return args[0]
	}
	_, isUndef := v.(Undefined)
	switch name {
	case "defined":
		return !isUndef
	case "undefined":
		return isUndef
	case "none":
		return v == nil
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "true":
		b, ok := v.(bool)
		return ok && b
	case "false":
		b, ok := v.(bool)
		return ok && !b
	case "integer":
		_, ok := v.(int64)
		return ok
	case "float":
		_, ok := v.(float64)
		return ok
	case "number":
		switch v.(type) {
		case int64, float64, bool:
			return true
		}
		return false
	case "string":
		_, ok := v.(string)
		return ok
	case "mapping":
		switch v.(type) {
		case *Dict:
			return true
		}
		return false
	case "sequence", "iterable":
		switch v.(type) {
		case string, []any, *Dict:
			return true
		}
		return false
	case "callable":
		switch v.(type) {
		case Func, *macro, *boundMethod:
			return true
		}
		return false
	case "sameas":
		b := a0()
		if v == nil || b == nil {
			return v == nil && b == nil
		}
		switch x := v.(type) {
		case bool:
			y, ok := b.(bool)
			return ok && x == y
		}
		return false
	case "eq", "equalto", "==":
		return equal(v, a0())
	case "ne", "!=":
		return !equal(v, a0())
	case "lt", "lessthan", "<", "le", "<=", "gt", "greaterthan", ">", "ge", ">=":
		c, err := compare(v, a0())
		if err != nil {
			r.fail(e.exprLine(), ErrRender, "%v", err)
		}
		switch name {
		case "lt", "lessthan", "<":
			return c < 0
		case "le", "<=":
			return c <= 0
		case "gt", "greaterthan", ">":
			return c > 0
		}
		return c >= 0
	case "in":
		return r.contains(a0(), v, e)
	case "odd", "even", "divisibleby":
		n, ok := v.(int64)
		if !ok {
			r.fail(e.exprLine(), ErrRender, "test %q needs an int, not %s", name, typeName(v))
		}
		switch name {
		case "odd":
			return n%2 != 0
		case "even":
			return n%2 == 0
		}
		d, ok := a0().(int64)
		if !ok || d == 0 {
			r.fail(e.exprLine(), ErrRender, "divisibleby needs a non-zero int")
		}
		return n%d == 0
	case "lower", "upper":
		s, ok := v.(string)
		return ok && strPredicate(s, "is"+name)
	}
	r.fail(e.exprLine(), ErrRender, "no test named %q", name)
	return false
}
