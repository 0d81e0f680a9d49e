package probe

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// The kernels in use (AVX2 + FMA where available) agree with gonum's on every
// length, including the tails that do not fill a vector register.
func TestKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	vec := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		return v
	}
	const tol = 1e-12 // only the summation order differs
	for n := 0; n <= 70; n++ {
		x, y := vec(n), vec(n)
		if got, want := dotKernel(x, y), floats.Dot(x, y); math.Abs(got-want) > tol*float64(n+1) {
			t.Errorf("%s dot n=%d: %v, gonum %v", kernelName, n, got, want)
		}
		y2 := append([]float64(nil), y...)
		axpyKernel(0.37, x, y)
		floats.AddScaled(y2, 0.37, x)
		for i := range y {
			if math.Abs(y[i]-y2[i]) > tol {
				t.Fatalf("%s axpy n=%d: element %d: %v, gonum %v", kernelName, n, i, y[i], y2[i])
			}
		}
		a := [4][]float64{vec(n + 3), vec(n), vec(n + 1), vec(n)}
		s := [4]float64{}
		s[0], s[1], s[2], s[3] = dot4Kernel(a[0], a[1], a[2], a[3], x)
		for k := range a {
			if want := floats.Dot(a[k][:n], x); math.Abs(s[k]-want) > tol*float64(n+1) {
				t.Errorf("%s dot4 n=%d column %d: %v, gonum %v", kernelName, n, k, s[k], want)
			}
		}
	}
	t.Logf("kernels: %s", kernelName)
}

// The preconditioner solves M x = b like gonum's, both as a Cholesky factor of
// M (more rows than features) and through the Woodbury identity (fewer).
func TestCholeskySolve(t *testing.T) {
	const d = 37
	for _, n := range []int{60, 20} {
		rng := rand.New(rand.NewPCG(3, 4))
		x := make([]float64, n*d)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		p := newPreconditioner(&design{n: n, d: d, x: x}, 0)
		if lowRank := p.rows != nil; lowRank != (n < d) {
			t.Fatalf("n=%d: low-rank form %v", n, lowRank)
		}
		inv := p.factor(1, 100) // λ = 0.01
		if inv == nil {
			t.Fatal("factorisation failed on a positive definite matrix")
		}
		g := mat.NewSymDense(d, nil)
		rows := make([]int, n)
		for i := range rows {
			rows[i] = i
		}
		gramTo(g, x, rows, d, 1/(4*float64(n)))
		m := mat.NewSymDense(d, nil)
		m.CopySym(g)
		for j := 0; j < d; j++ {
			m.SetSym(j, j, m.At(j, j)+0.01+1e-12)
		}
		b := make([]float64, d)
		for i := range b {
			b[i] = rng.NormFloat64()
		}
		var want mat.VecDense
		if err := want.SolveVec(m, mat.NewVecDense(d, append([]float64(nil), b...))); err != nil {
			t.Fatal(err)
		}
		inv.solve(b)
		const tol = 1e-8 // cond(M) ≈ 1e3 (dense), 1e2/λ (low rank)
		for i := range b {
			if math.Abs(b[i]-want.AtVec(i)) > tol*math.Max(1, math.Abs(want.AtVec(i))) {
				t.Fatalf("n=%d element %d: %v, gonum %v", n, i, b[i], want.AtVec(i))
			}
		}
	}
	bad := &cholesky{d: 2, l: []float64{1, 0, 2, 1}} // [[1,2],[2,1]] is indefinite
	if bad.factorize() {
		t.Error("indefinite matrix factorised")
	}
}

// The whole evaluation gives the same scores with gonum's kernels as with the
// ones in use (the example outputs must hold on CPUs without AVX2).
func TestEvaluateSameOnGonumKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	n, d := 300, 20
	X := mat.NewDense(n, d, nil)
	y := make([]int, n)
	for i := 0; i < n; i++ {
		var s float64
		for j := 0; j < d; j++ {
			v := rng.NormFloat64()
			X.Set(i, j, v)
			s += v * float64(j%3-1)
		}
		if s+rng.NormFloat64() > 0 {
			y[i] = 1
		}
	}
	cv := CVParams{Probe: DefaultParams(), SkipCI: true, Control: true}
	a, err := cv.Evaluate(Dataset{X: X, Y: y})
	if err != nil {
		t.Fatal(err)
	}
	saved := [3]any{dotKernel, axpyKernel, dot4Kernel}
	dotKernel = floats.Dot
	axpyKernel = func(a float64, x, y []float64) { floats.AddScaled(y, a, x) }
	dot4Kernel = dot4Go
	defer func() {
		dotKernel = saved[0].(func(x, y []float64) float64)
		axpyKernel = saved[1].(func(a float64, x, y []float64))
		dot4Kernel = saved[2].(func(a0, a1, a2, a3, b []float64) (float64, float64, float64, float64))
	}()
	b, err := cv.Evaluate(Dataset{X: X, Y: y})
	if err != nil {
		t.Fatal(err)
	}
	const tol = 1e-9 // same iterates up to summation order
	if a.Pooled.AUROC != b.Pooled.AUROC || a.Control.AUROC != b.Control.AUROC {
		t.Errorf("AUROC %v / %v (%s) vs %v / %v (gonum)", a.Pooled.AUROC, a.Control.AUROC, kernelName, b.Pooled.AUROC, b.Control.AUROC)
	}
	for i := range a.OOF {
		if math.Abs(a.OOF[i]-b.OOF[i]) > tol {
			t.Fatalf("row %d: %v vs %v", i, a.OOF[i], b.OOF[i])
		}
	}
}
