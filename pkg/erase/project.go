package erase

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ifprobe/ifprobe/pkg/probe"
	"gonum.org/v1/gonum/mat"
)

// INLPParams configure iterative nullspace projection (Ravfogel et al. 2020) with
// the logistic probes of pkg/probe. Zero fields take the documented defaults.
type INLPParams struct {
	// Probe are the probe parameters; the zero value means probe.DefaultParams().
	Probe probe.Params `json:"probe"`
	// MaxIter bounds the number of removed directions. 0 means min(20, d).
	MaxIter int `json:"max_iter"`
	// HoldOut is the fraction of rows (stratified, seeded by Seed) kept out of
	// each probe fit to measure its accuracy. 0 means 0.3.
	HoldOut float64 `json:"hold_out"`
	// Margin: stop once the held-out accuracy is at most the majority-class rate
	// of the held-out rows plus Margin. 0 means 0.01.
	Margin float64 `json:"margin"`
	// Seed drives the train/held-out split.
	Seed uint64 `json:"seed"`
}

// INLPReport is the record of an INLP fit.
type INLPReport struct {
	// HeldOutAccuracy[i] is the held-out accuracy of the probe fitted after i
	// directions were removed; the last entry is the probe that met the stopping
	// rule (or the one after MaxIter removals).
	HeldOutAccuracy []float64 `json:"held_out_accuracy"`
	Chance          float64   `json:"chance"`     // majority-class rate of the held-out rows
	Iterations      int       `json:"iterations"` // directions removed
	Reason          string    `json:"reason"`     // why it stopped
}

// Fit runs INLP on X with labels y and returns the projection onto the nullspace
// of all removed directions. Each removed direction is the probe direction
// (in the original feature space) re-orthogonalised against those already removed.
func (p INLPParams) Fit(X mat.Matrix, y []int) (*Projection, error) {
	if p.Probe == (probe.Params{}) {
		p.Probe = probe.DefaultParams()
	}
	n, d := X.Dims()
	if p.MaxIter == 0 {
		p.MaxIter = min(20, d)
	}
	if p.HoldOut == 0 {
		p.HoldOut = 0.3
	}
	if p.Margin == 0 {
		p.Margin = 0.01
	}
	if p.MaxIter < 0 || p.MaxIter > d || !(p.HoldOut > 0 && p.HoldOut < 1) || p.Margin < 0 {
		return nil, fmt.Errorf("erase: INLP: MaxIter %d, HoldOut %v, Margin %v: want 0 < MaxIter <= d = %d, 0 < HoldOut < 1, Margin >= 0", p.MaxIter, p.HoldOut, p.Margin, d)
	}
	if err := checkX(X, d); err != nil {
		return nil, err
	}
	if err := checkLabels(y, n); err != nil {
		return nil, err
	}
	trainIdx, testIdx := stratifiedSplit(y, p.HoldOut, p.Seed)
	xtr, ytr := rowsOf(X, y, trainIdx)
	xte, yte := rowsOf(X, y, testIdx)
	var pos int
	for _, v := range yte {
		pos += v
	}
	rep := &INLPReport{Chance: math.Max(float64(pos), float64(len(yte)-pos)) / float64(len(yte))}
	var basis [][]float64
	proj := &Projection{Kind: KindINLP, D: d, INLP: rep}
	for {
		proj.B = rowsToDense(basis, d)
		a, _ := proj.Apply(xtr)
		b, _ := proj.Apply(xte)
		pr, err := p.Probe.Fit(a, ytr)
		var ce *probe.ConvergenceError
		if err != nil && !errors.As(err, &ce) {
			return nil, fmt.Errorf("erase: INLP iteration %d: %w", len(basis), err)
		}
		acc, err := pr.Score(b, yte)
		if err != nil {
			return nil, fmt.Errorf("erase: INLP iteration %d: %w", len(basis), err)
		}
		rep.HeldOutAccuracy = append(rep.HeldOutAccuracy, acc)
		if acc <= rep.Chance+p.Margin {
			rep.Reason = fmt.Sprintf("held-out accuracy %.4f within %.4f of chance %.4f", acc, p.Margin, rep.Chance)
			break
		}
		if len(basis) == p.MaxIter {
			rep.Reason = fmt.Sprintf("MaxIter = %d directions removed", p.MaxIter)
			break
		}
		dir := orthogonalise(pr.Coef(), basis)
		if dir == nil {
			rep.Reason = "probe direction lies in the removed subspace"
			break
		}
		basis = append(basis, dir)
	}
	rep.Iterations = len(basis)
	proj.B = rowsToDense(basis, d)
	return proj, nil
}

// MeanDiffParams configure the mean-difference eraser: it removes the unit
// direction μ₁ − μ₀ between the class means. It has no parameters.
type MeanDiffParams struct{}

