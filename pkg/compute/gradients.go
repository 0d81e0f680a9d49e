package compute

import (
	"reflect"
	"slices"
	"sync"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // graph code reads best with the dot import, as in GoMLX itself
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// The stock GoMLX v0.26.0 gradients of DotGeneral, Dot and Slice are written for
// XLA: DotGeneral's and Dot's broadcast the cotangent against the other operand
// and reduce, materialising a [batch, M, N, K] tensor (33 s and GBs per step for a
// 5M-parameter transformer on SimpleGo); Slice's uses Pad, which SimpleGo lacks.
// graph.VJPRegistration is documented as replaceable, so we install gradients
// that are themselves DotGenerals (and, for Slice, concatenations with zeros).
// They are exact on every backend, so they are installed once, globally, for the
// whole process as soon as this package is imported.

var (
	installOnce sync.Once
	// stockVJP keeps GoMLX's own gradients, the fallback when a node's
	// parameters cannot be read (a GoMLX upgrade renamed a field) and the
	// reference the tests compare against.
	stockVJP = map[NodeType]VJP{}
)

func init() { InstallGradients() }

// InstallGradients replaces, in graph.VJPRegistration, the gradients of
// DotGeneral, Dot and Slice with ones that SimpleGo runs fast (see the package
// documentation). It is idempotent and runs when this package is imported, so
// every graph built in a process that imports compute gets them; Open calls it
// too. It must not run concurrently with graph building in another package that
// does not import compute, which cannot happen once init has run.
func InstallGradients() {
	installOnce.Do(func() {
		for t, vjp := range map[NodeType]SingleOutputVJP{
			NodeTypeDotGeneral: dotGeneralVJP,
			NodeTypeDot:        dotVJP,
			NodeTypeSlice:      sliceVJP,
		} {
			stockVJP[t] = VJPRegistration[t]
			VJPRegistration[t] = singleOutput(vjp)
		}
	})
}

func singleOutput(fn SingleOutputVJP) VJP {
	return func(node *Node, vjpOutputs []*Node, outputShape shapes.Shape) []*Node {
		return fn(node, vjpOutputs[0], outputShape)
	}
}

// fallback runs the stock gradient of node.
func fallback(node, v *Node, outputShape shapes.Shape) []*Node {
	return stockVJP[node.Type()](node, []*Node{v}, outputShape)
}

// dotGeneralParams are the static parameters of a DotGeneral node.
type dotGeneralParams struct {
	lhsContracting, lhsBatch, rhsContracting, rhsBatch []int
}

// readDotGeneralParams reads the axes of a DotGeneral node. GoMLX keeps them in
// unexported fields and has no accessor; reflection reads them without unsafe.
// ok is false when the layout is not the one of GoMLX v0.26.0.
func readDotGeneralParams(node *Node) (p dotGeneralParams, ok bool) {
	in, ok := nodeParams(node)
	if !ok {
		return p, false
	}
	for _, f := range []struct {
		name string
		dst  *[]int
	}{
		{"lhsContractingAxes", &p.lhsContracting}, {"lhsBatchAxes", &p.lhsBatch},
		{"rhsContractingAxes", &p.rhsContracting}, {"rhsBatchAxes", &p.rhsBatch},
	} {
		if *f.dst, ok = intsField(in, f.name); !ok {
			return p, false
		}
	}
	lhs, rhs := node.Inputs()[0], node.Inputs()[1]
	if len(p.lhsContracting) != len(p.rhsContracting) || len(p.lhsBatch) != len(p.rhsBatch) ||
		!validAxes(lhs.Rank(), p.lhsContracting, p.lhsBatch) || !validAxes(rhs.Rank(), p.rhsContracting, p.rhsBatch) {
		return p, false
	}
	return p, true
}

// nodeParams returns the struct behind node's unexported `inputs` field.
func nodeParams(node *Node) (reflect.Value, bool) {
	v := reflect.ValueOf(node).Elem().FieldByName("inputs")
	if !v.IsValid() || v.Kind() != reflect.Interface || v.IsNil() {
		return reflect.Value{}, false
	}
	v = v.Elem()
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return reflect.Value{}, false
	}
	return v.Elem(), true
}

// intsField reads a []int field of a struct value, exported or not.
func intsField(s reflect.Value, name string) ([]int, bool) {
	f := s.FieldByName(name)
	if !f.IsValid() || f.Kind() != reflect.Slice || f.Type().Elem().Kind() != reflect.Int {
		return nil, false
	}
	out := make([]int, f.Len())
	for i := range out {
		out[i] = int(f.Index(i).Int())
	}
	return out, true
}

// validAxes reports whether the axes are distinct and within rank.
func validAxes(rank int, axesLists ...[]int) bool {
	seen := make([]bool, rank)
	for _, axes := range axesLists {
		for _, a := range axes {
			if a < 0 || a >= rank || seen[a] {
				return false
			}
			seen[a] = true
		}
	}
	return true
}

// freeAxes lists, in increasing order, the axes of a rank-rank operand that are
// neither contracting nor batch: DotGeneral "crosses" them into its output.
func freeAxes(rank int, contracting, batch []int) []int {
	free := make([]int, 0, rank)
	for a := range rank {
		if !slices.Contains(contracting, a) && !slices.Contains(batch, a) {
			free = append(free, a)
		}
	}
	return free
}

// span returns [start, start+1, ..., start+n-1].
func span(start, n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = start + i
	}
	return s
}

