package compute

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/pkg/core/graph"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // graph code reads best with the dot import, as in GoMLX itself
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// The stock GoMLX v0.26.0 gradients of DotGeneral, Dot and Slice are written for
// XLA: DotGeneral's and Dot's broadcast the cotangent against the other operand
// and reduce, materialising a [batch, M, N, K] tensor (33 s and GBs per step for a
// 5M-parameter transformer on SimpleGo); Slice's uses Pad, which SimpleGo lacks.
// The rules below are themselves DotGenerals (and, for Slice, concatenations with
// zeros). They are exact on every backend, but they are not installed for the
// whole process: a program opts in where it takes gradients, with FastGradient or
// WithFastGradients, and graph.VJPRegistration is restored afterwards.
// docs/upstream/gomlx-dotgeneral-vjp.md proposes the same rules to GoMLX.

// gradMu serialises the temporary replacement of graph.VJPRegistration.
var gradMu sync.Mutex

// fastVJPs are the replacement rules, by node type.
var fastVJPs = map[NodeType]SingleOutputVJP{
	NodeTypeDotGeneral: dotGeneralVJP,
	NodeTypeDot:        dotVJP,
	NodeTypeSlice:      sliceVJP,
}

// FastGradient is graph.Gradient with this package's DotGeneral, Dot and Slice rules
// in force while the gradient graph is built (see WithFastGradients). Call it
// inside a graph function, where graph.Gradient would be called.
func FastGradient(output *Node, wrt ...*Node) (grads []*Node) {
	WithFastGradients(func() { grads = graph.Gradient(output, wrt...) })
	return grads
}

// WithFastGradients runs fn with the DotGeneral, Dot and Slice gradients of
// graph.VJPRegistration replaced by ones SimpleGo runs fast (see the package
// documentation), and puts GoMLX's own back when fn returns or panics. Use it
// around code that builds gradients inside GoMLX, such as the first
// train.Trainer step, which compiles the training graph. Calls are serialised;
// they must not overlap a graph.Gradient called directly in another goroutine,
// since the registry is a plain map.
func WithFastGradients(fn func()) {
	gradMu.Lock()
	defer gradMu.Unlock()
	stock := make(map[NodeType]VJP, len(fastVJPs))
	for t, vjp := range fastVJPs {
		stock[t] = VJPRegistration[t]
		VJPRegistration[t] = withFallback(vjp, stock[t])
	}
	defer func() {
		for t, vjp := range stock {
			VJPRegistration[t] = vjp
		}
	}()
	fn()
}

// withFallback adapts a single-output rule, falling back to GoMLX's own rule
// when fast returns nil (parameters it cannot read, shapes it does not handle).
func withFallback(fast SingleOutputVJP, stock VJP) VJP {
	return func(node *Node, vjpOutputs []*Node, outputShape shapes.Shape) []*Node {
		if out := fast(node, vjpOutputs[0], outputShape); out != nil {
			return out
		}
		return stock(node, vjpOutputs, outputShape)
	}
}

// dotGeneralParams are the static parameters of a DotGeneral node.
type dotGeneralParams struct {
	lhsContracting, lhsBatch, rhsContracting, rhsBatch []int
}

// intListParam matches one "name=[1 2]" parameter of a node's description.
var intListParam = regexp.MustCompile(`(\w+)=\[(-?\d+(?: -?\d+)*)?\]`)

// nodeIntParams reads the integer-list parameters of a node from its public
// description, Node.String(), which GoMLX generates for every op as
// "Type(x=[#3], starts=[1 1], ...)". GoMLX has no accessor for them
// (docs/upstream/gomlx-dotgeneral-vjp.md proposes one); a description this
// parser does not understand gives ok false and the stock gradient.
func nodeIntParams(node *Node, names ...string) (vals [][]int, ok bool) {
	desc := node.String()
	open := strings.Index(desc, node.Type().String()+"(")
	if open < 0 {
		return nil, false
	}
	found := map[string][]int{}
	for _, m := range intListParam.FindAllStringSubmatch(desc[open:], -1) {
		var list []int
		for _, f := range strings.Fields(m[2]) {
			v, err := strconv.Atoi(f)
			if err != nil {
				return nil, false
			}
			list = append(list, v)
		}
		if _, dup := found[m[1]]; dup {
			return nil, false
		}
		found[m[1]] = list
	}
	for _, n := range names {
		v, ok := found[n]
		if !ok {
			return nil, false
		}
		vals = append(vals, v)
	}
	return vals, true
}

// readDotGeneralParams reads the axes of a DotGeneral node; ok is false when its
// description does not hold them or they do not fit the operands.
func readDotGeneralParams(node *Node) (p dotGeneralParams, ok bool) {
	v, ok := nodeIntParams(node, "lhsContractingAxes", "lhsBatchAxes", "rhsContractingAxes", "rhsBatchAxes")
	if !ok {
		return p, false
	}
	p = dotGeneralParams{v[0], v[1], v[2], v[3]}
	lhs, rhs := node.Inputs()[0], node.Inputs()[1]
	if len(p.lhsContracting) != len(p.rhsContracting) || len(p.lhsBatch) != len(p.rhsBatch) ||
		!validAxes(lhs.Rank(), p.lhsContracting, p.lhsBatch) || !validAxes(rhs.Rank(), p.rhsContracting, p.rhsBatch) {
		return p, false
	}
	return p, true
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
		return nil
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
		return nil
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
	return nil
}

// sliceVJP scatters the cotangent back into an operand-shaped tensor of zeros by
// concatenating zero blocks before and after the slice on each axis: SimpleGo has
// no Pad, which the stock gradient uses. Strided slices keep the stock gradient.
func sliceVJP(node, v *Node, outputShape shapes.Shape) []*Node {
	p, ok := nodeIntParams(node, "starts", "limits", "strides")
	if !ok || outputShape.Rank() != 0 {
		return nil
	}
	starts, limits, strides := p[0], p[1], p[2]
	x := node.Inputs()[0]
	rank := x.Rank()
	if len(starts) != rank || len(limits) != rank || len(strides) != rank {
		return nil
	}
	for _, s := range strides {
		if s > 1 {
			return nil
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
