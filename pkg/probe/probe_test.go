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

// The two solvers minimise the same objective: their coefficients agree.
func TestSolversAgree(t *testing.T) {
	X, y, _ := probetest.Planted(300, 10, 1, 3)
	p := probe.DefaultParams()
	p.Tol = 1e-9
	a, err := p.Fit(X, y)
	if err != nil {
		t.Fatal(err)
	}
	p.Solver, p.Backend = probe.SolverNewtonGoMLX, "go"
	b, err := p.Fit(X, y)
	if err != nil {
		t.Fatal(err)
	}
	const tol = 1e-6 // both stop at ‖∇f‖∞ ≤ 1e-9; f is strongly convex with curvature ≥ 1/(C n)
	ca, cb := a.Coef(), b.Coef()
	for j := range ca {
		if math.Abs(ca[j]-cb[j]) > tol {
			t.Errorf("coef %d: lbfgs %.8f, newton-gomlx %.8f", j, ca[j], cb[j])
		}
	}
	if math.Abs(a.Intercept()-b.Intercept()) > tol {
		t.Errorf("intercept: %.8f vs %.8f", a.Intercept(), b.Intercept())
	}
	t.Logf("iterations: lbfgs %d, newton %d", a.NIter, b.NIter)
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
