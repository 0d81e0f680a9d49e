package model

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/ifprobe/ifprobe/pkg/safetensors"
)

// WeightDType is the element type a Model keeps its weights in on the backend:
// the one vocabulary of the --weights flag, LoadOptions, lm.Options and the bench
// tables. Whatever it is, the graphs compute in f32: each weight is converted to
// f32 next to its use (XLA fuses or streams the convert), and the residual
// stream, norms, softmax, KV cache and captured activations stay f32, so probes
// read f32 states from every model.
type WeightDType string

// Weight types. F32 is the default (the zero value means F32).
const (
	WeightsF32  WeightDType = "f32"
	WeightsBF16 WeightDType = "bf16" // bfloat16: f32's range, 8-bit mantissa
	WeightsF16  WeightDType = "f16"  // IEEE binary16: 11-bit mantissa, range ±65504
)

// WeightDTypes lists the accepted spellings, for flag help and errors.
var WeightDTypes = []WeightDType{WeightsF32, WeightsBF16, WeightsF16}

// ErrBadWeights is returned (wrapped) for a weight type this package does not
// know or the backend cannot hold.
var ErrBadWeights = errors.New("model: bad weight type")

// ParseWeightDType reads a weight type ("f32", "bf16", "f16"; case-insensitive,
// "" is f32). The error names flag, the option it was given as.
func ParseWeightDType(flag, s string) (WeightDType, error) {
	v := WeightDType(strings.ToLower(strings.TrimSpace(s)))
	if v == "" {
		return WeightsF32, nil
	}
	for _, d := range WeightDTypes {
		if v == d {
			return d, nil
		}
	}
	return "", fmt.Errorf("%w: %s %q: want one of %s", ErrBadWeights, flag, s, weightDTypeList())
}

func weightDTypeList() string {
	s := make([]string, len(WeightDTypes))
	for i, d := range WeightDTypes {
		s[i] = string(d)
	}
	return strings.Join(s, ", ")
}

// orF32 is d, with the zero value meaning f32.
func (d WeightDType) orF32() WeightDType {
	if d == "" {
		return WeightsF32
	}
	return d
}

// DType is the GoMLX element type of d.
func (d WeightDType) DType() dtypes.DType {
	switch d.orF32() {
	case WeightsBF16:
		return dtypes.BFloat16
	case WeightsF16:
		return dtypes.Float16
	}
	return dtypes.Float32
}

// Bytes is the size of one parameter stored as d.
func (d WeightDType) Bytes() int { return d.DType().Size() }

// safetensors is the file dtype whose bits d keeps as they are.
func (d WeightDType) safetensors() safetensors.DType {
	switch d.orF32() {
	case WeightsBF16:
		return safetensors.BF16
	case WeightsF16:
		return safetensors.F16
	}
	return safetensors.F32
}

// check reports whether backend can hold weights of type d. SimpleGo computes in
// bf16 but not f16; the XLA plugins take both.
func (d WeightDType) check(backend backends.Backend) error {
	if _, err := ParseWeightDType("weights", string(d)); err != nil {
		return err
	}
	if _, isGo := backend.(*simplego.Backend); isGo && d.orF32() == WeightsF16 {
		return fmt.Errorf("%w: %s weights: the SimpleGo backend has no f16 arithmetic (use bf16, or an XLA backend)", ErrBadWeights, d)
	}
	return nil
}

// LoadOptions configure how a checkpoint's weights are loaded. The zero value
// loads f32 weights, as LoadGGUF and LoadHF do.
type LoadOptions struct {
	// Weights is the type the weights are kept in on the backend. bf16 and f16
	// halve the weights' memory; a checkpoint stored in that type is loaded bit for
	// bit, anything else (f32, another 16-bit type, GGUF quantizations) is rounded
	// to nearest even once at load.
	Weights WeightDType
}

// newWeightTensor returns a host tensor of type d and shape with its bytes filled
// by fill (a little-endian buffer of numel(shape)*d.Bytes() bytes).
func newWeightTensor(d WeightDType, shape []int, fill func(dst []byte) error) (*tensors.Tensor, error) {
	t := tensors.FromShape(shapes.Make(d.DType(), shape...))
	var ferr error
	if err := t.MutableBytes(func(data []byte) { ferr = fill(data) }); err != nil {
		return nil, err
	}
	if ferr != nil {
		t.FinalizeAll()
		return nil, ferr
	}
	return t, nil
}

// narrow writes src as type d into dst, rounding to nearest even (as torch's
// .to(torch.bfloat16) and numpy's astype(float16) do; GoMLX's own bfloat16
// conversion truncates).
func narrow(dst []byte, src []float32, d WeightDType) {
	le := binary.LittleEndian
	switch d.orF32() {
	case WeightsBF16:
		for i, v := range src {
			le.PutUint16(dst[2*i:], safetensors.Float32ToBFloat16(v))
		}
	case WeightsF16:
		for i, v := range src {
			le.PutUint16(dst[2*i:], safetensors.Float32ToFloat16(v))
		}
	default:
		for i, v := range src {
			le.PutUint32(dst[4*i:], math.Float32bits(v))
		}
	}
}
