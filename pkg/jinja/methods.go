package jinja

import (
	"fmt"
	"strings"
	"time"
	"unicode"
)

// boundMethod is a Python method looked up on a value (e.g. "abc".upper).
type boundMethod struct {
	recv any
	name string
}

var (
	strMethods = map[string]bool{
		"strip": true, "lstrip": true, "rstrip": true, "split": true, "rsplit": true, "splitlines": true,
		"startswith": true, "endswith": true, "lower": true, "upper": true, "title": true,
		"capitalize": true, "replace": true, "find": true, "rfind": true, "count": true,
		"join": true, "format": true, "isdigit": true, "isalpha": true, "isalnum": true,
		"isspace": true, "islower": true, "isupper": true, "swapcase": true,
	}
	dictMethods = map[string]bool{"items": true, "keys": true, "values": true, "get": true}
	listMethods = map[string]bool{"index": true, "count": true}
	// mutators exist on Python lists and dicts but the immutable sandbox refuses them.
	mutators = map[string]bool{
		"append": true, "extend": true, "insert": true, "pop": true, "remove": true, "clear": true,
		"sort": true, "reverse": true, "update": true, "setdefault": true, "popitem": true,
	}
)

func isMethod(obj any, name string) bool {
	switch obj.(type) {
	case string:
		return strMethods[name]
	case *Dict:
		return dictMethods[name] || mutators[name]
	case []any:
		return listMethods[name] || mutators[name]
	}
	return false
}

func (r *renderer) callMethod(m *boundMethod, args []any, kw map[string]any, e expr) any {
	line := e.exprLine()
	if mutators[m.name] {
		r.fail(line, ErrSandbox, "%s.%s() modifies a value, which the immutable sandbox forbids", typeName(m.recv), m.name)
	}
	argStr := func(i int) (string, bool) {
		if i >= len(args) {
			return "", false
		}
		if args[i] == nil {
			return "", false
		}
		s, ok := args[i].(string)
		if !ok {
			r.fail(line, ErrRender, "%s.%s(): argument %d must be str, not %s", typeName(m.recv), m.name, i+1, typeName(args[i]))
		}
		return s, true
	}
	argInt := func(i int, def int64) int64 {
		if i >= len(args) || args[i] == nil {
			return def
		}
		n, ok := args[i].(int64)
		if !ok {
			r.fail(line, ErrRender, "%s.%s(): argument %d must be int, not %s", typeName(m.recv), m.name, i+1, typeName(args[i]))
		}
		return n
	}
	switch x := plain(m.recv).(type) {
	case *loopInfo:
		if len(args) == 0 {
			r.fail(line, ErrRender, "loop.cycle() needs at least one argument")
		}
		return args[x.index0%len(args)]
	case *Dict:
		switch m.name {
		case "items":
			out := make([]any, 0, x.Len())
			for _, k := range x.keys {
				out = append(out, tuple{k, x.vals[k]})
			}
			return out
		case "keys":
			return x.Keys()
		case "values":
			out := make([]any, 0, x.Len())
			for _, k := range x.keys {
				out = append(out, x.vals[k])
			}
			return out
		case "get":
			if len(args) < 1 {
				r.fail(line, ErrRender, "dict.get() needs a key")
			}
			if v, ok := x.Get(args[0]); ok {
				return v
			}
			if len(args) > 1 {
				return args[1]
			}
			return nil
		}
	case []any:
		switch m.name {
		case "count":
			n := int64(0)
			for _, v := range x {
				if len(args) > 0 && equal(v, args[0]) {
					n++
				}
			}
			return n
		case "index":
			for i, v := range x {
				if len(args) > 0 && equal(v, args[0]) {
					return int64(i)
				}
			}
			r.fail(line, ErrRender, "list.index(x): x not in list")
		}
	case string:
		return r.strMethod(x, m.name, args, kw, line, argStr, argInt)
	}
	r.fail(line, ErrRender, "%s has no method %q", typeName(m.recv), m.name)
	return nil
}

