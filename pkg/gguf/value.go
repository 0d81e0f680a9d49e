package gguf

import (
	"fmt"
	"math"
	"strings"
)

// Value is one metadata value: a scalar, a string, or an array. Arrays of scalars
// or strings hold a typed Go slice ([]int32, []string, ...); arrays of arrays hold
// []Value. The zero Value is invalid (Type returns TypeUint8 and Interface nil).
type Value struct {
	typ  ValueType
	elem ValueType // element type when typ == TypeArray
	v    any
}

// Type returns the value's type.
func (v Value) Type() ValueType { return v.typ }

// ElemType returns the element type of an array value (meaningless otherwise).
func (v Value) ElemType() ValueType { return v.elem }

// Interface returns the Go value: uint8, int8, uint16, int16, uint32, int32, float32,
// bool, string, uint64, int64, float64, a slice of one of those, or []Value.
func (v Value) Interface() any { return v.v }

// Len returns the number of elements of an array value, or 0 for a scalar.
func (v Value) Len() int {
	switch s := v.v.(type) {
	case []uint8:
		return len(s)
	case []int8:
		return len(s)
	case []uint16:
		return len(s)
	case []int16:
		return len(s)
	case []uint32:
		return len(s)
	case []int32:
		return len(s)
	case []float32:
		return len(s)
	case []bool:
		return len(s)
	case []string:
		return len(s)
	case []uint64:
		return len(s)
	case []int64:
		return len(s)
	case []float64:
		return len(s)
	case []Value:
		return len(s)
	}
	return 0
}

// AsUint returns an integer value as uint64; ok is false for other types and for
// negative signed values.
func (v Value) AsUint() (uint64, bool) {
	switch x := v.v.(type) {
	case uint8:
		return uint64(x), true
	case uint16:
		return uint64(x), true
	case uint32:
		return uint64(x), true
	case uint64:
		return x, true
	}
	if i, ok := v.asSigned(); ok && i >= 0 {
		return uint64(i), true
	}
	return 0, false
}

// AsInt returns an integer value as int64; ok is false for other types and for
// unsigned values above math.MaxInt64.
func (v Value) AsInt() (int64, bool) {
	if i, ok := v.asSigned(); ok {
		return i, true
	}
	if u, ok := v.AsUint(); ok && u <= math.MaxInt64 {
		return int64(u), true
	}
	return 0, false
}

func (v Value) asSigned() (int64, bool) {
	switch x := v.v.(type) {
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	}
	return 0, false
}

