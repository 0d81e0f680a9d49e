package compute

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// dotCase is one DotGeneral configuration.
type dotCase struct {
	name               string
	lhsDims, rhsDims   []int
	lhsContr, lhsBatch []int
	rhsContr, rhsBatch []int
}

// dotCases cover the layouts ifprobe graphs use (dense layers, attention scores
// and values) and the awkward ones: contracting axes that pair in a different
// order on each side, batch axes that are not leading, no contraction at all.
var dotCases = []dotCase{
	{"matmul", []int{3, 4}, []int{4, 5}, []int{1}, nil, []int{0}, nil},                                        // 0
	{"batched", []int{2, 3, 4}, []int{2, 4, 5}, []int{2}, []int{0}, []int{1}, []int{0}},                       // 1
	{"transposed", []int{4, 3}, []int{5, 4}, []int{0}, nil, []int{1}, nil},                                    // 2
	{"two-contracting-crossed", []int{2, 3, 4}, []int{4, 3, 5}, []int{1, 2}, nil, []int{1, 0}, nil},           // 3
	{"batch-not-leading", []int{3, 2, 4, 5}, []int{5, 4, 2, 6}, []int{2}, []int{1, 3}, []int{1}, []int{2, 0}}, // 4
	{"outer-with-batch", []int{2, 3}, []int{2, 4}, nil, []int{0}, nil, []int{0}},                              // 5
	{"attention-scores", []int{2, 3, 5, 4}, []int{2, 3, 6, 4}, []int{3}, []int{0, 1}, []int{3}, []int{0, 1}},  // 6
	{"vector-dot", []int{5}, []int{5}, []int{0}, nil, []int{0}, nil},                                          // 7
}

func randTensor(rng *rand.Rand, dims []int) *tensors.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return tensors.FromFlatDataAndDimensions(v, dims...)
}

// gradientFn is FastGradient (this package's rules) or graph.Gradient (GoMLX's own).
type gradientFn func(output *Node, wrt ...*Node) []*Node

// lossAndGrads builds loss = Σ DotGeneral(lhs, rhs)·w and its gradients.
func lossAndGrads(c dotCase, grad gradientFn) func(lhs, rhs, w *Node) []*Node {
	return func(lhs, rhs, w *Node) []*Node {
		out := DotGeneral(lhs, c.lhsContr, c.lhsBatch, rhs, c.rhsContr, c.rhsBatch)
		loss := ReduceAllSum(Mul(out, w))
		g := grad(loss, lhs, rhs)
		return []*Node{loss, g[0], g[1]}
	}
}

func outDims(t *testing.T, b backends.Backend, c dotCase) []int {
	t.Helper()
	out, err := ExecOnce(b, func(l, r *Node) *Node {
		return DotGeneral(l, c.lhsContr, c.lhsBatch, r, c.rhsContr, c.rhsBatch)
	}, tensors.FromShape(shapes.Make(dtypesF64, c.lhsDims...)), tensors.FromShape(shapes.Make(dtypesF64, c.rhsDims...)))
	if err != nil {
		t.Fatalf("forward: %v", err)
	}
	return out.Shape().Dimensions
}