func (r *renderer) strMethod(s, name string, args []any, kw map[string]any, line int,
	argStr func(int) (string, bool), argInt func(int, int64) int64) any {
	switch name {
	case "strip", "lstrip", "rstrip":
		chars, ok := argStr(0)
		trim := func(c rune) bool { return unicode.IsSpace(c) }
		if ok {
			trim = func(c rune) bool { return strings.ContainsRune(chars, c) }
		}
		switch name {
		case "strip":
			return strings.TrimFunc(s, trim)
		case "lstrip":
			return strings.TrimLeftFunc(s, trim)
		}
		return strings.TrimRightFunc(s, trim)
	case "split", "rsplit":
		sep, hasSep := argStr(0)
		if v, ok := kw["sep"]; ok {
			sep, hasSep = pyStr(v), v != nil
		}
		maxSplit := argInt(1, -1)
		if v, ok := kw["maxsplit"].(int64); ok {
			maxSplit = v
		}
		return pySplit(s, sep, hasSep, int(maxSplit), name == "rsplit")
	case "splitlines":
		return toAnyList(splitLines(s))
	case "startswith", "endswith":
		if len(args) < 1 {
			r.fail(line, ErrRender, "str.%s() needs an argument", name)
		}
		cands := []any{args[0]}
		if l, ok := args[0].([]any); ok {
			cands = l
		}
		for _, c := range cands {
			p, ok := c.(string)
			if !ok {
				r.fail(line, ErrRender, "str.%s(): argument must be str or a tuple of str, not %s", name, typeName(c))
			}
			if name == "startswith" && strings.HasPrefix(s, p) || name == "endswith" && strings.HasSuffix(s, p) {
				return true
			}
		}
		return false
	case "lower":
		return strings.ToLower(s)
	case "upper":
		return strings.ToUpper(s)
	case "swapcase":
		return strings.Map(func(c rune) rune {
			if unicode.IsUpper(c) {
				return unicode.ToLower(c)
			}
			return unicode.ToUpper(c)
		}, s)
	case "title":
		return pyTitle(s)
	case "capitalize":
		return capitalize(s)
	case "replace":
		old, _ := argStr(0)
		nw, _ := argStr(1)
		n := argInt(2, -1)
		out := strings.Replace(s, old, nw, int(n))
		r.checkSize(len(out))
		return out
	case "find", "rfind":
		sub, _ := argStr(0)
		var i int
		if name == "find" {
			i = strings.Index(s, sub)
		} else {
			i = strings.LastIndex(s, sub)
		}
		if i < 0 {
			return int64(-1)
		}
		return int64(runeLen(s[:i]))
	case "count":
		sub, _ := argStr(0)
		if sub == "" {
			return int64(runeLen(s) + 1)
		}
		return int64(strings.Count(s, sub))
	case "join":
		if len(args) < 1 {
			r.fail(line, ErrRender, "str.join() needs an iterable")
		}
		items := r.iterate(args[0], line)
		parts := make([]string, len(items))
		n := 0
		for i, it := range items {
			p, ok := it.(string)
			if !ok {
				r.fail(line, ErrRender, "str.join(): sequence item %d: expected str, %s found", i, typeName(it))
			}
			parts[i] = p
			n += len(p) + len(s)
		}
		r.checkSize(n)
		return strings.Join(parts, s)
	case "format":
		out, err := pyFormat(s, args, kw)
		if err != nil {
			r.fail(line, ErrRender, "str.format(): %v", err)
		}
		r.checkSize(len(out))
		return out
	case "isdigit", "isalpha", "isalnum", "isspace", "islower", "isupper":
		return strPredicate(s, name)
	}
	r.fail(line, ErrRender, "str has no method %q", name)
	return nil
}

func strPredicate(s, name string) bool {
	if s == "" {
		return false
	}
	cased := false
	for _, c := range s {
		switch name {
		case "isdigit":
			if !unicode.IsDigit(c) {
				return false
			}
		case "isalpha":
			if !unicode.IsLetter(c) {
				return false
			}
		case "isalnum":
			if !unicode.IsLetter(c) && !unicode.IsNumber(c) {
				return false
			}
		case "isspace":
			if !unicode.IsSpace(c) {
				return false
			}
		case "islower":
			if unicode.IsUpper(c) {
				return false
			}
			cased = cased || unicode.IsLower(c)
		case "isupper":
			if unicode.IsLower(c) {
				return false
			}
			cased = cased || unicode.IsUpper(c)
		}
	}
	if name == "islower" || name == "isupper" {
		return cased
	}
	return true
}