// AsFloat returns a float32 or float64 value as float64.
func (v Value) AsFloat() (float64, bool) {
	switch x := v.v.(type) {
	case float32:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// AsBool returns a bool value.
func (v Value) AsBool() (bool, bool) { b, ok := v.v.(bool); return b, ok }

// AsString returns a string value.
func (v Value) AsString() (string, bool) { s, ok := v.v.(string); return s, ok }

// AsStrings returns an array of strings (not a copy: do not modify it).
func (v Value) AsStrings() ([]string, bool) { s, ok := v.v.([]string); return s, ok }

// AsArray returns an array of arrays (not a copy: do not modify it).
func (v Value) AsArray() ([]Value, bool) { s, ok := v.v.([]Value); return s, ok }

// String formats the value for people; arrays longer than 8 elements are elided.
func (v Value) String() string {
	if v.typ != TypeArray {
		if s, ok := v.v.(string); ok {
			return fmt.Sprintf("%q", s)
		}
		return fmt.Sprint(v.v)
	}
	n := v.Len()
	var b strings.Builder
	fmt.Fprintf(&b, "[%d]%s{", n, v.elem)
	for i := 0; i < n && i < 8; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(v.index(i).String())
	}
	if n > 8 {
		b.WriteString(", ...")
	}
	b.WriteString("}")
	return b.String()
}

// index returns element i of an array value as a Value.
func (v Value) index(i int) Value {
	switch s := v.v.(type) {
	case []uint8:
		return Value{typ: TypeUint8, v: s[i]}
	case []int8:
		return Value{typ: TypeInt8, v: s[i]}
	case []uint16:
		return Value{typ: TypeUint16, v: s[i]}
	case []int16:
		return Value{typ: TypeInt16, v: s[i]}
	case []uint32:
		return Value{typ: TypeUint32, v: s[i]}
	case []int32:
		return Value{typ: TypeInt32, v: s[i]}
	case []float32:
		return Value{typ: TypeFloat32, v: s[i]}
	case []bool:
		return Value{typ: TypeBool, v: s[i]}
	case []string:
		return Value{typ: TypeString, v: s[i]}
	case []uint64:
		return Value{typ: TypeUint64, v: s[i]}
	case []int64:
		return Value{typ: TypeInt64, v: s[i]}
	case []float64:
		return Value{typ: TypeFloat64, v: s[i]}
	case []Value:
		return s[i]
	}
	return Value{}
}

// ValueOf wraps a Go value as a metadata Value for Write. It accepts the types that
// Interface returns: the twelve scalar types, slices of them, and []Value (an array
// of arrays, whose elements must all be arrays).
func ValueOf(x any) (Value, error) {
	switch s := x.(type) {
	case uint8:
		return Value{typ: TypeUint8, v: s}, nil
	case int8:
		return Value{typ: TypeInt8, v: s}, nil
	case uint16:
		return Value{typ: TypeUint16, v: s}, nil
	case int16:
		return Value{typ: TypeInt16, v: s}, nil
	case uint32:
		return Value{typ: TypeUint32, v: s}, nil
	case int32:
		return Value{typ: TypeInt32, v: s}, nil
	case float32:
		return Value{typ: TypeFloat32, v: s}, nil
	case bool:
		return Value{typ: TypeBool, v: s}, nil
	case string:
		return Value{typ: TypeString, v: s}, nil
	case uint64:
		return Value{typ: TypeUint64, v: s}, nil
	case int64:
		return Value{typ: TypeInt64, v: s}, nil
	case float64:
		return Value{typ: TypeFloat64, v: s}, nil
	case []uint8:
		return Value{typ: TypeArray, elem: TypeUint8, v: s}, nil
	case []int8:
		return Value{typ: TypeArray, elem: TypeInt8, v: s}, nil
	case []uint16:
		return Value{typ: TypeArray, elem: TypeUint16, v: s}, nil
	case []int16:
		return Value{typ: TypeArray, elem: TypeInt16, v: s}, nil
	case []uint32:
		return Value{typ: TypeArray, elem: TypeUint32, v: s}, nil
	case []int32:
		return Value{typ: TypeArray, elem: TypeInt32, v: s}, nil
	case []float32:
		return Value{typ: TypeArray, elem: TypeFloat32, v: s}, nil
	case []bool:
		return Value{typ: TypeArray, elem: TypeBool, v: s}, nil
	case []string:
		return Value{typ: TypeArray, elem: TypeString, v: s}, nil
	case []uint64:
		return Value{typ: TypeArray, elem: TypeUint64, v: s}, nil
	case []int64:
		return Value{typ: TypeArray, elem: TypeInt64, v: s}, nil
	case []float64:
		return Value{typ: TypeArray, elem: TypeFloat64, v: s}, nil
	case []Value:
		for i, e := range s {
			if e.typ != TypeArray {
				return Value{}, fmt.Errorf("gguf: ValueOf: element %d of []Value is a %s, want an array", i, e.typ)
			}
		}
		return Value{typ: TypeArray, elem: TypeArray, v: s}, nil
	case Value:
		return s, nil
	}
	return Value{}, fmt.Errorf("gguf: ValueOf: unsupported Go type %T", x)
}

// MustValueOf is ValueOf that panics on an unsupported type; for literals in tests
// and examples.
func MustValueOf(x any) Value {
	v, err := ValueOf(x)
	if err != nil {
		panic(err)
	}
	return v
}
