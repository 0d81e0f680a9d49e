package jsonnan

import (
	"encoding"
	"encoding/json"
	"math"
	"reflect"
	"strings"
)

// MarshalIndent is json.MarshalIndent with NaN and ±Inf written as null.
func MarshalIndent(v any, prefix, indent string) ([]byte, error) {
	return json.MarshalIndent(clean(reflect.ValueOf(v)), prefix, indent)
}

// Marshal is json.Marshal with NaN and ±Inf written as null.
func Marshal(v any) ([]byte, error) { return json.Marshal(clean(reflect.ValueOf(v))) }

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// clean converts v into a tree of JSON-ready values with non-finite floats as nil.
func clean(v reflect.Value) any {
	if !v.IsValid() {
		return nil
	}
	if v.Type().Implements(marshalerType) || v.Type().Implements(textMarshalerType) {
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return nil
		}
		return v.Interface()
	}
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil
		}
		return f
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return clean(v.Elem())
	case reflect.Slice:
		if v.IsNil() {
			return nil
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return v.Interface() // []byte: base64, as encoding/json does
		}
		fallthrough
	case reflect.Array:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = clean(v.Index(i))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		out := make(map[string]any, v.Len())
		it := v.MapRange()
		for it.Next() {
			k, _ := json.Marshal(it.Key().Interface())
			key := strings.Trim(string(k), `"`)
			out[key] = clean(it.Value())
		}
		return out
	case reflect.Struct:
		return cleanStruct(v)
	}
	return v.Interface()
}

// field is one JSON member of a struct, in declaration order.
type field struct {
	name  string
	value any
}

// object keeps struct fields in declaration order when encoded.
type object []field

func (o object) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.name)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(f.value)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

func cleanStruct(v reflect.Value) any {
	t := v.Type()
	var out object
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		name, opts, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" && opts == "" {
			continue
		}
		fv := v.Field(i)
		// Fields of an embedded struct are promoted, even when its type is unexported.
		if sf.Anonymous && name == "" && fv.Kind() == reflect.Struct {
			if inner, ok := cleanStruct(fv).(object); ok {
				out = append(out, inner...)
			}
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if strings.Contains(opts, "omitempty") && fv.IsZero() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		out = append(out, field{name, clean(fv)})
	}
	return out
}
