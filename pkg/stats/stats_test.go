package stats_test

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/stats"
	"gonum.org/v1/gonum/mat"
)

// reference is testdata/reference.json, written by
// scripts/fixtures/probe/make_fixtures.sh (scikit-learn 1.9.1, scipy 1.17.1,
// numpy 2.4.6).
type reference struct {
	AUROC []struct {
		Scores []float64 `json:"scores"`
		Labels []int     `json:"labels"`
		AUROC  float64   `json:"auroc"`
	} `json:"auroc"`
	Similarity struct {
		X          [][]float64 `json:"x"`
		Y          [][]float64 `json:"y"`
		LinearCKA  float64     `json:"linear_cka"`
		PWCCA      float64     `json:"pwcca"`
		PWCCARho   []float64   `json:"pwcca_rho"`
		PWCCAAlpha []float64   `json:"pwcca_alpha"`
	} `json:"similarity"`
	AverageLinkage struct {
		Dist    [][]float64 `json:"dist"`
		Linkage [][]float64 `json:"linkage"`
		Leaves  []int       `json:"leaves"`
	} `json:"average_linkage"`
}

func loadReference(t *testing.T) reference {
	t.Helper()
	data, err := os.ReadFile("testdata/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var r reference
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func dense(rows [][]float64) *mat.Dense {
	m := mat.NewDense(len(rows), len(rows[0]), nil)
	for i, r := range rows {
		m.SetRow(i, r)
	}
	return m
}

func TestAUROC(t *testing.T) {
	const tol = 1e-12
	for i, c := range []struct {
		scores []float64
		labels []int
		want   float64
	}{
		{[]float64{0.1, 0.4, 0.35, 0.8}, []int{0, 0, 1, 1}, 0.75}, // 0: sklearn docs example
		{[]float64{1, 2, 3}, []int{0, 1, 1}, 1},                   // 1: perfect
		{[]float64{3, 2, 1}, []int{0, 1, 1}, 0},                   // 2: reversed
		{[]float64{1, 1, 1, 1}, []int{0, 1, 0, 1}, 0.5},           // 3: all tied: each pair counts 1/2
		{[]float64{1, 2, 2, 3}, []int{0, 0, 1, 1}, 0.875},         // 4: by hand: pairs (2,2) tie → (3 + 0.5)/4
	} {
		got, err := stats.AUROC(c.scores, c.labels)
		if err != nil || math.Abs(got-c.want) > tol {
			t.Errorf("%d: AUROC = %v (%v), want %v", i, got, err, c.want)
		}
	}
	for i, c := range loadReference(t).AUROC {
		got, err := stats.AUROC(c.Scores, c.Labels)
		if err != nil || math.Abs(got-c.AUROC) > tol {
			t.Errorf("fixture %d: AUROC = %v (%v), sklearn roc_auc_score %v", i, got, err, c.AUROC)
		}
	}
	if _, err := stats.AUROC([]float64{1, 2}, []int{1, 1}); !errors.Is(err, stats.ErrDegenerate) {
		t.Errorf("single class: err = %v, want ErrDegenerate", err)
	}
	if _, err := stats.AUROC([]float64{math.NaN(), 2}, []int{0, 1}); err == nil {
		t.Error("NaN score accepted")
	}
	if _, err := stats.AUROC([]float64{1, 2}, []int{0, 2}); err == nil {
		t.Error("label 2 accepted")
	}
}

func TestBootstrap(t *testing.T) {
	x := make([]float64, 200)
	for i := range x {
		x[i] = float64(i % 10)
	}
	mean := func(idx []int) float64 {
		var s float64
		for _, i := range idx {
			s += x[i]
		}
		return s / float64(len(idx))
	}
	p := stats.BootstrapParams{Reps: 2000, Seed: 3}
	iv, err := stats.Bootstrap(len(x), mean, p)
	if err != nil {
		t.Fatal(err)
	}
	// The mean is 4.5 and its standard error sd/√n = 2.872/√200 = 0.203, so the
	// 95% interval is about ±0.40 (normal approximation).
	const tol = 0.06
	if iv.Estimate != 4.5 || math.Abs(iv.Lo-(4.5-0.398)) > tol || math.Abs(iv.Hi-(4.5+0.398)) > tol || iv.Reps != 2000 {
		t.Errorf("interval %v (%d reps), want about 4.5 ± 0.40", iv, iv.Reps)
	}
	again, _ := stats.Bootstrap(len(x), mean, p)
	if again != iv {
		t.Error("same seed, different interval")
	}
	// A paired difference of a statistic with itself is exactly 0.
	_, diff, err := stats.PairedBootstrap(len(x), mean, mean, p)
	if err != nil || diff.Lo != 0 || diff.Hi != 0 {
		t.Errorf("paired self-difference %v (%v), want [0, 0]", diff, err)
	}
	// A shifted statistic: the difference is the shift on every resample.
	shifted := func(idx []int) float64 { return mean(idx) - 1 }
	_, diff, _ = stats.PairedBootstrap(len(x), mean, shifted, p)
	if math.Abs(diff.Lo-1) > 1e-12 || math.Abs(diff.Hi-1) > 1e-12 {
		t.Errorf("paired difference %v, want exactly 1", diff)
	}
	if _, err := stats.Bootstrap(10, func([]int) float64 { return math.NaN() }, p); !errors.Is(err, stats.ErrDegenerate) {
		t.Errorf("all-NaN resamples: err = %v, want ErrDegenerate", err)
	}
}

func TestQuantile(t *testing.T) {
	s := []float64{1, 2, 3, 4}
	// numpy.percentile([1,2,3,4], [0, 25, 50, 100]) = 1, 1.75, 2.5, 4
	for i, c := range []struct{ q, want float64 }{{0, 1}, {0.25, 1.75}, {0.5, 2.5}, {1, 4}} {
		if got := stats.Quantile(s, c.q); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("%d: Quantile(%v) = %v, want %v", i, c.q, got, c.want)
		}
	}
}

func TestSimilarityReference(t *testing.T) {
	r := loadReference(t).Similarity
	x, y := dense(r.X), dense(r.Y)
	const tol = 1e-10 // both sides are direct linear algebra in float64
	cka, err := stats.LinearCKA(x, y)
	if err != nil || math.Abs(cka-r.LinearCKA) > tol {
		t.Errorf("LinearCKA = %v (%v), numpy %v", cka, err, r.LinearCKA)
	}
	p, rho, alpha, err := stats.PWCCA(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(p-r.PWCCA) > tol {
		t.Errorf("PWCCA = %v, numpy %v", p, r.PWCCA)
	}
	for i := range rho {
		if math.Abs(rho[i]-r.PWCCARho[i]) > tol || math.Abs(alpha[i]-r.PWCCAAlpha[i]) > tol {
			t.Errorf("component %d: rho %v alpha %v, numpy %v %v", i, rho[i], alpha[i], r.PWCCARho[i], r.PWCCAAlpha[i])
		}
	}
}

func TestSimilarityInvariances(t *testing.T) {
	r := loadReference(t).Similarity
	x := dense(r.X)
	n, d := x.Dims()
	// Rotating (a permutation with signs is orthogonal), scaling and shifting x.
	var q mat.Dense
	q.Mul(x, signedPermutation(d))
	q.Scale(3, &q)
	for i := 0; i < n; i++ {
		q.Set(i, 0, q.At(i, 0)+5)
	}
	const tol = 1e-12
	if cka, _ := stats.LinearCKA(x, &q); math.Abs(cka-1) > tol {
		t.Errorf("CKA(x, 3xQ + c) = %v, want 1", cka)
	}
	if p, _, _, _ := stats.PWCCA(x, &q); math.Abs(p-1) > 1e-9 {
		t.Errorf("PWCCA(x, 3xQ + c) = %v, want 1", p)
	}
	if _, _, _, err := stats.PWCCA(x.Slice(0, 8, 0, d), x.Slice(0, 8, 0, d)); !errors.Is(err, stats.ErrDegenerate) {
		t.Errorf("PWCCA with fewer rows than columns: err = %v, want ErrDegenerate", err)
	}
	if _, err := stats.LinearCKA(x, x.Slice(0, 10, 0, d)); err == nil {
		t.Error("CKA of different row counts accepted")
	}
}

func signedPermutation(d int) *mat.Dense {
	m := mat.NewDense(d, d, nil)
	for i := 0; i < d; i++ {
		s := 1.0
		if i%2 == 1 {
			s = -1
		}
		m.Set(i, (i+1)%d, s)
	}
	return m
}

func TestAverageLinkageReference(t *testing.T) {
	r := loadReference(t).AverageLinkage
	n := len(r.Dist)
	dist := mat.NewSymDense(n, nil)
	for i := range r.Dist {
		for j := i; j < n; j++ {
			dist.SetSym(i, j, r.Dist[i][j])
		}
	}
	dg, err := stats.AverageLinkage(dist)
	if err != nil {
		t.Fatal(err)
	}
	const tol = 1e-12
	for i, z := range r.Linkage {
		m := dg.Merges[i]
		if m.A != int(z[0]) || m.B != int(z[1]) || math.Abs(m.Height-z[2]) > tol || m.Size != int(z[3]) {
			t.Errorf("merge %d: %+v, scipy %v", i, m, z)
		}
	}
	leaves := dg.Leaves()
	for i := range leaves {
		if leaves[i] != r.Leaves[i] {
			t.Fatalf("leaves %v, scipy leaves_list %v", leaves, r.Leaves)
		}
	}
}

func TestAverageLinkageByHand(t *testing.T) {
	// Points on a line at 0, 1, 5, 6.5: {0,1} at 1, {2,3} at 1.5, then the two
	// pairs at the mean of |0-5|,|0-6.5|,|1-5|,|1-6.5| = (5+6.5+4+5.5)/4 = 5.25.
	pos := []float64{0, 1, 5, 6.5}
	dist := mat.NewSymDense(4, nil)
	for i := range pos {
		for j := i; j < 4; j++ {
			dist.SetSym(i, j, math.Abs(pos[i]-pos[j]))
		}
	}
	dg, err := stats.AverageLinkage(dist)
	if err != nil {
		t.Fatal(err)
	}
	want := []stats.Merge{{A: 0, B: 1, Height: 1, Size: 2}, {A: 2, B: 3, Height: 1.5, Size: 2}, {A: 4, B: 5, Height: 5.25, Size: 4}}
	for i := range want {
		if dg.Merges[i] != want[i] {
			t.Errorf("merge %d: %+v, want %+v", i, dg.Merges[i], want[i])
		}
	}
	labels, err := dg.Cut(2)
	if err != nil || labels[0] != labels[1] || labels[2] != labels[3] || labels[0] == labels[2] {
		t.Errorf("Cut(2) = %v (%v)", labels, err)
	}
	bad := mat.NewSymDense(2, []float64{0, math.NaN(), math.NaN(), 0})
	if _, err := stats.AverageLinkage(bad); err == nil {
		t.Error("NaN distance accepted")
	}
}

// Values checked against scipy.stats.norm (ppf/cdf) to 1e-12.
func TestNormalQuantile(t *testing.T) {
	for _, c := range []struct{ p, z float64 }{{0.975, 1.959963984540054}, {0.8, 0.8416212335729143}, {0.5, 0}, {0.025, -1.959963984540054}} {
		if got := stats.NormalQuantile(c.p); math.Abs(got-c.z) > 1e-12 {
			t.Errorf("NormalQuantile(%v) = %v, want %v", c.p, got, c.z)
		}
		if got := stats.NormalCDF(c.z); math.Abs(got-c.p) > 1e-12 {
			t.Errorf("NormalCDF(%v) = %v, want %v", c.z, got, c.p)
		}
	}
}

// Holm at 0.05 on four p-values: thresholds 0.0125, 0.0167, 0.025, 0.05 in order;
// the step-down stops at the first failure (0.03 > 0.025), so 0.04 is not
// rejected even though it is below 0.05.
func TestHolm(t *testing.T) {
	got := stats.Holm([]float64{0.04, 0.001, math.NaN(), 0.012, 0.03}, 0.05)
	want := []bool{false, true, false, true, false}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Holm = %v, want %v", got, want)
		}
	}
	iv := stats.Interval{Estimate: 0.1, Lo: 0.1 - 1.959963984540054*0.05, Hi: 0.1 + 1.959963984540054*0.05, Level: 0.95}
	if se := iv.SE(); math.Abs(se-0.05) > 1e-12 {
		t.Errorf("SE %v, want 0.05", se)
	}
	if p := iv.PAbove(); math.Abs(p-0.022750131948179) > 1e-12 { // 1 − Φ(2)
		t.Errorf("PAbove %v", p)
	}
}

// Benjamini–Hochberg at 0.05 over five p-values: the sorted p are 0.001, 0.012,
// 0.031, 0.039, 0.2 against thresholds 0.01, 0.02, 0.03, 0.04, 0.05. The largest
// rank under its threshold is the fourth (0.039 <= 0.04), so the four smallest
// are rejected although 0.031 exceeds its own threshold (step-up).
func TestBenjaminiHochberg(t *testing.T) {
	got := stats.BenjaminiHochberg([]float64{0.039, 0.001, 0.2, 0.031, 0.012}, 0.05)
	want := []bool{true, true, false, true, true}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("BH = %v, want %v", got, want)
		}
	}
}
