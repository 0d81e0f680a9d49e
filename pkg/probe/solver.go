package probe

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// design is a shared, column-standardised feature matrix on which several logistic
// fits run at once (folds, C values, control labels). Fits differ only in sample
// weights, labels and penalty, so a batch of B fits costs two n×d×B matrix products
// per round instead of 2B matrix-vector products.
type design struct {
	n, d int
	x    []float64 // row-major n×d
}

// fitTask is one L2-regularised logistic regression on a design:
//
//	f(v, c) = Σ_i s_i ℓ(y_i, x_i·v + c) / S + Σ_j π_j v_j² / (2 C S),   S = Σ_i s_i
//
// which is scikit-learn's C·Σℓ + ½‖w‖² divided by C·S. π_j = r_j² lets a fit use its
// own training-fold standardisation on a globally standardised design (v_j = w_j/r_j).
type fitTask struct {
	weight []float64 // s_i ≥ 0, len n (0 leaves the row out)
	y      []float64 // 0/1, len n
	c      float64   // inverse regularisation strength
	pen    []float64 // π_j, len d; nil means 1

	// results
	coef      []float64 // v, len d
	bias      float64   // c
	iters     int
	converged bool
	gradNorm  float64 // ‖∇f‖∞ in standardised units at the end
	sumW      float64
}

func (t *fitTask) penalty(j int) float64 {
	if t.pen == nil {
		return 1
	}
	return t.pen[j]
}