// TestDotGeneralVJP checks this package's gradient against GoMLX's stock gradient
// (an independent formulation: broadcast, multiply, reduce) and against central
// finite differences of the loss.
func TestDotGeneralVJP(t *testing.T) {
	b := mustGo(t)
	const (
		tolStock = 1e-12 // float64, same sums in another order
		eps      = 1e-6  // finite-difference step
		tolFD    = 1e-6  // relative; central differences of a bilinear loss are exact up to rounding
	)
	rng := rand.New(rand.NewPCG(1, 2))
	for i, c := range dotCases {
		t.Run(fmt.Sprintf("%d-%s", i, c.name), func(t *testing.T) {
			lhs, rhs := randTensor(rng, c.lhsDims), randTensor(rng, c.rhsDims)
			w := randTensor(rng, outDims(t, b, c))
			got, err := execN(b, lossAndGrads(c, FastGradient), lhs, rhs, w)
			if err != nil {
				t.Fatalf("new gradient: %v", err)
			}
			want, err := execN(b, lossAndGrads(c, graph.Gradient), lhs, rhs, w)
			if err != nil {
				t.Fatalf("stock gradient: %v", err)
			}
			for k, name := range []string{"dLhs", "dRhs"} {
				if !got[k+1].Shape().Equal(want[k+1].Shape()) {
					t.Fatalf("%s shape %s, stock %s", name, got[k+1].Shape(), want[k+1].Shape())
				}
				g, s := flat(got[k+1]), flat(want[k+1])
				for j := range g {
					if math.Abs(g[j]-s[j]) > tolStock*math.Max(1, math.Abs(s[j])) {
						t.Fatalf("%s[%d] = %.15g, stock gradient %.15g", name, j, g[j], s[j])
					}
				}
			}
			// Finite differences on a few coordinates of each operand.
			loss := func(l, r *tensors.Tensor) float64 {
				out, err := ExecOnce(b, func(l, r, w *Node) *Node {
					return ReduceAllSum(Mul(DotGeneral(l, c.lhsContr, c.lhsBatch, r, c.rhsContr, c.rhsBatch), w))
				}, l, r, w)
				if err != nil {
					t.Fatalf("loss: %v", err)
				}
				return out.Value().(float64)
			}
			for k, operand := range []*tensors.Tensor{lhs, rhs} {
				base := flat(operand)
				grad := flat(got[k+1])
				for _, j := range []int{0, len(base) / 2, len(base) - 1} {
					plus, minus := append([]float64(nil), base...), append([]float64(nil), base...)
					plus[j] += eps
					minus[j] -= eps
					tp := tensors.FromFlatDataAndDimensions(plus, operand.Shape().Dimensions...)
					tm := tensors.FromFlatDataAndDimensions(minus, operand.Shape().Dimensions...)
					var fd float64
					if k == 0 {
						fd = (loss(tp, rhs) - loss(tm, rhs)) / (2 * eps)
					} else {
						fd = (loss(lhs, tp) - loss(lhs, tm)) / (2 * eps)
					}
					if math.Abs(fd-grad[j]) > tolFD*math.Max(1, math.Abs(fd)) {
						t.Errorf("operand %d coordinate %d: gradient %.10g, finite difference %.10g", k, j, grad[j], fd)
					}
				}
			}
		})
	}
}

// TestDotGeneralVJPNoBroadcast checks the point of the replacement: no node of
// the gradient graph is larger than the largest of lhs, rhs and the output,
// where the stock gradient builds a [batch, M, N, K] tensor. It also checks that
// the replacement is scoped: graph.Gradient, called before and after FastGradient,
// still builds the stock broadcast.
func TestDotGeneralVJPNoBroadcast(t *testing.T) {
	b := mustGo(t)
	c := dotCase{"batched", []int{2, 30, 40}, []int{2, 40, 50}, []int{2}, []int{0}, []int{1}, []int{0}}
	limit := 2 * 40 * 50 // the largest operand: rhs
	largest := func(grad gradientFn) (size int, desc string) {
		_, err := execN(b, func(lhs, rhs, w *Node) []*Node {
			out := lossAndGrads(c, grad)(lhs, rhs, w)
			for _, n := range lhs.Graph().Nodes() {
				if s := n.Shape().Size(); n.NumOutputs() == 1 && s > size {
					size, desc = s, n.Shape().String()
				}
			}
			return out
		}, tensors.FromShape(shapes.Make(dtypesF64, c.lhsDims...)), tensors.FromShape(shapes.Make(dtypesF64, c.rhsDims...)),
			tensors.FromShape(shapes.Make(dtypesF64, 2, 30, 50)))
		if err != nil {
			t.Fatalf("gradient: %v", err)
		}
		return size, desc
	}
	// The stock gradient does materialise the broadcast: this shows the check below can fail.
	if stockSize, _ := largest(graph.Gradient); stockSize <= limit {
		t.Errorf("stock gradient's largest node has %d elements; expected the [2,30,50,40] broadcast", stockSize)
	}
	if size, desc := largest(FastGradient); size > limit {
		t.Errorf("gradient graph has a node of shape %s (%d elements), want at most %d", desc, size, limit)
	}
	if stockSize, _ := largest(graph.Gradient); stockSize <= limit {
		t.Errorf("after FastGradient, graph.Gradient's largest node has %d elements: the replacement leaked out of its scope", stockSize)
	}
}

