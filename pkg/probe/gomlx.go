package probe

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/ifprobe/ifprobe/pkg/compute"
	"gonum.org/v1/gonum/mat"
)

// newtonGraphs holds the two compiled computations of the GoMLX Newton solver.
type newtonGraphs struct {
	full *graph.Exec // (x, theta, w, y, lam, invS) -> f, grad, Hvv, Hvb, Hbb
	loss *graph.Exec // (x, theta, w, y, lam, invS) -> f
}

// logits builds z[b,i] = x_i·v_b + c_b from x [n,d] and theta [B,d+1].
func logits(x, theta *graph.Node) (z, v *graph.Node) {
	d := x.Shape().Dimensions[1]
	v = graph.Slice(theta, graph.AxisRange(), graph.AxisRange(0, d))
	c := graph.Slice(theta, graph.AxisRange(), graph.AxisRange(d, d+1)) // [B,1]
	z = graph.Add(graph.Einsum("bd,nd->bn", v, x), c)
	return z, v
}

// objective builds f[b] = Σ_i w ℓ(y, z) invS + ½ Σ_j lam v² (see fitTask).
func objective(z, v, w, y, lam, invS *graph.Node) *graph.Node {
	l := graph.Mul(w, graph.Sub(graph.Softplus(z), graph.Mul(y, z)))
	data := graph.Mul(graph.ReduceSum(l, 1), invS)
	reg := graph.MulScalar(graph.ReduceSum(graph.Mul(lam, graph.Square(v)), 1), 0.5)
	return graph.Add(data, reg)
}

func newNewtonGraphs(b backends.Backend) (*newtonGraphs, error) {
	full, err := graph.NewExec(b, func(in []*graph.Node) []*graph.Node {
		x, theta, w, y, lam, invS := in[0], in[1], in[2], in[3], in[4], in[5]
		z, v := logits(x, theta)
		f := objective(z, v, w, y, lam, invS)
		p := graph.Sigmoid(z)
		scale := graph.InsertAxes(invS, -1)                  // [B,1]
		r := graph.Mul(graph.Mul(w, graph.Sub(p, y)), scale) // [B,n]
		gv := graph.Add(graph.Einsum("bn,nd->bd", r, x), graph.Mul(lam, v))
		gb := graph.ReduceSum(r, 1)
		s := graph.Mul(graph.Mul(w, graph.Mul(p, graph.OneMinus(p))), scale) // [B,n] curvature
		B, n, d := s.Shape().Dimensions[0], x.Shape().Dimensions[0], x.Shape().Dimensions[1]
		xs := graph.Mul(graph.BroadcastToDims(graph.InsertAxes(x, 0), B, n, d), graph.InsertAxes(s, -1)) // [B,n,d]
		hvv := graph.Einsum("bnd,ne->bde", xs, x)
		hvb := graph.Einsum("bn,nd->bd", s, x)
		hbb := graph.ReduceSum(s, 1)
		return []*graph.Node{f, graph.Concatenate([]*graph.Node{gv, graph.InsertAxes(gb, -1)}, 1), hvv, hvb, hbb}
	})
	if err != nil {
		return nil, err
	}
	loss, err := graph.NewExec(b, func(in []*graph.Node) *graph.Node {
		x, theta, w, y, lam, invS := in[0], in[1], in[2], in[3], in[4], in[5]
		z, v := logits(x, theta)
		return objective(z, v, w, y, lam, invS)
	})
	if err != nil {
		return nil, err
	}
	return &newtonGraphs{full: full, loss: loss}, nil
}

