package probe_test

import (
	"errors"
	"io"
	"math"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/probe/probetest"
	"gonum.org/v1/gonum/mat"
)

// estimator adapts probe.Params to probetest.
type estimator struct{ probe.Params }

type model struct{ *probe.Probe }

func (e estimator) Fit(X mat.Matrix, y []int) (probetest.Model, error) {
	p, err := e.Params.Fit(X, y)
	if err != nil {
		return nil, err
	}
	return model{p}, nil
}

func (m model) Outputs(X mat.Matrix) (*mat.Dense, error) {
	z, err := m.DecisionFunction(X)
	if err != nil {
		return nil, err
	}
	return mat.NewDense(len(z), 1, z), nil
}

func TestCheckLBFGS(t *testing.T) {
	probetest.Check(t, func(seed uint64) probetest.Estimator {
		p := probe.DefaultParams()
		p.Seed = seed
		return estimator{p}
	}, func(r io.Reader) (probetest.Model, error) {
		p, err := probe.Load(r)
		return model{p}, err
	})
}

func TestCheckNewtonGoMLX(t *testing.T) {
	probetest.Check(t, func(seed uint64) probetest.Estimator {
		p := probe.DefaultParams()
		p.Seed, p.Solver, p.Backend = seed, probe.SolverNewtonGoMLX, "go"
		return estimator{p}
	}, func(r io.Reader) (probetest.Model, error) {
		p, err := probe.Load(r)
		return model{p}, err
	})
}

func TestCheckNewtonKernel(t *testing.T) {
	probetest.Check(t, func(seed uint64) probetest.Estimator {
		p := probe.DefaultParams()
		p.Seed, p.Solver = seed, probe.SolverNewtonKernel
		return estimator{p}
	}, func(r io.Reader) (probetest.Model, error) {
		p, err := probe.Load(r)
		return model{p}, err
	})
}

// The solvers minimise the same objective: their coefficients agree, with more
// rows than features and with fewer (where the automatic choice is the kernel
// Newton).
func TestSolversAgree(t *testing.T) {
	for _, shape := range []struct{ n, d int }{{300, 10}, {40, 400}} {
		X, y, _ := probetest.Planted(shape.n, shape.d, 1, 3)
		var ref *probe.Probe
		for _, solver := range []string{probe.SolverLBFGS, probe.SolverNewtonKernel, probe.SolverNewtonGoMLX, probe.SolverAuto} {
			p := probe.DefaultParams()
			p.Tol, p.Solver, p.Backend = 1e-9, solver, "go"
			pr, err := p.Fit(X, y)
			if err != nil {
				t.Fatalf("n=%d d=%d %s: %v", shape.n, shape.d, solver, err)
			}
			t.Logf("n=%d d=%d %s: %d iterations", shape.n, shape.d, solver, pr.NIter)
			if ref == nil {
				ref = pr
				continue
			}
			const tol = 1e-6 // all stop at ‖∇f‖∞ ≤ 1e-9; f is strongly convex with curvature ≥ 1/(C n)
			ca, cb := ref.Coef(), pr.Coef()
			for j := range ca {
				if math.Abs(ca[j]-cb[j]) > tol {
					t.Errorf("n=%d d=%d coef %d: lbfgs %.8f, %s %.8f", shape.n, shape.d, j, ca[j], solver, cb[j])
				}
			}
			if math.Abs(ref.Intercept()-pr.Intercept()) > tol {
				t.Errorf("n=%d d=%d intercept: lbfgs %.8f, %s %.8f", shape.n, shape.d, ref.Intercept(), solver, pr.Intercept())
			}
		}
	}
}

// A planted direction is recovered: the probe's direction has cosine > 0.95 with it.
func TestPlantedDirectionRecovered(t *testing.T) {
	X, y, dir := probetest.Planted(2000, 16, 0.3, 5)
	pr, err := probe.DefaultParams().Fit(X, y)
	if err != nil {
		t.Fatal(err)
	}
	u := pr.Direction()
	var cos float64
	for j := range u {
		cos += u[j] * dir[j]
	}
	if cos < 0.95 {
		t.Errorf("cosine(probe, planted) = %.4f, want > 0.95", cos)
	}
	auc, err := pr.AUROC(X, y)
	if err != nil || auc < 0.95 {
		t.Errorf("training AUROC %.4f (%v), want > 0.95", auc, err)
	}
}

func TestConvergenceError(t *testing.T) {
	X, y, _ := probetest.Planted(200, 20, 0, 2) // separable: with C large, slow
	p := probe.DefaultParams()
	p.C, p.MaxIter, p.Tol = 1e6, 2, 1e-12
	pr, err := p.Fit(X, y)
	var ce *probe.ConvergenceError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want *ConvergenceError", err)
	}
	if pr == nil || pr.Converged || ce.Iter != 2 {
		t.Errorf("probe %v, iterations %d: want the last iterate after 2 iterations", pr, ce.Iter)
	}
}

func TestInputErrors(t *testing.T) {
	X, y, _ := probetest.Planted(50, 3, 0.5, 2)
	cases := []struct {
		name string
		X    mat.Matrix
		y    []int
	}{
		{"short labels", X, y[:10]},                  // 0
		{"bad label", X, append([]int{2}, y[1:]...)}, // 1
		{"one class", X, make([]int, 50)},            // 2
	}
	for i, c := range cases {
		if _, err := probe.DefaultParams().Fit(c.X, c.y); !errors.Is(err, probe.ErrInput) {
			t.Errorf("%d %s: err = %v, want ErrInput", i, c.name, err)
		}
	}
	if _, err := (probe.Params{C: -1}).Fit(X, y); err == nil {
		t.Errorf("C = -1 accepted")
	}
	if _, err := (probe.Params{Solver: "sgd"}).Fit(X, y); err == nil {
		t.Errorf("unknown solver accepted")
	}
}
