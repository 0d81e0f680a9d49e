package jinja

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Undefined is the value of a missing variable, attribute or key. It renders as
// the empty string, is false, iterates as empty, and fails on attribute access,
// as in Jinja's default Undefined.
type Undefined struct{ Name string }

// Func is a Go function callable from templates. args are positional, kwargs
// keyword arguments (nil when none were given).
type Func func(args []any, kwargs map[string]any) (any, error)

// Dict is an insertion-ordered mapping, Jinja's (and Python's) dict. Keys are
// strings, int64, float64, bool or nil.
type Dict struct {
	keys []any
	vals map[any]any
}

// NewDict returns an empty Dict.
func NewDict() *Dict { return &Dict{vals: map[any]any{}} }

func normKey(k any) any {
	switch v := k.(type) {
	case int:
		return int64(v)
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<62 {
			return int64(v)
		}
	}
	return k
}

// Set sets key k to v, keeping the first insertion position of k.
func (d *Dict) Set(k, v any) {
	k = normKey(k)
	if _, ok := d.vals[k]; !ok {
		d.keys = append(d.keys, k)
	}
	d.vals[k] = v
}

// Get returns the value at k.
func (d *Dict) Get(k any) (any, bool) {
	if !hashable(k) {
		return nil, false
	}
	v, ok := d.vals[normKey(k)]
	return v, ok
}

// Keys returns the keys in insertion order.
func (d *Dict) Keys() []any { return append([]any(nil), d.keys...) }

// Len returns the number of entries.
func (d *Dict) Len() int { return len(d.keys) }

func hashable(k any) bool {
	switch k.(type) {
	case nil, string, int64, int, float64, bool:
		return true
	}
	return false
}

// markup is a string marked safe (the safe and escape filters). Like
// markupsafe.Markup, adding a plain string to it HTML-escapes that string.
type markup string

// tuple is a Python tuple: a list everywhere except in its repr "(1, 2)".
type tuple []any

// plain turns markup into a plain string and a tuple into a list: every
// operation but + (markup) and repr (both) sees them that way.
func plain(v any) any {
	switch x := v.(type) {
	case markup:
		return string(x)
	case tuple:
		return []any(x)
	}
	return v
}

func plainAll(vs []any) []any {
	for i, v := range vs {
		vs[i] = plain(v)
	}
	return vs
}

// generator is the lazy sequence Python's map/select filters return: it
// iterates, but has no len() and no JSON form.
type generator struct{ items []any }

// namespace is the mutable object created by namespace(); the only thing a
// template may modify ({% set ns.x = ... %}).
type namespace struct{ d *Dict }

// macro is a template-defined function.
type macro struct {
	def     *macroStmt
	closure *frame
}

// loopInfo is the "loop" variable of a for loop.
type loopInfo struct {
	index0, length int
	items          []any
	depth          int
}

// FromGo converts Go data to template values: maps (sorted keys; use *Dict or
// FromJSON to keep an order), slices, arrays, structs are not accepted. Numbers
// become int64 or float64.
func FromGo(v any) (any, error) {
	switch x := v.(type) {
	case nil, bool, int64, float64, string, *Dict, Func, Undefined, *namespace, *macro, *loopInfo, *boundMethod, *generator, markup, tuple:
		return x, nil
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case float32:
		return float64(x), nil
	case json.RawMessage:
		return FromJSON(x)
	case func(args []any, kwargs map[string]any) (any, error):
		return Func(x), nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			c, err := FromGo(e)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		d := NewDict()
		for _, k := range keys {
			c, err := FromGo(x[k])
			if err != nil {
				return nil, err
			}
			d.Set(k, c)
		}
		return d, nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			c, err := FromGo(rv.Index(i).Interface())
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case reflect.Map:
		if rv.Type().Key().Kind() == reflect.String {
			m := map[string]any{}
			for _, k := range rv.MapKeys() {
				m[k.String()] = rv.MapIndex(k).Interface()
			}
			return FromGo(m)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int64(rv.Uint()), nil
	case reflect.String:
		return rv.String(), nil
	case reflect.Bool:
		return rv.Bool(), nil
	}
	return nil, fmt.Errorf("jinja: cannot use Go value of type %T in a template", v)
}

// FromJSON decodes JSON into template values, keeping object key order.
func FromJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeJSON(dec, 0)
	if err != nil {
		return nil, fmt.Errorf("jinja: decode JSON: %w", err)
	}
	if _, err := dec.Token(); err == nil {
		return nil, fmt.Errorf("jinja: decode JSON: trailing data")
	}
	return v, nil
}

