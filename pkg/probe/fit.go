package probe

import (
	"fmt"
	"math"
	"sync"

	"github.com/ifprobe/ifprobe/internal/par"
	"gonum.org/v1/gonum/mat"
)

// Fit fits a probe on all rows of X (n examples × d features) with labels y (0/1).
// On data the solver cannot fit to Tol within MaxIter it returns the last iterate
// together with a *ConvergenceError. Inputs are not modified.
func (p Params) Fit(X mat.Matrix, y []int) (pr *Probe, err error) {
	defer recoverTo(&err)
	n, _ := X.Dims()
	train := make([]bool, n)
	for i := range train {
		train[i] = true
	}
	probes, err := p.fitShared(X, []fitSpec{{train: train, y: y}})
	if len(probes) == 1 {
		pr = probes[0]
	}
	return pr, err
}

// FitMany fits one probe per dataset on all its rows, datasets in parallel on
// GOMAXPROCS workers (Groups are not used). Probes that stopped at MaxIter are
// returned with a *ConvergenceError counting them.
func (p Params) FitMany(dss []Dataset) (probes []*Probe, err error) {
	defer recoverTo(&err)
	probes = make([]*Probe, len(dss))
	var mu sync.Mutex
	var cerr *ConvergenceError
	err = par.For(len(dss), func(i int) error {
		pr, err := p.Fit(dss[i].X, dss[i].Y)
		if ce, ok := err.(*ConvergenceError); ok {
			mu.Lock()
			if cerr == nil {
				cerr = &ConvergenceError{Tol: ce.Tol}
			}
			cerr.Fits += ce.Fits
			if ce.GradNorm > cerr.GradNorm {
				cerr.GradNorm, cerr.Iter = ce.GradNorm, ce.Iter
			}
			mu.Unlock()
			err = nil
		}
		if err != nil {
			return fmt.Errorf("probe: dataset %d %q: %w", i, dss[i].Name, err)
		}
		probes[i] = pr
		return nil
	})
	if err != nil {
		return nil, err
	}
	if cerr != nil {
		return probes, cerr
	}
	return probes, nil
}

// FromFloat32 wraps row-major float32 activations [n, d] (the layout pkg/acts
// stores) as a float64 matrix for the estimators of this package.
func FromFloat32(data []float32, n, d int) (*mat.Dense, error) {
	if n <= 0 || d <= 0 || len(data) != n*d {
		return nil, fmt.Errorf("probe: FromFloat32: %d values for shape [%d, %d]: %w", len(data), n, d, ErrInput)
	}
	out := make([]float64, len(data))
	for i, v := range data {
		out[i] = float64(v)
	}
	return mat.NewDense(n, d, out), nil
}

// fitSpec is one fit on a shared design: which rows train it, its labels, and its C
// (0 means Params.C).
type fitSpec struct {
	train []bool
	y     []int
	c     float64
}

// standardizer holds per-feature mean and scale (population std).
type standardizer struct{ mean, scale []float64 }

// zeroScale is StandardScaler's threshold below which a std counts as zero (and
// the feature is left unscaled): 10 machine epsilons.
const zeroScale = 10 * 2.220446049250313e-16

// fitStandardizer returns column means and population stds over the chosen rows
// (all rows when rows is nil). Stds below zeroScale are returned as 0.
func fitStandardizer(x []float64, n, d int, rows []bool) standardizer {
	s := standardizer{mean: make([]float64, d), scale: make([]float64, d)}
	var cnt float64
	for i := 0; i < n; i++ {
		if rows != nil && !rows[i] {
			continue
		}
		cnt++
		axpy(1, x[i*d:(i+1)*d], s.mean)
	}
	for j := range s.mean {
		s.mean[j] /= cnt
	}
	for i := 0; i < n; i++ {
		if rows != nil && !rows[i] {
			continue
		}
		for j, v := range x[i*d : (i+1)*d] {
			dv := v - s.mean[j]
			s.scale[j] += dv * dv
		}
	}
	for j := range s.scale {
		s.scale[j] = math.Sqrt(s.scale[j] / cnt)
		if s.scale[j] < zeroScale {
			s.scale[j] = 0
		}
	}
	return s
}

