package probe

import (
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// Few rows, many features: Newton's method on the representer coefficients.
//
// With an L2 penalty the optimum of a fitTask lies in the span of its training
// rows: setting ∇_v f = 0 gives π∘v = −C Σ_i s_i (σ(z_i) − y_i) x_i, so
// v = Π⁻¹Xᵀβ for some β over the m training rows. Substituting,
//
//	g(β, c) = Σ_i ℓ(y_i, (Kβ)_i + c) / m + λ βᵀKβ / 2,   K = XΠ⁻¹Xᵀ (m×m),  λ = 1/(C m),
//
// an m-dimensional problem whose exact Newton step is an (m+1)-square solve.
// Where m ≪ d (the text baseline: about 2,600 features read from a few dozen to a
// few hundred rows per task) L-BFGS needs 100-500 iterations of O(md) each,
// because near-separable data leave the curvature at the optimum far below the
// Böhning bound its preconditioner assumes; Newton converges in about ten steps
// after one O(m²d) product, and reaches a tighter optimum.
//
// The stopping rule is the L-BFGS solver's: ‖∇_v f‖∞ in standardised units at
// most tol, where ∇_v f = Xᵀ(r + λβ) (r_i = (σ(z_i) − y_i)/m) is computed exactly
// on the primal coefficients at every step.

// kernelRowsRatio chooses the solver when Params.Solver is SolverAuto: Newton on
// the representer coefficients when the training rows are at most d/kernelRowsRatio,
// L-BFGS otherwise. Measured (BENCHMARKS.md, "Few rows, many features"): on the
// quick profile's real data the kernel path fits the text baseline (m = 32,
// d ≈ 2,600) 12x faster and the activation grid (m = 32, d = 576) 2.3x faster; on
// synthetic data it is 1.4x faster at m = 120, d = 2,600 and 0.6x at m = 120,
// d = 576, where the m×m Gram per fold costs more than L-BFGS's iterations.
const kernelRowsRatio = 10

// useKernel reports whether SolverAuto fits the tasks of ds with solveKernelNewton:
// every task (CV folds, controls) trains on at most d/kernelRowsRatio rows with
// unit weights.
func useKernel(ds *design, tasks []*fitTask) bool {
	for _, t := range tasks {
		m := 0
		for _, s := range t.weight {
			switch s {
			case 0:
			case 1:
				m++
			default:
				return false
			}
		}
		if m*kernelRowsRatio > ds.d {
			return false
		}
	}
	return true
}

// solveKernelNewton fits every task by Newton's method on its representer
// coefficients. Tasks with the same training rows (a fold and its control task)
// share K.
func solveKernelNewton(ds *design, tasks []*fitTask, maxIter int, tol float64) {
	grams := map[string]*mat.Dense{}
	for _, t := range tasks {
		rows := trainRows(t)
		key := rowsKey(rows)
		k, ok := grams[key]
		if !ok {
			k = kernelGram(ds, rows, t.pen)
			grams[key] = k
		}
		kernelNewton(ds, t, rows, k, maxIter, tol)
	}
}

// trainRows are the rows with positive weight (unit weights: see useKernel).
func trainRows(t *fitTask) []int {
	var rows []int
	for i, s := range t.weight {
		if s > 0 {
			rows = append(rows, i)
		}
	}
	return rows
}

func rowsKey(rows []int) string {
	var b strings.Builder
	for _, i := range rows {
		b.WriteString(strconv.Itoa(i))
		b.WriteByte(',')
	}
	return b.String()
}

// kernelGram is K = XΠ⁻¹Xᵀ over rows (π = pen; nil: 1).
func kernelGram(ds *design, rows []int, pen []float64) *mat.Dense {
	m, d := len(rows), ds.d
	var root []float64 // √π_j, once rather than once per row
	if pen != nil {
		root = make([]float64, d)
		for j, p := range pen {
			root[j] = math.Sqrt(p)
		}
	}
	scaled := make([]float64, m*d)
	for a, i := range rows {
		dst := scaled[a*d : (a+1)*d]
		copy(dst, ds.x[i*d:(i+1)*d])
		for j := range root {
			dst[j] /= root[j]
		}
	}
	k := mat.NewDense(m, m, nil)
	for a := 0; a < m; a++ {
		ra := scaled[a*d : (a+1)*d]
		for b := 0; b <= a; b++ {
			v := dotKernel(ra, scaled[b*d:(b+1)*d])
			k.Set(a, b, v)
			k.Set(b, a, v)
		}
	}
	return k
}

// kernelState is one iterate (β, c) of a kernel fit and what the step needs.
type kernelState struct {
	beta []float64 // len m
	c    float64
	kb   []float64 // Kβ
	p    []float64 // σ(z)
	u    []float64 // r + λβ: the primal gradient is Xᵀu
	gc   float64   // ∂g/∂c = Σ r
	obj  float64
}

// eval sets z-dependent quantities and the objective at (beta, c).
func (s *kernelState) eval(k *mat.Dense, y []float64, lam float64) {
	m := len(s.beta)
	inv := 1 / float64(m)
	kb := mat.NewVecDense(m, s.kb)
	kb.MulVec(k, mat.NewVecDense(m, s.beta))
	var loss, reg float64
	s.gc = 0
	for a := 0; a < m; a++ {
		z := s.kb[a] + s.c
		loss += softplus(z) - y[a]*z
		s.p[a] = sigmoid(z)
		r := (s.p[a] - y[a]) * inv
		s.u[a] = r + lam*s.beta[a]
		s.gc += r
		reg += s.beta[a] * s.kb[a]
	}
	s.obj = loss*inv + 0.5*lam*reg
}

// kernelNewton fits t on rows with Gram matrix k.
func kernelNewton(ds *design, t *fitTask, rows []int, k *mat.Dense, maxIter int, tol float64) {
	m, d := len(rows), ds.d
	t.sumW = float64(m)
	lam := 1 / (t.c * t.sumW)
	y := make([]float64, m)
	for a, i := range rows {
		y[a] = t.y[i]
	}
	newState := func() *kernelState {
		return &kernelState{beta: make([]float64, m), kb: make([]float64, m), p: make([]float64, m), u: make([]float64, m)}
	}
	cur, trial := newState(), newState()
	cur.eval(k, y, lam)
	grad := make([]float64, d+1)
	sys := mat.NewDense(m+1, m+1, nil)
	rhs := mat.NewVecDense(m+1, nil)
	var step mat.VecDense
	t.iters = 0
	for {
		primalGrad(ds, rows, cur, grad)
		t.gradNorm = gradInf(t, grad)
		if t.gradNorm <= tol || t.iters >= maxIter {
			break
		}
		newtonSystem(k, cur, lam, sys, rhs)
		if err := step.SolveVec(sys, rhs); err != nil {
			break // singular (cannot happen for λ > 0 in exact arithmetic): keep the iterate
		}
		if !lineSearch(k, y, lam, cur, trial, &step) {
			break
		}
		cur, trial = trial, cur
		t.iters++
	}
	t.converged = t.gradNorm <= tol
	t.coef = make([]float64, d)
	for a, i := range rows {
		axpyKernel(cur.beta[a], ds.x[i*d:(i+1)*d], t.coef)
	}
	if t.pen != nil {
		for j := range t.coef {
			t.coef[j] /= t.pen[j]
		}
	}
	t.bias = cur.c
}

// primalGrad writes ∇f at v = Π⁻¹Xᵀβ into grad (bias last): Xᵀu and Σ r.
func primalGrad(ds *design, rows []int, s *kernelState, grad []float64) {
	d := ds.d
	for j := range grad {
		grad[j] = 0
	}
	for a, i := range rows {
		axpyKernel(s.u[a], ds.x[i*d:(i+1)*d], grad[:d])
	}
	grad[d] = s.gc
}

// newtonSystem writes the Newton equations of g at s, with the β rows divided by
// K (which every β-gradient and Hessian row carries as a left factor):
//
//	(WK + λI) Δβ + w Δc = −u
//	(wᵀK) Δβ + Σw Δc   = −Σ r
//
// w_a = σ(z_a)(1 − σ(z_a))/m.
func newtonSystem(k *mat.Dense, s *kernelState, lam float64, sys *mat.Dense, rhs *mat.VecDense) {
	m := len(s.beta)
	inv := 1 / float64(m)
	kr, sr := k.RawMatrix(), sys.RawMatrix()
	last := sr.Data[m*sr.Stride : m*sr.Stride+m+1]
	for j := range last {
		last[j] = 0
	}
	for a := 0; a < m; a++ {
		w := s.p[a] * (1 - s.p[a]) * inv
		krow := kr.Data[a*kr.Stride : a*kr.Stride+m]
		row := sr.Data[a*sr.Stride : a*sr.Stride+m+1]
		for b, v := range krow {
			row[b] = w * v
		}
		row[a] += lam
		row[m] = w
		axpyKernel(w, krow, last[:m]) // (Kw)ᵀ = wᵀK, K symmetric
		last[m] += w
		rhs.SetVec(a, -s.u[a])
	}
	rhs.SetVec(m, -s.gc)
}

// lineSearch backtracks from the full Newton step until the Armijo condition
// holds, leaving the accepted iterate in trial; false when no step decreases g.
func lineSearch(k *mat.Dense, y []float64, lam float64, cur, trial *kernelState, step *mat.VecDense) bool {
	m := len(cur.beta)
	// Directional derivative: ∇_β g = Ku, ∇_c g = Σ r.
	ku := mat.NewVecDense(m, nil)
	ku.MulVec(k, mat.NewVecDense(m, cur.u))
	slope := cur.gc * step.AtVec(m)
	for a := 0; a < m; a++ {
		slope += ku.AtVec(a) * step.AtVec(a)
	}
	if !(slope < 0) {
		return false
	}
	for t, tries := 1.0, 0; tries < 40; t, tries = t/2, tries+1 {
		for a := 0; a < m; a++ {
			trial.beta[a] = cur.beta[a] + t*step.AtVec(a)
		}
		trial.c = cur.c + t*step.AtVec(m)
		trial.eval(k, y, lam)
		if trial.obj <= cur.obj+1e-4*t*slope && !math.IsNaN(trial.obj) {
			return true
		}
	}
	return false
}