func toAnyList(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// pySplit is Python's str.split / str.rsplit.
func pySplit(s, sep string, hasSep bool, maxSplit int, fromRight bool) []any {
	if !hasSep {
		fields := strings.Fields(s)
		if maxSplit < 0 || maxSplit >= len(fields) {
			return toAnyList(fields)
		}
		// Keep the remainder unsplit (Python keeps its inner whitespace).
		if !fromRight {
			rest := s
			var out []string
			for i := 0; i < maxSplit; i++ {
				rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
				j := strings.IndexFunc(rest, unicode.IsSpace)
				out = append(out, rest[:j])
				rest = rest[j:]
			}
			out = append(out, strings.TrimLeftFunc(rest, unicode.IsSpace))
			return toAnyList(out)
		}
		rest := s
		var out []string
		for i := 0; i < maxSplit; i++ {
			rest = strings.TrimRightFunc(rest, unicode.IsSpace)
			j := strings.LastIndexFunc(rest, unicode.IsSpace)
			out = append([]string{rest[j+1:]}, out...)
			rest = rest[:j+1]
		}
		out = append([]string{strings.TrimRightFunc(rest, unicode.IsSpace)}, out...)
		return toAnyList(out)
	}
	if sep == "" {
		return []any{s}
	}
	if maxSplit < 0 {
		return toAnyList(strings.Split(s, sep))
	}
	if !fromRight {
		return toAnyList(strings.SplitN(s, sep, maxSplit+1))
	}
	parts := strings.Split(s, sep)
	if len(parts) <= maxSplit+1 {
		return toAnyList(parts)
	}
	k := len(parts) - maxSplit
	head := strings.Join(parts[:k], sep)
	return toAnyList(append([]string{head}, parts[k:]...))
}

func splitLines(s string) []string {
	var out []string
	for s != "" {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i])
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i++
		}
		s = s[i+1:]
	}
	return out
}

// pyTitle is Python's str.title(): upper-case a letter that follows a non-letter.
func pyTitle(s string) string {
	var b strings.Builder
	prevCased := false
	for _, c := range s {
		if prevCased {
			b.WriteRune(unicode.ToLower(c))
		} else {
			b.WriteRune(unicode.ToTitle(c))
		}
		prevCased = unicode.IsLetter(c)
	}
	return b.String()
}

func capitalize(s string) string {
	for i, c := range s {
		return string(unicode.ToUpper(c)) + strings.ToLower(s[i+len(string(c)):])
	}
	return s
}

