package jsonnan

import (
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// Unmarshal is json.Unmarshal except that null read into a float (a field, a slice
// or array element, a map value) gives NaN, not "no change": what Marshal wrote as
// null (NaN or ±Inf) comes back undefined instead of as 0 or a stale value. Values
// of types with their own UnmarshalJSON or UnmarshalText are decoded by it; parts of
// v whose types hold no float are decoded by encoding/json directly.
func Unmarshal(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("jsonnan: Unmarshal(non-pointer %T)", v)
	}
	if !json.Valid(data) {
		return json.Unmarshal(data, v) // encoding/json's own syntax error
	}
	return decode(data, rv.Elem())
}

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func isNull(raw []byte) bool { return strings.TrimSpace(string(raw)) == "null" }

// decode stores raw (valid JSON) into the addressable v.
func decode(raw []byte, v reflect.Value) error {
	t := v.Type()
	if !hasFloat(t) || custom(t) {
		return json.Unmarshal(raw, v.Addr().Interface())
	}
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		if isNull(raw) {
			v.SetFloat(math.NaN())
			return nil
		}
		return json.Unmarshal(raw, v.Addr().Interface())
	case reflect.Pointer:
		if isNull(raw) {
			v.SetZero()
			return nil
		}
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		return decode(raw, v.Elem())
	case reflect.Slice, reflect.Array:
		return decodeList(raw, v)
	case reflect.Map:
		return decodeMap(raw, v)
	case reflect.Struct:
		return decodeStruct(raw, v)
	}
	return json.Unmarshal(raw, v.Addr().Interface())
}

func decodeList(raw []byte, v reflect.Value) error {
	if isNull(raw) {
		if v.Kind() == reflect.Slice {
			v.SetZero()
		}
		return nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return err
	}
	if v.Kind() == reflect.Slice {
		v.Set(reflect.MakeSlice(v.Type(), len(elems), len(elems)))
	}
	for i, e := range elems {
		if i >= v.Len() { // an array shorter than the JSON list: encoding/json drops the rest
			break
		}
		if err := decode(e, v.Index(i)); err != nil {
			return err
		}
	}
	for i := len(elems); i < v.Len(); i++ { // a longer array: the rest is zeroed, as encoding/json does
		v.Index(i).SetZero()
	}
	return nil
}

func decodeMap(raw []byte, v reflect.Value) error {
	if isNull(raw) {
		v.SetZero()
		return nil
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return err
	}
	t := v.Type()
	if v.IsNil() {
		v.Set(reflect.MakeMapWithSize(t, len(members)))
	}
	for name, m := range members {
		k := reflect.New(t.Key()).Elem()
		quoted, _ := json.Marshal(name)
		if err := json.Unmarshal(quoted, k.Addr().Interface()); err != nil {
			if err := json.Unmarshal([]byte(name), k.Addr().Interface()); err != nil { // integer keys
				return fmt.Errorf("jsonnan: map key %q: %w", name, err)
			}
		}
		e := reflect.New(t.Elem()).Elem()
		if err := decode(m, e); err != nil {
			return err
		}
		v.SetMapIndex(k, e)
	}
	return nil
}

func decodeStruct(raw []byte, v reflect.Value) error {
	if isNull(raw) {
		return nil
	}
	members, err := objectMembers(raw)
	if err != nil {
		return err
	}
	fields := fieldsOf(v.Type())
	for _, m := range members { // in document order: a later duplicate wins, as in encoding/json
		f, ok := fields.find(m.name)
		if !ok {
			continue
		}
		if err := decode(m.raw, v.FieldByIndex(f.index)); err != nil {
			return fmt.Errorf("jsonnan: field %s: %w", f.name, err)
		}
	}
	return nil
}

type member struct {
	name string
	raw  json.RawMessage
}

// objectMembers splits a JSON object into its members, in order.
func objectMembers(raw []byte) ([]member, error) {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, &json.UnmarshalTypeError{Value: "non-object", Type: reflect.TypeFor[map[string]any]()}
	}
	var out []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var m member
		m.name, _ = tok.(string)
		if err := dec.Decode(&m.raw); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// structField is one JSON member of a struct type: its name and the index path to
// the field (through embedded structs).
type structField struct {
	name  string
	index []int
}

type structFields []structField

// find returns the field named name exactly, else case-insensitively.
func (fs structFields) find(name string) (structField, bool) {
	for _, f := range fs {
		if f.name == name {
			return f, true
		}
	}
	for _, f := range fs {
		if strings.EqualFold(f.name, name) {
			return f, true
		}
	}
	return structField{}, false
}

var structFieldCache sync.Map // reflect.Type -> structFields

// fieldsOf lists t's JSON fields: its own first, then those promoted from embedded
// structs (an outer field hides an embedded one of the same name).
func fieldsOf(t reflect.Type) structFields {
	if v, ok := structFieldCache.Load(t); ok {
		return v.(structFields)
	}
	var own, promoted structFields
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if sf.Anonymous && name == "" && sf.Type.Kind() == reflect.Struct {
			for _, f := range fieldsOf(sf.Type) {
				promoted = append(promoted, structField{f.name, append([]int{i}, f.index...)})
			}
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		own = append(own, structField{name, []int{i}})
	}
	for _, f := range promoted {
		if !slices.ContainsFunc(own, func(o structField) bool { return o.name == f.name }) {
			own = append(own, f)
		}
	}
	structFieldCache.Store(t, own)
	return own
}

// custom reports whether t (or *t) decodes itself.
func custom(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return t.Implements(unmarshalerType) || pt.Implements(unmarshalerType) ||
		t.Implements(textUnmarshalerType) || pt.Implements(textUnmarshalerType)
}

// floatTypes memoises hasFloat.
var floatTypes sync.Map // reflect.Type -> bool

// hasFloat reports whether a value of type t can hold a float that encoding/json
// would decode (so that null must become NaN): t is a float or contains one through
// fields, elements or pointers, not behind a custom decoder or an interface.
func hasFloat(t reflect.Type) bool {
	if v, ok := floatTypes.Load(t); ok {
		return v.(bool)
	}
	r := containsFloat(t, map[reflect.Type]bool{})
	floatTypes.Store(t, r)
	return r
}

// containsFloat is hasFloat without the memo; visiting breaks cycles of recursive
// types (a type on the current path adds nothing new).
func containsFloat(t reflect.Type, visiting map[reflect.Type]bool) bool {
	if visiting[t] || custom(t) {
		return false
	}
	visiting[t] = true
	defer delete(visiting, t)
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		return containsFloat(t.Elem(), visiting)
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if f := t.Field(i); (f.IsExported() || f.Anonymous) && containsFloat(f.Type, visiting) {
				return true
			}
		}
	}
	return false
}