// fitShared runs every spec on one design made from X. Each fit standardises on its
// own training rows (when p.Standardize): the design is standardised globally and
// each fit's own standardisation enters as a per-feature penalty and a shift of the
// bias, which is the same optimisation problem (see fitTask).
func (p Params) fitShared(X mat.Matrix, specs []fitSpec) ([]*Probe, error) {
	p, err := p.withDefaults()
	if err != nil {
		return nil, err
	}
	n, d := X.Dims()
	if n == 0 || d == 0 {
		return nil, fmt.Errorf("probe: X is %dx%d: %w", n, d, ErrInput)
	}
	if err := checkFinite(X); err != nil {
		return nil, err
	}
	x := make([]float64, n*d)
	xm := mat.NewDense(n, d, x)
	xm.Copy(X)
	var glob standardizer
	if p.Standardize {
		glob = fitStandardizer(x, n, d, nil)
		for j, v := range glob.scale {
			if v == 0 { // StandardScaler leaves constant features unscaled
				glob.scale[j] = 1
			}
		}
		for i := 0; i < n; i++ {
			row := x[i*d : (i+1)*d]
			for j := range row {
				row[j] = (row[j] - glob.mean[j]) / glob.scale[j]
			}
		}
	}
	ds := &design{n: n, d: d, x: x}
	tasks := make([]*fitTask, len(specs))
	stds := make([]standardizer, len(specs))
	for k, sp := range specs {
		if len(sp.train) != n {
			return nil, fmt.Errorf("probe: fit %d: %d row flags for %d rows: %w", k, len(sp.train), n, ErrInput)
		}
		if err := checkLabels(sp.y, n, false); err != nil {
			return nil, err
		}
		t := &fitTask{weight: make([]float64, n), y: make([]float64, n), c: sp.c}
		if t.c == 0 {
			t.c = p.C
		}
		var pos, cnt int
		for i, in := range sp.train {
			if in {
				t.weight[i] = 1
				t.y[i] = float64(sp.y[i])
				pos += sp.y[i]
				cnt++
			}
		}
		if pos == 0 || pos == cnt {
			return nil, fmt.Errorf("probe: fit %d: training labels have a single class (%d of %d positive): %w", k, pos, cnt, ErrInput)
		}
		if p.Standardize {
			// This fit's own standardiser, in units of the global one.
			stds[k] = fitStandardizer(x, n, d, sp.train)
			t.pen = make([]float64, d)
			for j := range t.pen {
				r := stds[k].scale[j]
				if r*glob.scale[j] < zeroScale { // constant on these rows: raw scale 1, as StandardScaler
					r = 1 / glob.scale[j]
				}
				stds[k].scale[j] = r
				t.pen[j] = r * r
			}
		}
		tasks[k] = t
	}
	switch {
	case p.Solver == SolverNewtonGoMLX:
		if err := solveNewtonGoMLX(p.Backend, ds, tasks, p.MaxIter, p.Tol); err != nil {
			return nil, err
		}
	case p.Solver == SolverNewtonKernel, p.Solver != SolverLBFGS && useKernel(ds, tasks):
		solveKernelNewton(ds, tasks, p.MaxIter, p.Tol)
	default:
		solveLBFGS(ds, tasks, p.MaxIter, p.Tol, newPreconditioner(ds, preconditionRows*d))
	}
	probes := make([]*Probe, len(tasks))
	var cerr *ConvergenceError
	for k, t := range tasks {
		pr := &Probe{Params: p, W: make([]float64, d), B: t.bias, NIter: t.iters, Converged: t.converged, GradNorm: t.gradNorm,
			Mean: make([]float64, d), Scale: make([]float64, d)}
		for j := 0; j < d; j++ {
			if p.Standardize {
				// v_j on the global design ↔ w_j = v_j r_j on this fit's standardisation,
				// whose mean in global units is m_j = stds[k].mean[j] (x was already
				// globally standardised when stds[k] was fitted).
				r, m := stds[k].scale[j], stds[k].mean[j]
				pr.W[j] = t.coef[j] * r
				pr.B += t.coef[j] * m
				pr.Mean[j] = glob.mean[j] + m*glob.scale[j]
				pr.Scale[j] = r * glob.scale[j]
			} else {
				pr.W[j], pr.Mean[j], pr.Scale[j] = t.coef[j], 0, 1
			}
		}
		probes[k] = pr
		if !t.converged {
			if cerr == nil {
				cerr = &ConvergenceError{Tol: p.Tol}
			}
			cerr.Fits++
			if t.gradNorm > cerr.GradNorm {
				cerr.GradNorm, cerr.Iter = t.gradNorm, t.iters
			}
		}
	}
	if cerr != nil {
		return probes, cerr
	}
	return probes, nil
}

// preconditionRows × d rows (at most) estimate the Gram matrix of the
// preconditioner: enough to capture the feature correlations, while the Gram
// stays cheap. Measured on the benchcmp problems (n = 2000, d = 576, gonum
// kernels), CPU time per problem: all rows 0.27 s (10 iterations), 2d rows
// 0.22 s (14), d rows 0.28 s (29); with the AVX2 kernels 2d rows 0.14 s, 3d 0.16 s,
// all rows 0.18 s.
const preconditionRows = 2

// recoverTo turns a panic escaping graph building or numeric code into an error, so
// that none leaves the public API.
func recoverTo(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("probe: internal error: %v", r)
	}
}