// Fit returns the rank-1 projection removing μ₁ − μ₀.
func (MeanDiffParams) Fit(X mat.Matrix, y []int) (*Projection, error) {
	n, d := X.Dims()
	if err := checkX(X, d); err != nil {
		return nil, err
	}
	if err := checkLabels(y, n); err != nil {
		return nil, err
	}
	diff := make([]float64, d)
	var n1, n0 float64
	for i := 0; i < n; i++ {
		if y[i] == 1 {
			n1++
		} else {
			n0++
		}
	}
	for i := 0; i < n; i++ {
		w := -1 / n0
		if y[i] == 1 {
			w = 1 / n1
		}
		for j := 0; j < d; j++ {
			diff[j] += w * X.At(i, j)
		}
	}
	dir := orthogonalise(diff, nil)
	if dir == nil {
		return nil, fmt.Errorf("erase: mean difference: the class means are equal: %w", ErrInput)
	}
	return &Projection{Kind: KindMeanDiff, D: d, B: rowsToDense([][]float64{dir}, d)}, nil
}

// RandomParams configure a random-subspace control: Rank directions drawn
// uniformly (orthonormalised Gaussian vectors) from Seed. Match Rank to the eraser
// being controlled (e.g. Rank: inlp.Rank()).
type RandomParams struct {
	Rank int    `json:"rank"` // 0 means 1
	Seed uint64 `json:"seed"`
}

// Fit returns a random projection of the configured rank for the width of X; X
// and y are only checked (the subspace does not depend on the data).
func (p RandomParams) Fit(X mat.Matrix, y []int) (*Projection, error) {
	n, d := X.Dims()
	if err := checkX(X, d); err != nil {
		return nil, err
	}
	if len(y) != n {
		return nil, fmt.Errorf("erase: random: %d labels for %d rows: %w", len(y), n, ErrInput)
	}
	return p.ForDim(d)
}

// ForDim returns a random projection of the configured rank in dimension d.
func (p RandomParams) ForDim(d int) (*Projection, error) {
	k := p.Rank
	if k == 0 {
		k = 1
	}
	if k < 0 || k > d {
		return nil, fmt.Errorf("erase: random: rank %d for dimension %d", k, d)
	}
	rng := rand.New(rand.NewPCG(p.Seed, 0xa11d))
	var basis [][]float64
	for len(basis) < k {
		v := make([]float64, d)
		for j := range v {
			v[j] = rng.NormFloat64()
		}
		if u := orthogonalise(v, basis); u != nil {
			basis = append(basis, u)
		}
	}
	return &Projection{Kind: KindRandom, D: d, B: rowsToDense(basis, d)}, nil
}

// orthogonalise returns v minus its components along the orthonormal rows of
// basis (twice, for stability), normalised; nil if nothing is left.
func orthogonalise(v []float64, basis [][]float64) []float64 {
	u := append([]float64(nil), v...)
	var n0 float64
	for _, x := range u {
		n0 += x * x
	}
	for pass := 0; pass < 2; pass++ {
		for _, b := range basis {
			var c float64
			for j := range u {
				c += u[j] * b[j]
			}
			for j := range u {
				u[j] -= c * b[j]
			}
		}
	}
	var n float64
	for _, x := range u {
		n += x * x
	}
	if n == 0 || n < 1e-20*n0 {
		return nil
	}
	n = math.Sqrt(n)
	for j := range u {
		u[j] /= n
	}
	return u
}

func rowsToDense(rows [][]float64, d int) *mat.Dense {
	if len(rows) == 0 {
		return nil
	}
	out := mat.NewDense(len(rows), d, nil)
	for i, r := range rows {
		out.SetRow(i, r)
	}
	return out
}

// stratifiedSplit puts a fraction hold of each class's rows (shuffled by seed)
// in the held-out set.
func stratifiedSplit(y []int, hold float64, seed uint64) (train, test []int) {
	rng := rand.New(rand.NewPCG(seed, 0x5b1))
	for c := 0; c <= 1; c++ {
		var idx []int
		for i, v := range y {
			if v == c {
				idx = append(idx, i)
			}
		}
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		k := int(math.Round(hold * float64(len(idx))))
		k = max(1, min(k, len(idx)-1))
		test = append(test, idx[:k]...)
		train = append(train, idx[k:]...)
	}
	return train, test
}

func rowsOf(X mat.Matrix, y []int, idx []int) (*mat.Dense, []int) {
	_, d := X.Dims()
	out := mat.NewDense(len(idx), d, nil)
	ys := make([]int, len(idx))
	row := make([]float64, d)
	for k, i := range idx {
		mat.Row(row, i, X)
		out.SetRow(k, row)
		ys[k] = y[i]
	}
	return out, ys
}
