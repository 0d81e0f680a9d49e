package model

import (
	"reflect"
	"unsafe"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// aliasOutput asks XLA to write output out of the graph into the buffer of
// parameter param (StableHLO's tf.aliasing_output), so that a graph that returns
// an updated KV cache updates it in place instead of copying the whole cache
// first: without it every decode step copied every layer's keys and values (60
// copies of [batch, kv_heads, capacity, head_dim] for SmolLM2), which cost more
// than the step's attention. The buffer must also be donated at execution
// (graph.DonateTensorBuffer), otherwise PJRT copies it before the run.
//
// GoMLX v0.26 has no API for it: this reaches the parameter's StableHLO value
// through the graph node's fields. It reports whether it could; on another
// backend (SimpleGo) or a GoMLX whose fields differ it changes nothing, and the
// graph computes the same values, only with the copy.
func aliasOutput(param *graph.Node, out int) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	ops := field(reflect.ValueOf(param).Elem(), "outputOps")
	if ops.Kind() != reflect.Slice || ops.Len() != 1 {
		return false
	}
	op := ops.Index(0)
	if op.Kind() == reflect.Interface {
		op = op.Elem()
	}
	if op.Kind() != reflect.Pointer || op.Elem().Kind() != reflect.Struct {
		return false
	}
	val := field(op.Elem(), "value") // *stablehlo.Value of the xla backend's Node
	if !val.IsValid() || val.Kind() != reflect.Pointer || val.IsNil() {
		return false
	}
	attrs := val.Elem().FieldByName("Attributes")
	if !attrs.IsValid() || attrs.Kind() != reflect.Map || attrs.Type().Key().Kind() != reflect.String {
		return false
	}
	if attrs.IsNil() {
		attrs.Set(reflect.MakeMap(attrs.Type()))
	}
	attrs.SetMapIndex(reflect.ValueOf("tf.aliasing_output"), reflect.ValueOf(int32(out)))
	return true
}

// field returns struct s's field name, readable and settable even when unexported
// (s must be addressable).
func field(s reflect.Value, name string) reflect.Value {
	f := s.FieldByName(name)
	if !f.IsValid() {
		return f
	}
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
}