// pyFormat is a subset of Python's str.format: {} {0} {name} with no format spec
// beyond an empty one.
func pyFormat(format string, args []any, kw map[string]any) (string, error) {
	var b strings.Builder
	auto := 0
	for i := 0; i < len(format); i++ {
		c := format[i]
		switch {
		case c == '{' && i+1 < len(format) && format[i+1] == '{':
			b.WriteByte('{')
			i++
		case c == '}' && i+1 < len(format) && format[i+1] == '}':
			b.WriteByte('}')
			i++
		case c == '{':
			j := strings.IndexByte(format[i:], '}')
			if j < 0 {
				return "", fmt.Errorf("single '{' encountered in format string")
			}
			field := format[i+1 : i+j]
			field, _, _ = strings.Cut(field, ":")
			var v any
			switch {
			case field == "":
				if auto >= len(args) {
					return "", fmt.Errorf("replacement index %d out of range", auto)
				}
				v = args[auto]
				auto++
			case field[0] >= '0' && field[0] <= '9':
				var n int
				fmt.Sscanf(field, "%d", &n)
				if n >= len(args) {
					return "", fmt.Errorf("replacement index %d out of range", n)
				}
				v = args[n]
			default:
				var ok bool
				if v, ok = kw[field]; !ok {
					return "", fmt.Errorf("missing key %q", field)
				}
			}
			b.WriteString(pyStr(v))
			i += j
		case c == '}':
			return "", fmt.Errorf("single '}' encountered in format string")
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// builtinGlobals are the functions every template sees: Jinja's range, dict,
// namespace, and transformers' raise_exception and strftime_now.
func builtinGlobals(r *renderer) map[string]any {
	return map[string]any{
		"range": Func(func(args []any, _ map[string]any) (any, error) {
			var start, stop, step int64 = 0, 0, 1
			ints := make([]int64, len(args))
			for i, a := range args {
				n, ok := a.(int64)
				if !ok {
					return nil, fmt.Errorf("range() arguments must be int, not %s", typeName(a))
				}
				ints[i] = n
			}
			switch len(ints) {
			case 1:
				stop = ints[0]
			case 2:
				start, stop = ints[0], ints[1]
			case 3:
				start, stop, step = ints[0], ints[1], ints[2]
			default:
				return nil, fmt.Errorf("range() takes 1 to 3 arguments, %d given", len(args))
			}
			if step == 0 {
				return nil, fmt.Errorf("range() step must not be zero")
			}
			n := int64(0)
			if step > 0 && stop > start {
				n = (stop - start + step - 1) / step
			} else if step < 0 && stop < start {
				n = (start - stop - step - 1) / -step
			}
			if n > r.lim.MaxLoopIterations || n < 0 {
				return nil, &Error{Template: r.tmpl.name, Line: r.line, Msg: fmt.Sprintf("range() of %d items exceeds the loop budget of %d", n, r.lim.MaxLoopIterations), Err: ErrLimit}
			}
			out := make([]any, n)
			for i := range out {
				out[i] = start + int64(i)*step
			}
			return out, nil
		}),
		"dict": Func(func(args []any, kw map[string]any) (any, error) {
			d := NewDict()
			if len(args) > 0 {
				src, ok := args[0].(*Dict)
				if !ok {
					return nil, fmt.Errorf("dict() argument must be a dict, not %s", typeName(args[0]))
				}
				for _, k := range src.keys {
					d.Set(k, src.vals[k])
				}
			}
			for _, k := range sortedKeys(kw) {
				d.Set(k, kw[k])
			}
			return d, nil
		}),
		"namespace": Func(func(args []any, kw map[string]any) (any, error) {
			ns := &namespace{d: NewDict()}
			if len(args) > 0 {
				src, ok := args[0].(*Dict)
				if !ok {
					return nil, fmt.Errorf("namespace() argument must be a dict, not %s", typeName(args[0]))
				}
				for _, k := range src.keys {
					ns.d.Set(k, src.vals[k])
				}
			}
			for _, k := range sortedKeys(kw) {
				ns.d.Set(k, kw[k])
			}
			return ns, nil
		}),
		"raise_exception": Func(func(args []any, _ map[string]any) (any, error) {
			msg := ""
			if len(args) > 0 {
				msg = pyStr(args[0])
			}
			return nil, &Error{Template: r.tmpl.name, Line: r.line, Msg: msg, Err: ErrRaised}
		}),
		"strftime_now": Func(func(args []any, _ map[string]any) (any, error) {
			if len(args) != 1 {
				return nil, fmt.Errorf("strftime_now() takes one format argument")
			}
			f, ok := args[0].(string)
			if !ok {
				return nil, fmt.Errorf("strftime_now() format must be str, not %s", typeName(args[0]))
			}
			return strftime(r.now(), f), nil
		}),
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ { // insertion sort: tiny maps
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

// strftime formats t like C strftime in the C locale, as Python's
// datetime.strftime does for the common directives.
func strftime(t time.Time, f string) string {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 >= len(f) {
			b.WriteByte(f[i])
			continue
		}
		i++
		switch f[i] {
		case 'Y':
			fmt.Fprintf(&b, "%04d", t.Year())
		case 'y':
			fmt.Fprintf(&b, "%02d", t.Year()%100)
		case 'm':
			fmt.Fprintf(&b, "%02d", int(t.Month()))
		case 'd':
			fmt.Fprintf(&b, "%02d", t.Day())
		case 'e':
			fmt.Fprintf(&b, "%2d", t.Day())
		case 'H':
			fmt.Fprintf(&b, "%02d", t.Hour())
		case 'I':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			fmt.Fprintf(&b, "%02d", h)
		case 'M':
			fmt.Fprintf(&b, "%02d", t.Minute())
		case 'S':
			fmt.Fprintf(&b, "%02d", t.Second())
		case 'p':
			if t.Hour() < 12 {
				b.WriteString("AM")
			} else {
				b.WriteString("PM")
			}
		case 'b', 'h':
			b.WriteString(t.Month().String()[:3])
		case 'B':
			b.WriteString(t.Month().String())
		case 'a':
			b.WriteString(t.Weekday().String()[:3])
		case 'A':
			b.WriteString(t.Weekday().String())
		case 'j':
			fmt.Fprintf(&b, "%03d", t.YearDay())
		case 'Z':
			name, _ := t.Zone()
			b.WriteString(name)
		case 'z':
			b.WriteString(t.Format("-0700"))
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(f[i])
		}
	}
	return b.String()
}