func decodeJSON(dec *json.Decoder, depth int) (any, error) {
	if depth > maxParseDepth {
		return nil, fmt.Errorf("nesting deeper than %d", maxParseDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '[':
			out := []any{}
			for dec.More() {
				v, err := decodeJSON(dec, depth+1)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			}
			_, err := dec.Token()
			return out, err
		case '{':
			d := NewDict()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeJSON(dec, depth+1)
				if err != nil {
					return nil, err
				}
				d.Set(kt.(string), v)
			}
			_, err := dec.Token()
			return d, err
		}
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i, nil
		}
		return t.Float64()
	case string, bool, nil:
		return t, nil
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}

// truthy is Python truthiness.
func truthy(v any) bool {
	switch x := plain(v).(type) {
	case nil, Undefined:
		return false
	case bool:
		return x
	case int64:
		return x != 0
	case float64:
		return x != 0
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case *Dict:
		return x.Len() > 0
	}
	return true
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "NoneType"
	case Undefined:
		return "Undefined"
	case bool:
		return "bool"
	case int64:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []any:
		return "list"
	case *Dict:
		return "dict"
	case *namespace:
		return "Namespace"
	case *macro:
		return "Macro"
	case Func, *boundMethod:
		return "function"
	case *loopInfo:
		return "LoopContext"
	case *generator:
		return "generator"
	}
	return fmt.Sprintf("%T", v)
}

func asNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// equal is Python ==.
func equal(a, b any) bool {
	a, b = plain(a), plain(b)
	switch x := a.(type) {
	case Undefined:
		_, ok := b.(Undefined)
		return ok
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case int64, float64, bool:
		if bi, ok := b.(int64); ok {
			if ai, ok := a.(int64); ok {
				return ai == bi
			}
		}
		fa, _ := asNumber(a)
		fb, ok := asNumber(b)
		return ok && fa == fb
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case *Dict:
		y, ok := b.(*Dict)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for _, k := range x.keys {
			yv, ok := y.Get(k)
			if !ok || !equal(x.vals[k], yv) {
				return false
			}
		}
		return true
	}
	return a == b
}

// compare is Python's ordering for numbers, strings and lists.
func compare(a, b any) (int, error) {
	a, b = plain(a), plain(b)
	if sa, ok := a.(string); ok {
		if sb, ok := b.(string); ok {
			return strings.Compare(sa, sb), nil
		}
	}
	if la, ok := a.([]any); ok {
		if lb, ok := b.([]any); ok {
			for i := 0; i < len(la) && i < len(lb); i++ {
				if !equal(la[i], lb[i]) {
					return compare(la[i], lb[i])
				}
			}
			return cmpInt(len(la), len(lb)), nil
		}
	}
	if ia, ok := a.(int64); ok {
		if ib, ok := b.(int64); ok {
			return cmpInt(int(ia), int(ib)), nil
		}
	}
	fa, ok1 := asNumber(a)
	fb, ok2 := asNumber(b)
	if ok1 && ok2 {
		switch {
		case fa < fb:
			return -1, nil
		case fa > fb:
			return 1, nil
		}
		return 0, nil
	}
	return 0, fmt.Errorf("'<' not supported between instances of %q and %q", typeName(a), typeName(b))
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// pyStr is Python str(v), which {{ }} and ~ use.
func pyStr(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case markup:
		return string(x)
	case Undefined:
		return ""
	}
	return pyRepr(v)
}

// maxReprBytes caps the text repr and tojson build for one value, so a small
// value with much sharing ([s] * n) cannot expand into gigabytes. Anything
// near the cap also exceeds the renderer's output limit and fails there.
const maxReprBytes = 64 << 20

// pyRepr is Python repr(v).
func pyRepr(v any) string {
	var b strings.Builder
	writeRepr(&b, v, 0)
	return b.String()
}

func writeRepr(b *strings.Builder, v any, depth int) {
	if t, ok := v.(tuple); ok {
		b.WriteByte('(')
		for i, e := range t {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, e, depth+1)
		}
		if len(t) == 1 {
			b.WriteByte(',')
		}
		b.WriteByte(')')
		return
	}
	v = plain(v)
	if depth > maxParseDepth || b.Len() > maxReprBytes {
		b.WriteString("...")
		return
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("None")
	case Undefined:
		b.WriteString("")
	case bool:
		if x {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		b.WriteString(pyFloat(x))
	case string:
		writeStrRepr(b, x)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, e, depth+1)
		}
		b.WriteByte(']')
	case *Dict:
		b.WriteByte('{')
		for i, k := range x.keys {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, k, depth+1)
			b.WriteString(": ")
			writeRepr(b, x.vals[k], depth+1)
		}
		b.WriteByte('}')
	case *generator:
		b.WriteString("<generator object>")
	case *namespace:
		b.WriteString("<Namespace ")
		writeRepr(b, x.d, depth+1)
		b.WriteString(">")
	default:
		fmt.Fprintf(b, "<%s>", typeName(v))
	}
}