// dotGeneralVJP is the cotangent of out = DotGeneral(lhs, rhs) written as two
// DotGenerals, the way JAX's dot_general transpose rule does it. out's axes are
// [batch..., lhsFree..., rhsFree...] and v has out's shape, so
//
//	dLhs = DotGeneral(v, contract rhsFree, batch; rhs, contract rhsFree, batch)
//	     -> [batch..., lhsFree..., rhsContracting (in increasing rhs axis order)...]
//
// followed by the transpose that puts every axis back where lhs had it; dRhs is
// symmetric. Nothing larger than an operand is ever built.
func dotGeneralVJP(node, v *Node, outputShape shapes.Shape) []*Node {
	p, ok := readDotGeneralParams(node)
	if !ok || outputShape.Rank() != 0 || !v.Shape().Equal(node.Shape()) {
		return fallback(node, v, outputShape)
	}
	lhs, rhs := node.Inputs()[0], node.Inputs()[1]
	nBatch := len(p.lhsBatch)
	lhsFree := freeAxes(lhs.Rank(), p.lhsContracting, p.lhsBatch)
	rhsFree := freeAxes(rhs.Rank(), p.rhsContracting, p.rhsBatch)
	vBatch := span(0, nBatch)
	vLhsFree := span(nBatch, len(lhsFree))
	vRhsFree := span(nBatch+len(lhsFree), len(rhsFree))

	dLhs := DotGeneral(v, vRhsFree, vBatch, rhs, rhsFree, p.rhsBatch)
	dLhs = restoreAxes(dLhs, p.lhsBatch, lhsFree, p.lhsContracting, p.rhsContracting)
	dRhs := DotGeneral(v, vLhsFree, vBatch, lhs, lhsFree, p.lhsBatch)
	dRhs = restoreAxes(dRhs, p.rhsBatch, rhsFree, p.rhsContracting, p.lhsContracting)
	return []*Node{dLhs, dRhs}
}

// restoreAxes transposes a gradient laid out as [batch..., free..., otherContracting
// sorted...] back to the operand's own axis order. contracting[k] of this operand
// pairs with otherContracting[k] of the other one.
func restoreAxes(grad *Node, batch, free, contracting, otherContracting []int) *Node {
	perm := make([]int, grad.Rank())
	for i, a := range batch {
		perm[a] = i
	}
	for j, a := range free {
		perm[a] = len(batch) + j
	}
	sorted := slices.Sorted(slices.Values(otherContracting))
	for k, a := range contracting {
		perm[a] = len(batch) + len(free) + slices.Index(sorted, otherContracting[k])
	}
	if isIdentity(perm) {
		return grad
	}
	return TransposeAllAxes(grad, perm...)
}

func isIdentity(perm []int) bool {
	for i, p := range perm {
		if i != p {
			return false
		}
	}
	return true
}

// dotVJP is the gradient of the legacy Dot node (vector·vector, matrix·vector,
// matrix·matrix) as DotGenerals, without the stock [i, j, k] broadcast.
func dotVJP(node, v *Node, outputShape shapes.Shape) []*Node {
	lhs, rhs := node.Inputs()[0], node.Inputs()[1]
	if outputShape.Rank() != 0 {
		return fallback(node, v, outputShape)
	}
	switch {
	case lhs.Rank() == 1 && rhs.Rank() == 1: // v is a scalar
		return []*Node{Mul(v, rhs), Mul(v, lhs)}
	case lhs.Rank() == 2 && rhs.Rank() == 1: // [i,j]·[j] -> [i]
		return []*Node{
			DotGeneral(InsertAxes(v, -1), []int{1}, nil, InsertAxes(rhs, 0), []int{0}, nil),
			DotGeneral(v, []int{0}, nil, lhs, []int{0}, nil),
		}
	case lhs.Rank() == 2 && rhs.Rank() == 2: // [i,j]·[j,k] -> [i,k]
		return []*Node{
			DotGeneral(v, []int{1}, nil, rhs, []int{1}, nil), // [i,j]
			DotGeneral(lhs, []int{0}, nil, v, []int{0}, nil), // [j,k]
		}
	}
	return fallback(node, v, outputShape)
}

// sliceVJP scatters the cotangent back into an operand-shaped tensor of zeros by
// concatenating zero blocks before and after the slice on each axis: SimpleGo has
// no Pad, which the stock gradient uses. Strided slices keep the stock gradient.
func sliceVJP(node, v *Node, outputShape shapes.Shape) []*Node {
	in, ok := nodeParams(node)
	if !ok || outputShape.Rank() != 0 {
		return fallback(node, v, outputShape)
	}
	starts, ok1 := intsField(in, "starts")
	limits, ok2 := intsField(in, "limits")
	strides, ok3 := intsField(in, "strides")
	x := node.Inputs()[0]
	rank := x.Rank()
	if !ok1 || !ok2 || !ok3 || len(starts) != rank || len(limits) != rank || len(strides) != rank {
		return fallback(node, v, outputShape)
	}
	for _, s := range strides {
		if s > 1 {
			return fallback(node, v, outputShape)
		}
	}
	grad := v
	for axis := range rank {
		before, after := starts[axis], x.Shape().Dimensions[axis]-limits[axis]
		if before == 0 && after == 0 {
			continue
		}
		parts := make([]*Node, 0, 3)
		if before > 0 {
			parts = append(parts, zerosLikeAlong(grad, axis, before))
		}
		parts = append(parts, grad)
		if after > 0 {
			parts = append(parts, zerosLikeAlong(grad, axis, after))
		}
		grad = Concatenate(parts, axis)
	}
	return []*Node{grad}
}

// zerosLikeAlong returns zeros shaped like x except for dimension n on axis.
func zerosLikeAlong(x *Node, axis, n int) *Node {
	dims := slices.Clone(x.Shape().Dimensions)
	dims[axis] = n
	return Zeros(x.Graph(), shapes.Make(x.DType(), dims...))
}
