package erase_test

import (
	"io"
	"math"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/erase"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/probe/probetest"
	"gonum.org/v1/gonum/mat"
)

// estimator adapts an eraser's Fit to probetest.
type estimator[E erase.Eraser] func(X mat.Matrix, y []int) (E, error)

type model struct{ erase.Eraser }

func (f estimator[E]) Fit(X mat.Matrix, y []int) (probetest.Model, error) {
	e, err := f(X, y)
	if err != nil {
		return nil, err
	}
	return model{e}, nil
}

func (m model) Outputs(X mat.Matrix) (*mat.Dense, error) { return m.Apply(X) }

func load(r io.Reader) (probetest.Model, error) {
	e, err := erase.Load(r)
	return model{e}, err
}

func TestCheckErasers(t *testing.T) {
	t.Run("LEACE", func(t *testing.T) {
		probetest.Check(t, func(uint64) probetest.Estimator { return estimator[*erase.LEACE](erase.LEACEParams{}.Fit) }, load)
	})
	t.Run("INLP", func(t *testing.T) {
		probetest.Check(t, func(seed uint64) probetest.Estimator {
			return estimator[*erase.Projection](erase.INLPParams{Seed: seed, MaxIter: 3}.Fit)
		}, load)
	})
	t.Run("MeanDiff", func(t *testing.T) {
		probetest.Check(t, func(uint64) probetest.Estimator { return estimator[*erase.Projection](erase.MeanDiffParams{}.Fit) }, load)
	})
	t.Run("Random", func(t *testing.T) {
		probetest.Check(t, func(seed uint64) probetest.Estimator {
			return estimator[*erase.Projection](erase.RandomParams{Rank: 2, Seed: seed}.Fit)
		}, load)
	})
}

// correlated returns planted data made anisotropic by a fixed mixing, so that
// LEACE's whitening matters (orthogonal projection of the mean difference would
// not be enough).
func correlated(n, d int, seed uint64) (*mat.Dense, []int, []float64) {
	X, y, dir := probetest.Planted(n, d, 0.3, seed)
	mix := mat.NewDense(d, d, nil)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			v := 0.0
			if i == j {
				v = 1 + float64(i)
			}
			if j == i+1 {
				v = 0.8
			}
			mix.Set(i, j, v)
		}
	}
	var out mat.Dense
	out.Mul(X, mix)
	return &out, y, dir
}

// After LEACE no linear classifier beats a constant on the training data: the
// class means coincide, and a fresh logistic probe's optimum is w = 0.
func TestLEACEGuardsLinearProbes(t *testing.T) {
	X, y, _ := correlated(1000, 8, 3)
	before, err := probe.DefaultParams().Fit(X, y)
	if err != nil {
		t.Fatal(err)
	}
	accBefore, _ := before.Score(X, y)
	l, err := erase.LEACEParams{}.Fit(X, y)
	if err != nil {
		t.Fatal(err)
	}
	Xe, _ := l.Apply(X)
	n, d := Xe.Dims()
	var m0, m1 = make([]float64, d), make([]float64, d)
	var n0, n1 float64
	for i := 0; i < n; i++ {
		m, c := m0, &n0
		if y[i] == 1 {
			m, c = m1, &n1
		}
		*c++
		for j := 0; j < d; j++ {
			m[j] += Xe.At(i, j)
		}
	}
	const meanTol = 1e-9 // exact in theory; float64 rounding of d×d products
	for j := 0; j < d; j++ {
		if math.Abs(m0[j]/n0-m1[j]/n1) > meanTol {
			t.Errorf("feature %d: class means %.12f and %.12f differ after LEACE", j, m0[j]/n0, m1[j]/n1)
		}
	}
	p := probe.DefaultParams()
	p.Tol = 1e-10
	after, err := p.Fit(Xe, y)
	if err != nil {
		t.Fatal(err)
	}
	const coefTol = 1e-6 // the optimum is exactly 0; the solver stops at ‖∇f‖∞ ≤ 1e-10
	for j, w := range after.W {
		if math.Abs(w) > coefTol {
			t.Errorf("fresh probe weight %d = %.3g, want 0", j, w)
		}
	}
	var pos float64
	for _, v := range y {
		pos += float64(v)
	}
	majority := math.Max(pos, float64(n)-pos) / float64(n)
	accAfter, _ := after.Score(Xe, y)
	if accBefore < 0.9 || accAfter > majority+1e-9 {
		t.Errorf("training accuracy %.4f before, %.4f after LEACE, majority %.4f", accBefore, accAfter, majority)
	}
}