func writeStrRepr(b *strings.Builder, s string) {
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == rune(q) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == utf8.RuneError || !unicode.IsPrint(r):
			switch {
			case r < 0x100:
				fmt.Fprintf(b, `\x%02x`, r)
			case r < 0x10000:
				fmt.Fprintf(b, `\u%04x`, r)
			default:
				fmt.Fprintf(b, `\U%08x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
}

// pyFloat is Python's repr of a float: shortest round-trip digits, fixed
// notation for exponents in [-4, 16), ".0" for integral values.
func pyFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // e.g. "-1.2345e+06"
	mant, expS, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expS)
	neg := strings.HasPrefix(mant, "-")
	mant = strings.TrimPrefix(mant, "-")
	digits := strings.Replace(mant, ".", "", 1)
	sign := ""
	if neg {
		sign = "-"
	}
	if exp < -4 || exp >= 16 {
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		es := fmt.Sprintf("%+03d", exp)
		return sign + m + "e" + es
	}
	if exp < 0 {
		return sign + "0." + strings.Repeat("0", -exp-1) + digits
	}
	if len(digits) <= exp+1 {
		return sign + digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
	}
	return sign + digits[:exp+1] + "." + digits[exp+1:]
}

// jsonOpts are the arguments of transformers' tojson (json.dumps).
type jsonOpts struct {
	indent     string // "" means no indentation
	hasIndent  bool
	itemSep    string
	keySep     string
	sortKeys   bool
	ensureASCI bool
}

func writeJSON(b *strings.Builder, v any, o *jsonOpts, level int) error {
	v = plain(v)
	if level > maxParseDepth {
		return fmt.Errorf("tojson: nesting deeper than %d", maxParseDepth)
	}
	if b.Len() > maxReprBytes {
		return fmt.Errorf("tojson: output larger than %d bytes", maxReprBytes)
	}
	nl := func(l int) {
		if o.hasIndent {
			b.WriteByte('\n')
			b.WriteString(strings.Repeat(o.indent, l))
		}
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		switch {
		case math.IsInf(x, 1):
			b.WriteString("Infinity")
		case math.IsInf(x, -1):
			b.WriteString("-Infinity")
		case math.IsNaN(x):
			b.WriteString("NaN")
		default:
			b.WriteString(pyFloat(x))
		}
	case string:
		writeJSONString(b, x, o.ensureASCI)
	case []any:
		if len(x) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(o.itemSep)
			}
			nl(level + 1)
			if err := writeJSON(b, e, o, level+1); err != nil {
				return err
			}
		}
		nl(level)
		b.WriteByte(']')
	case *Dict:
		if x.Len() == 0 {
			b.WriteString("{}")
			return nil
		}
		keys := x.keys
		if o.sortKeys {
			keys = append([]any(nil), keys...)
			var err error
			sort.SliceStable(keys, func(i, j int) bool {
				c, e := compare(keys[i], keys[j])
				if e != nil {
					err = e
				}
				return c < 0
			})
			if err != nil {
				return fmt.Errorf("tojson: sort_keys: %w", err)
			}
		}
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(o.itemSep)
			}
			nl(level + 1)
			var ks string
			switch kk := k.(type) {
			case string:
				ks = kk
			case nil:
				ks = "null"
			case bool:
				ks = map[bool]string{true: "true", false: "false"}[kk]
			default:
				ks = pyStr(kk)
			}
			writeJSONString(b, ks, o.ensureASCI)
			b.WriteString(o.keySep)
			if err := writeJSON(b, x.vals[k], o, level+1); err != nil {
				return err
			}
		}
		nl(level)
		b.WriteByte('}')
	case *namespace:
		return writeJSON(b, x.d, o, level)
	case Undefined:
		return fmt.Errorf("tojson: Object of type Undefined is not JSON serializable")
	default:
		return fmt.Errorf("tojson: Object of type %s is not JSON serializable", typeName(v))
	}
	return nil
}

// writeJSONString follows Python's json encoder (ensure_ascii optional).
func writeJSONString(b *strings.Builder, s string, ascii bool) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r < 0x20:
				fmt.Fprintf(b, `\u%04x`, r)
			case ascii && r > 0x7f:
				if r >= 0x10000 {
					r -= 0x10000
					fmt.Fprintf(b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
				} else {
					fmt.Fprintf(b, `\u%04x`, r)
				}
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}