// TestDotVJP checks the legacy Dot node's gradient against the stock one.
func TestDotVJP(t *testing.T) {
	b := mustGo(t)
	const tol = 1e-12
	rng := rand.New(rand.NewPCG(3, 4))
	for i, dims := range [][2][]int{{{5}, {5}}, {{3, 5}, {5}}, {{3, 5}, {5, 4}}} {
		lhs, rhs := randTensor(rng, dims[0]), randTensor(rng, dims[1])
		fn := func(grad gradientFn) func(l, r *Node) []*Node {
			return func(l, r *Node) []*Node { return grad(ReduceAllSum(Square(Dot(l, r))), l, r) }
		}
		got, err := execN(b, fn(FastGradient), lhs, rhs)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		want, err := execN(b, fn(graph.Gradient), lhs, rhs)
		if err != nil {
			t.Fatalf("case %d stock: %v", i, err)
		}
		for k := range got {
			g, s := flat(got[k]), flat(want[k])
			for j := range g {
				if math.Abs(g[j]-s[j]) > tol*math.Max(1, math.Abs(s[j])) {
					t.Errorf("case %d operand %d [%d]: %g, stock %g", i, k, j, g[j], s[j])
				}
			}
		}
	}
}

// TestSliceVJP checks the Pad-free Slice gradient: on SimpleGo the stock one
// cannot run at all (no Pad), so the reference is the gradient written out by
// hand: w where the slice read x, zero elsewhere.
func TestSliceVJP(t *testing.T) {
	b := mustGo(t)
	x := tensors.FromFlatDataAndDimensions([]float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 3, 4)
	got, err := ExecOnce(b, func(x *Node) *Node {
		s := Slice(x, AxisRange(1, 3), AxisRange(1, 3)) // rows 1..2, columns 1..2
		w := Const(x.Graph(), [][]float64{{1, 2}, {3, 4}})
		return FastGradient(ReduceAllSum(Mul(s, w)), x)[0]
	}, x)
	if err != nil {
		t.Fatalf("slice gradient on SimpleGo: %v", err)
	}
	want := [][]float64{{0, 0, 0, 0}, {0, 1, 2, 0}, {0, 3, 4, 0}}
	if fmt.Sprint(got.Value()) != fmt.Sprint(want) {
		t.Errorf("slice gradient = %v, want %v", got.Value(), want)
	}
}

// TestReadDotGeneralParams guards the reading of node parameters from GoMLX's
// node descriptions: if an upgrade changes them, this fails instead of the
// gradients silently falling back to the slow stock ones.
func TestReadDotGeneralParams(t *testing.T) {
	b := mustGo(t)
	var p dotGeneralParams
	var ok bool
	_, err := ExecOnce(b, func(l, r *Node) *Node {
		out := DotGeneral(l, []int{3}, []int{1, 0}, r, []int{1}, []int{2, 0})
		p, ok = readDotGeneralParams(out)
		return out
	}, tensors.FromShape(shapes.Make(dtypesF64, 2, 3, 5, 4)), tensors.FromShape(shapes.Make(dtypesF64, 2, 4, 3)))
	if err != nil {
		t.Fatal(err)
	}
	want := dotGeneralParams{[]int{3}, []int{1, 0}, []int{1}, []int{2, 0}}
	if !ok || fmt.Sprint(p) != fmt.Sprint(want) {
		t.Errorf("readDotGeneralParams = %v, %v; want %v, true", p, ok, want)
	}
	var sp [][]int
	_, err = ExecOnce(b, func(x *Node) *Node {
		s := Slice(x.WithAlias("x"), AxisRange(1, 3), AxisRange(2, 5)).WithAlias("sliced")
		sp, ok = nodeIntParams(s, "starts", "limits", "strides")
		return s
	}, tensors.FromShape(shapes.Make(dtypesF64, 4, 5)))
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]int{{1, 2}, {3, 5}, {1, 1}}; !ok || fmt.Sprint(sp) != fmt.Sprint(want) {
		t.Errorf("Slice parameters = %v, %v; want %v, true", sp, ok, want)
	}
}