// solveNewtonGoMLX fits all tasks with batched Newton steps: the GoMLX graph
// computes f, ∇f and the Hessians of the B fits at once ([B,n,d] intermediate),
// gonum solves each (d+1)×(d+1) system by Cholesky, and a batched step-halving
// line search on f keeps every step a descent. Newton needs few iterations but
// O(n d²) work each: it pays off on an accelerator, not on SimpleGo.
func solveNewtonGoMLX(backendName string, ds *design, tasks []*fitTask, maxIter int, tol float64) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("probe: GoMLX Newton solver: %v", r)
		}
	}()
	var b backends.Backend
	if backendName == "" {
		b, _, err = compute.Default()
	} else {
		b, _, err = compute.Open(backendName)
	}
	if err != nil {
		return fmt.Errorf("probe: GoMLX Newton solver: %w", err)
	}
	g, err := newNewtonGraphs(b)
	if err != nil {
		return fmt.Errorf("probe: GoMLX Newton solver: build graphs: %w", err)
	}
	n, d, B := ds.n, ds.d, len(tasks)
	x := tensors.FromFlatDataAndDimensions(ds.x, n, d)
	w, y, lam, invS := make([]float64, B*n), make([]float64, B*n), make([]float64, B*d), make([]float64, B)
	for k, t := range tasks {
		t.sumW = 0
		for _, s := range t.weight {
			t.sumW += s
		}
		copy(w[k*n:], t.weight)
		copy(y[k*n:], t.y)
		invS[k] = 1 / t.sumW
		for j := 0; j < d; j++ {
			lam[k*d+j] = t.penalty(j) / (t.c * t.sumW)
		}
	}
	wT := tensors.FromFlatDataAndDimensions(w, B, n)
	yT := tensors.FromFlatDataAndDimensions(y, B, n)
	lamT := tensors.FromFlatDataAndDimensions(lam, B, d)
	invST := tensors.FromFlatDataAndDimensions(invS, B)
	theta := make([]float64, B*(d+1))
	done := make([]bool, B)
	for iter := 0; ; iter++ {
		outs, err := g.full.Exec(x, tensors.FromFlatDataAndDimensions(theta, B, d+1), wT, yT, lamT, invST)
		if err != nil {
			return fmt.Errorf("probe: GoMLX Newton solver: %w", err)
		}
		f := tensors.MustCopyFlatData[float64](outs[0])
		grad := tensors.MustCopyFlatData[float64](outs[1])
		hvv := tensors.MustCopyFlatData[float64](outs[2])
		hvb := tensors.MustCopyFlatData[float64](outs[3])
		hbb := tensors.MustCopyFlatData[float64](outs[4])
		step := make([]float64, B*(d+1))
		active := 0
		for k, t := range tasks {
			gk := grad[k*(d+1) : (k+1)*(d+1)]
			t.gradNorm = gradInf(t, gk)
			t.converged = t.gradNorm <= tol
			if done[k] || t.converged || t.iters >= maxIter {
				done[k] = true
				continue
			}
			h := mat.NewSymDense(d+1, nil)
			for i := 0; i < d; i++ {
				for j := i; j < d; j++ {
					h.SetSym(i, j, hvv[k*d*d+i*d+j])
				}
				h.SetSym(i, i, h.At(i, i)+lam[k*d+i])
				h.SetSym(i, d, hvb[k*d+i])
			}
			h.SetSym(d, d, hbb[k]+1e-12)
			var ch mat.Cholesky
			if !ch.Factorize(h) {
				done[k] = true
				continue
			}
			dir := mat.NewVecDense(d+1, step[k*(d+1):(k+1)*(d+1)])
			if err := ch.SolveVecTo(dir, mat.NewVecDense(d+1, gk)); err != nil {
				done[k] = true
				continue
			}
			active++
		}
		if active == 0 {
			break
		}
		// Step halving: all active fits try θ − α Δ together.
		alpha := make([]float64, B)
		for k := range alpha {
			alpha[k] = 1
		}
		accepted := make([]bool, B)
		for tries := 0; tries < 30; tries++ {
			trial := append([]float64(nil), theta...)
			for k := range tasks {
				if done[k] || accepted[k] {
					continue
				}
				for j := 0; j <= d; j++ {
					trial[k*(d+1)+j] -= alpha[k] * step[k*(d+1)+j]
				}
			}
			ft, err := g.loss.Exec1(x, tensors.FromFlatDataAndDimensions(trial, B, d+1), wT, yT, lamT, invST)
			if err != nil {
				return fmt.Errorf("probe: GoMLX Newton solver: %w", err)
			}
			fv := tensors.MustCopyFlatData[float64](ft)
			pending := 0
			for k, t := range tasks {
				if done[k] || accepted[k] {
					continue
				}
				gk := grad[k*(d+1) : (k+1)*(d+1)]
				dec := dot(gk, step[k*(d+1):(k+1)*(d+1)])
				if fv[k] <= f[k]-1e-4*alpha[k]*dec && !math.IsNaN(fv[k]) {
					accepted[k] = true
					copy(theta[k*(d+1):(k+1)*(d+1)], trial[k*(d+1):(k+1)*(d+1)])
					t.iters++
				} else {
					alpha[k] /= 2
					pending++
				}
			}
			if pending == 0 {
				break
			}
		}
		for k := range tasks {
			if !done[k] && !accepted[k] {
				done[k] = true // no descent possible: stop at the current iterate
			}
		}
	}
	for k, t := range tasks {
		t.coef = append(t.coef[:0], theta[k*(d+1):k*(d+1)+d]...)
		t.bias = theta[k*(d+1)+d]
	}
	return nil
}