func TestLEACEAlgebra(t *testing.T) {
	X, y, _ := correlated(500, 6, 4)
	l, err := erase.LEACEParams{}.Fit(X, y)
	if err != nil {
		t.Fatal(err)
	}
	var pp mat.Dense
	pp.Mul(l.P, l.P)
	const tol = 1e-9
	if !mat.EqualApprox(&pp, l.P, tol) {
		t.Error("P is not idempotent")
	}
	A, c := l.Affine()
	got, _ := l.Apply(X)
	var want mat.Dense
	want.Mul(X, A.T())
	n, d := want.Dims()
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			want.Set(i, j, want.At(i, j)+c[j])
		}
	}
	if !mat.EqualApprox(got, &want, tol) {
		t.Error("Apply differs from the affine form X Aᵀ + c")
	}
	if b := l.Basis(); l.Rank() != 1 || math.Abs(mat.Norm(b, 2)-1) > tol {
		t.Errorf("rank %d basis norm %v", l.Rank(), mat.Norm(b, 2))
	}
}

// Moments merged shard by shard give the eraser of the whole data.
func TestLEACEStreaming(t *testing.T) {
	X, y, _ := correlated(700, 5, 5)
	whole, _ := erase.LEACEParams{}.Fit(X, y)
	var m erase.Moments
	for _, r := range [][2]int{{0, 100}, {100, 101}, {101, 450}, {450, 700}} {
		if err := m.Update(X.Slice(r[0], r[1], 0, 5), y[r[0]:r[1]]); err != nil {
			t.Fatal(err)
		}
	}
	shards, err := erase.LEACEParams{}.FitMoments(&m)
	if err != nil {
		t.Fatal(err)
	}
	const tol = 1e-9
	if !mat.EqualApprox(whole.P, shards.P, tol) {
		t.Error("P from shards differs from P from the whole data")
	}
	if err := m.Update(mat.NewDense(2, 4, nil), []int{0, 1}); err == nil {
		t.Error("a shard of another width was accepted")
	}
}

func cosine(a, b []float64) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab, aa, bb = ab+a[i]*b[i], aa+a[i]*a[i], bb+b[i]*b[i]
	}
	return math.Abs(ab) / math.Sqrt(aa*bb)
}

func TestINLPReachesChance(t *testing.T) {
	X, y, dir := probetest.Planted(1500, 10, 0.3, 6)
	pr, err := erase.INLPParams{Seed: 1}.Fit(X, y)
	if err != nil {
		t.Fatal(err)
	}
	rep := pr.INLP
	acc := rep.HeldOutAccuracy
	if len(acc) != rep.Iterations+1 || rep.Iterations < 1 {
		t.Fatalf("report %+v", rep)
	}
	if acc[0] < 0.9 || acc[len(acc)-1] > rep.Chance+0.01 {
		t.Errorf("held-out accuracies %v, chance %.3f: want high, then at chance", acc, rep.Chance)
	}
	if c := cosine(pr.B.RawRowView(0), dir); c < 0.95 {
		t.Errorf("first INLP direction has cosine %.3f with the planted one", c)
	}
	// The basis is orthonormal.
	var g mat.Dense
	g.Mul(pr.B, pr.B.T())
	k := pr.Rank()
	const tol = 1e-10
	if !mat.EqualApprox(&g, eye(k), tol) {
		t.Error("INLP basis is not orthonormal")
	}
}

func TestMeanDiffRemovesPlanted(t *testing.T) {
	X, y, dir := probetest.Planted(4000, 8, 0.3, 7)
	md, err := erase.MeanDiffParams{}.Fit(X, y)
	if err != nil {
		t.Fatal(err)
	}
	if c := cosine(md.B.RawRowView(0), dir); c < 0.95 {
		t.Errorf("mean difference has cosine %.3f with the planted direction", c)
	}
	Xe, _ := md.Apply(X)
	pr, _ := probe.DefaultParams().Fit(Xe, y)
	if auc, _ := pr.AUROC(Xe, y); auc > 0.6 {
		t.Errorf("training AUROC %.3f after removing the mean difference", auc)
	}
}

func TestRandomControl(t *testing.T) {
	a, _ := erase.RandomParams{Rank: 3, Seed: 1}.ForDim(10)
	b, _ := erase.RandomParams{Rank: 3, Seed: 1}.ForDim(10)
	c, _ := erase.RandomParams{Rank: 3, Seed: 2}.ForDim(10)
	if !mat.Equal(a.B, b.B) || mat.Equal(a.B, c.B) {
		t.Error("random basis does not follow the seed")
	}
	var g mat.Dense
	g.Mul(a.B, a.B.T())
	const tol = 1e-12
	if !mat.EqualApprox(&g, eye(3), tol) {
		t.Error("random basis is not orthonormal")
	}
	if _, err := (erase.RandomParams{Rank: 11}).ForDim(10); err == nil {
		t.Error("rank above the dimension accepted")
	}
}

func eye(k int) *mat.Dense {
	m := mat.NewDense(k, k, nil)
	for i := 0; i < k; i++ {
		m.Set(i, i, 1)
	}
	return m
}