// evalBatch computes f and ∇f (length d+1, bias last) of every task at its theta.
// thetas[b] has length d+1. It makes one pass over the rows of the shared design:
// while a row sits in L1 it is dotted with every fit's coefficients and added,
// scaled by that fit's residual, to every fit's gradient (gonum's assembly dot
// and axpy), so a round over B fits reads X from memory once.
func (ds *design) evalBatch(tasks []*fitTask, thetas [][]float64, f []float64, grads [][]float64) {
	n, d := ds.n, ds.d
	loss := make([]float64, len(tasks))
	for b := range tasks {
		for j := range grads[b] {
			grads[b][j] = 0
		}
	}
	for i := 0; i < n; i++ {
		row := ds.x[i*d : (i+1)*d]
		for b, t := range tasks {
			s := t.weight[i]
			if s == 0 {
				continue
			}
			th := thetas[b]
			z := dotKernel(row, th[:d]) + th[d]
			loss[b] += s * (softplus(z) - t.y[i]*z)
			r := s * (sigmoid(z) - t.y[i]) / t.sumW
			axpyKernel(r, row, grads[b][:d])
			grads[b][d] += r
		}
	}
	for b, t := range tasks {
		inv := 1 / t.sumW
		lam := inv / t.c
		th, g := thetas[b], grads[b]
		var reg float64
		for j := 0; j < d; j++ {
			p := t.penalty(j)
			reg += p * th[j] * th[j]
			g[j] += lam * p * th[j]
		}
		f[b] = loss[b]*inv + 0.5*lam*reg
	}
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// softplus is log(1+e^z) without overflow.
func softplus(z float64) float64 {
	if z > 0 {
		return z + math.Log1p(math.Exp(-z))
	}
	return math.Log1p(math.Exp(z))
}

// preconditioner approximates the Hessian of every fit in a batch by
// M = XᵀX/(4m) + λ̄ I (bias: 1/4), the Böhning bound on the logistic curvature,
// estimated on m rows. With M as the initial inverse-Hessian of L-BFGS the
// correlations between features (the main source of ill-conditioning in
// activations) are taken out once per design.
//
// With fewer rows m than features d (text features, small studies) M is a
// rank-m update of λ̄I, and it is inverted through the m×m system instead
// (lowRank): O(m²d) time and O(md) memory instead of O(d³) and O(d²), which for
// d = 2,600 and m = 40 is the difference between seconds and milliseconds a fit.
type preconditioner struct {
	d    int
	chol map[float64]inverse // M⁻¹ by C
	gram *mat.SymDense       // XᵀX/(4m) when m ≥ d
	rows []float64           // X/√(4m), row-major m×d, when m < d
	m    int
}

// inverse applies M⁻¹ in place.
type inverse interface{ solve(v []float64) }

func newPreconditioner(ds *design, maxRows int) *preconditioner {
	m := ds.n
	if maxRows > 0 && maxRows < m {
		m = maxRows
	}
	// m rows evenly spread over the design, so that rows sorted by label or task
	// still give a representative estimate of the feature correlations.
	rows := make([]int, m)
	for k := range rows {
		rows[k] = k * ds.n / m
	}
	p := &preconditioner{d: ds.d, chol: map[float64]inverse{}, m: m}
	if m < ds.d {
		scale := 1 / math.Sqrt(4*float64(m))
		p.rows = make([]float64, m*ds.d)
		for k, i := range rows {
			for j, v := range ds.x[i*ds.d : (i+1)*ds.d] {
				p.rows[k*ds.d+j] = v * scale
			}
		}
		return p
	}
	p.gram = mat.NewSymDense(ds.d, nil)
	gramTo(p.gram, ds.x, rows, ds.d, 1/(4*float64(m)))
	return p
}

// factor returns M⁻¹ for regularisation C and typical weight sum S. A failed
// factorisation (impossible for λ̄ > 0 in exact arithmetic) yields nil, meaning
// "no preconditioning".
func (p *preconditioner) factor(c, s float64) inverse {
	if ch, ok := p.chol[c]; ok {
		return ch
	}
	lam := 1 / (c * s)
	var inv inverse
	if p.rows != nil {
		if lr := newLowRank(p.rows, p.m, p.d, lam+1e-12); lr != nil {
			inv = lr
		}
	} else if ch := p.dense(lam); ch != nil {
		inv = ch
	}
	p.chol[c] = inv
	return inv
}

// dense factors M = XᵀX/(4m) + λI, or returns nil.
func (p *preconditioner) dense(lam float64) *cholesky {
	d := p.d
	a := make([]float64, d*d)
	raw := p.gram.RawSymmetric()
	for i := 0; i < d; i++ {
		for j := 0; j <= i; j++ {
			a[i*d+j] = raw.Data[j*raw.Stride+i] // upper triangle of the SymDense
		}
		a[i*d+i] += lam + 1e-12
	}
	ch := &cholesky{d: d, l: a}
	if !ch.factorize() {
		return nil
	}
	return ch
}

// lowRank is (λI + RᵀR)⁻¹ for R [m, d] with m < d, by the Woodbury identity
//
//	(λI + RᵀR)⁻¹ v = (v − Rᵀ K⁻¹ R v) / λ,   K = λI_m + RRᵀ,
//
// with K factored once.
type lowRank struct {
	r    []float64 // m×d, row-major
	m, d int
	lam  float64
	k    *cholesky
}

func newLowRank(r []float64, m, d int, lam float64) *lowRank {
	k := make([]float64, m*m)
	for i := 0; i < m; i++ {
		for j := 0; j <= i; j++ {
			k[i*m+j] = dotKernel(r[i*d:(i+1)*d], r[j*d:(j+1)*d])
		}
		k[i*m+i] += lam
	}
	ch := &cholesky{d: m, l: k}
	if !ch.factorize() {
		return nil
	}
	return &lowRank{r: r, m: m, d: d, lam: lam, k: ch}
}

// solve is safe for concurrent use (fits of one batch share it).
func (w *lowRank) solve(v []float64) {
	u := make([]float64, w.m)
	for i := range u {
		u[i] = dotKernel(w.r[i*w.d:(i+1)*w.d], v)
	}
	w.k.solve(u)
	for i, ui := range u {
		axpyKernel(-ui, w.r[i*w.d:(i+1)*w.d], v)
	}
	for j := range v {
		v[j] /= w.lam
	}
}

// cholesky is a lower Cholesky factor L (row-major, M = L Lᵀ) computed and applied
// with the dot and axpy kernels: every inner loop runs over a contiguous row
// prefix, so the factorisation (d³/6 multiply-adds) and each solve (d²) run at
// the speed of the vector kernels rather than of gonum's generic LAPACK paths.
type cholesky struct {
	d int
	l []float64
}

// factorize overwrites the lower triangle of l (holding M) with L
// (Cholesky–Banachiewicz). It reports false if M is not positive definite.
func (c *cholesky) factorize() bool {
	d, l := c.d, c.l
	for i := 0; i < d; i++ {
		ri := l[i*d : i*d+i+1]
		for j := 0; j < i; j++ {
			ri[j] = (ri[j] - dotKernel(ri[:j], l[j*d:j*d+j])) / l[j*d+j]
		}
		s := ri[i] - dotKernel(ri[:i], ri[:i])
		if !(s > 0) {
			return false
		}
		ri[i] = math.Sqrt(s)
	}
	return true
}

// solve overwrites v with M⁻¹v: L y = v by forward substitution (dots), then
// Lᵀ x = y by backward substitution (axpys over rows of L).
func (c *cholesky) solve(v []float64) {
	d, l := c.d, c.l
	for i := 0; i < d; i++ {
		v[i] = (v[i] - dotKernel(l[i*d:i*d+i], v[:i])) / l[i*d+i]
	}
	for i := d - 1; i >= 0; i-- {
		v[i] /= l[i*d+i]
		axpyKernel(-v[i], l[i*d:i*d+i], v[:i])
	}
}

// lbfgsState is the per-fit state of the batched L-BFGS.
type lbfgsState struct {
	theta, grad   []float64
	f             float64
	dir           []float64
	step          float64
	trial         []float64
	s, y          [][]float64 // memory, oldest first
	rho           []float64
	chol          inverse // M⁻¹, nil without preconditioning
	done, stalled bool
	lsTries       int
	gtp           float64
}

const lbfgsMemory = 10

// relTolF is scipy's ftol default in scikit-learn's lbfgs: 64 machine epsilons.
const relTolF = 64 * 2.220446049250313e-16

// solveLBFGS fits all tasks on ds with a batched, preconditioned L-BFGS and an
// Armijo backtracking line search. A fit converges when ‖∇f‖∞ (in standardised
// units) ≤ tol, like scikit-learn's lbfgs (gtol = tol).
func solveLBFGS(ds *design, tasks []*fitTask, maxIter int, tol float64, pre *preconditioner) {
	d := ds.d
	st := make([]*lbfgsState, len(tasks))
	for b, t := range tasks {
		t.sumW = 0
		for _, s := range t.weight {
			t.sumW += s
		}
		s := &lbfgsState{theta: make([]float64, d+1), grad: make([]float64, d+1), dir: make([]float64, d+1), trial: make([]float64, d+1)}
		if pre != nil {
			s.chol = pre.factor(t.c, t.sumW)
		}
		st[b] = s
	}
	// Initial evaluation at θ = 0.
	f := make([]float64, len(tasks))
	thetas := make([][]float64, len(tasks))
	grads := make([][]float64, len(tasks))
	for b := range tasks {
		thetas[b], grads[b] = st[b].theta, st[b].grad
	}
	ds.evalBatch(tasks, thetas, f, grads)
	for b := range tasks {
		st[b].f = f[b]
		newDirection(tasks[b], st[b], tol, maxIter)
	}
	var act []int
	var actTasks []*fitTask
	var tg [][]float64
	var th [][]float64
	for {
		act, actTasks, th, tg = act[:0], actTasks[:0], th[:0], tg[:0]
		for b, s := range st {
			if s.done {
				continue
			}
			for j := range s.trial {
				s.trial[j] = s.theta[j] + s.step*s.dir[j]
			}
			act = append(act, b)
			actTasks = append(actTasks, tasks[b])
			th = append(th, s.trial)
			tg = append(tg, make([]float64, d+1))
		}
		if len(act) == 0 {
			break
		}
		ft := make([]float64, len(act))
		ds.evalBatch(actTasks, th, ft, tg)
		for k, b := range act {
			s, t := st[b], tasks[b]
			if ft[k] <= s.f+1e-4*s.step*s.gtp && !math.IsNaN(ft[k]) {
				sv := make([]float64, d+1)
				yv := make([]float64, d+1)
				var sy float64
				for j := range sv {
					sv[j] = s.trial[j] - s.theta[j]
					yv[j] = tg[k][j] - s.grad[j]
					sy += sv[j] * yv[j]
				}
				if sy > 1e-12 {
					if len(s.s) == lbfgsMemory {
						s.s, s.y, s.rho = s.s[1:], s.y[1:], s.rho[1:]
					}
					s.s, s.y, s.rho = append(s.s, sv), append(s.y, yv), append(s.rho, 1/sy)
				}
				copy(s.theta, s.trial)
				copy(s.grad, tg[k])
				// scipy's L-BFGS-B (hence scikit-learn) also stops when f no longer
				// decreases in relative terms (ftol = 64 ε): beyond that the
				// gradient is below what f's rounding can resolve.
				flat := s.f-ft[k] <= relTolF*math.Max(math.Max(math.Abs(s.f), math.Abs(ft[k])), 1)
				s.f = ft[k]
				t.iters++
				if flat {
					s.done = true
					finish(t, s, tol)
					t.converged = true
					continue
				}
				newDirection(t, s, tol, maxIter)
				continue
			}
			s.lsTries++
			s.step *= 0.5
			if s.lsTries > 40 {
				// The line search cannot improve f: stop here, not converged.
				s.done, s.stalled = true, true
				finish(t, s, tol)
			}
		}
	}
}

// newDirection checks convergence and, if the fit goes on, sets the L-BFGS
// direction -H∇f and the first trial step.
func newDirection(t *fitTask, s *lbfgsState, tol float64, maxIter int) {
	d := len(s.theta) - 1
	gn := gradInf(t, s.grad)
	if gn <= tol || t.iters >= maxIter {
		s.done = true
		finish(t, s, tol)
		return
	}
	q := make([]float64, d+1)
	for j := range q {
		q[j] = -s.grad[j]
	}
	m := len(s.s)
	alpha := make([]float64, m)
	for i := m - 1; i >= 0; i-- {
		alpha[i] = s.rho[i] * dotKernel(s.s[i], q)
		axpyKernel(-alpha[i], s.y[i], q)
	}
	applyH0(s, q)
	for i := 0; i < m; i++ {
		beta := s.rho[i] * dotKernel(s.y[i], q)
		axpyKernel(alpha[i]-beta, s.s[i], q)
	}
	gtp := dotKernel(s.grad, q)
	if !(gtp < 0) {
		// Not a descent direction (numerical trouble): restart from the preconditioned gradient.
		s.s, s.y, s.rho = nil, nil, nil
		for j := range q {
			q[j] = -s.grad[j]
		}
		applyH0(s, q)
		gtp = dotKernel(s.grad, q)
	}
	copy(s.dir, q)
	s.gtp, s.step, s.lsTries = gtp, 1, 0
}

// applyH0 multiplies q in place by the initial inverse Hessian γ M⁻¹, γ from the
// newest curvature pair (Nocedal & Wright eq. 7.20, in the M⁻¹ metric).
func applyH0(s *lbfgsState, q []float64) {
	d := len(q) - 1
	solve := func(v []float64) {
		v[d] *= 4 // bias curvature bound 1/4
		if s.chol != nil {
			s.chol.solve(v[:d])
		}
	}
	gamma := 1.0
	if m := len(s.s); m > 0 {
		hy := append([]float64(nil), s.y[m-1]...)
		solve(hy)
		if yhy := dotKernel(s.y[m-1], hy); yhy > 0 {
			gamma = dotKernel(s.s[m-1], s.y[m-1]) / yhy
		}
	}
	solve(q)
	for j := range q {
		q[j] *= gamma
	}
}

func finish(t *fitTask, s *lbfgsState, tol float64) {
	d := len(s.theta) - 1
	t.coef = append(t.coef[:0], s.theta[:d]...)
	t.bias = s.theta[d]
	t.gradNorm = gradInf(t, s.grad)
	t.converged = t.gradNorm <= tol
}

// gradInf is ‖∇f‖∞ with respect to the standardised coefficients w_j = v_j r_j.
func gradInf(t *fitTask, g []float64) float64 {
	d := len(g) - 1
	m := math.Abs(g[d])
	for j := 0; j < d; j++ {
		v := math.Abs(g[j])
		if t.pen != nil {
			v /= math.Sqrt(t.pen[j])
		}
		if v > m {
			m = v
		}
	}
	return m
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func axpy(alpha float64, x, y []float64) {
	for i := range x {
		y[i] += alpha * x[i]
	}
}
