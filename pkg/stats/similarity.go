package stats

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// centered returns a copy of x with each column's mean subtracted.
func centered(x mat.Matrix) *mat.Dense {
	r, c := x.Dims()
	out := mat.DenseCopyOf(x)
	col := make([]float64, r)
	for j := 0; j < c; j++ {
		mat.Col(col, j, out)
		m := stat.Mean(col, nil)
		for i := 0; i < r; i++ {
			out.Set(i, j, col[i]-m)
		}
	}
	return out
}

func checkPair(name string, x, y mat.Matrix) error {
	rx, cx := x.Dims()
	ry, cy := y.Dims()
	if rx != ry {
		return fmt.Errorf("stats: %s: x has %d rows but y has %d: rows must be the same examples", name, rx, ry)
	}
	if rx < 2 || cx == 0 || cy == 0 {
		return fmt.Errorf("stats: %s: shapes %dx%d and %dx%d: %w", name, rx, cx, ry, cy, ErrDegenerate)
	}
	for _, m := range []mat.Matrix{x, y} {
		r, c := m.Dims()
		for i := 0; i < r; i++ {
			for j := 0; j < c; j++ {
				if v := m.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
					return fmt.Errorf("stats: %s: element (%d,%d) is %v", name, i, j, v)
				}
			}
		}
	}
	return nil
}

// LinearCKA returns linear centred kernel alignment between two representations of
// the same n examples (rows): ‖YcᵀXc‖²_F / (‖XcᵀXc‖_F ‖YcᵀYc‖_F), with Xc, Yc the
// column-centred matrices (Kornblith et al. 2019, eq. 5). It lies in [0, 1], is 1
// for representations equal up to an orthogonal transform, isotropic scaling and
// translation, and (unlike CCA) is not invariant to general invertible linear maps.
func LinearCKA(x, y mat.Matrix) (float64, error) {
	if err := checkPair("LinearCKA", x, y); err != nil {
		return 0, err
	}
	xc, yc := centered(x), centered(y)
	var yx, xx, yy mat.Dense
	yx.Mul(yc.T(), xc)
	xx.Mul(xc.T(), xc)
	yy.Mul(yc.T(), yc)
	nx, ny := mat.Norm(&xx, 2), mat.Norm(&yy, 2)
	if nx == 0 || ny == 0 {
		return 0, fmt.Errorf("stats: LinearCKA: a representation is constant: %w", ErrDegenerate)
	}
	nyx := mat.Norm(&yx, 2)
	return nyx * nyx / (nx * ny), nil
}

// thinQ returns the n×d orthonormal factor of the thin QR of x, or an error
// wrapping ErrDegenerate when x is rank deficient.
func thinQ(x *mat.Dense) (*mat.Dense, error) {
	n, d := x.Dims()
	var qr mat.QR
	qr.Factorize(x)
	var r mat.Dense
	qr.RTo(&r)
	var maxR float64
	for j := 0; j < d; j++ {
		maxR = math.Max(maxR, math.Abs(r.At(j, j)))
	}
	for j := 0; j < d; j++ {
		if math.Abs(r.At(j, j)) <= 1e-10*maxR {
			return nil, fmt.Errorf("stats: PWCCA: columns are linearly dependent (rank < %d): %w", d, ErrDegenerate)
		}
	}
	var q mat.Dense
	qr.QTo(&q)
	return mat.DenseCopyOf(q.Slice(0, n, 0, d)), nil
}

// PWCCA returns projection-weighted canonical correlation (Morcos et al. 2018)
// between two representations of the same n examples, together with the canonical
// correlations ρ and their weights α (summing to 1).
//
// The side with fewer columns (x on a tie) is the one whose canonical variates are
// weighted: with Xc its centred matrix and H = Xc A its k = min(dx, dy) canonical
// variates (orthonormal, from the QR/SVD form of CCA), the weight of variate i is
// α̃_i = Σ_j |⟨H_i, Xc_j⟩| over the columns j of Xc, α = α̃ / Σα̃ and
// PWCCA = Σ_i α_i ρ_i. (The reference code of Morcos et al. weights with the
// uncentred activations; centring makes PWCCA translation invariant.) It needs
// n > dx + dy (CCA on fewer rows overfits to 1) and full-rank columns; otherwise it
// returns an error wrapping ErrDegenerate.
func PWCCA(x, y mat.Matrix) (sim float64, rho, alpha []float64, err error) {
	if err := checkPair("PWCCA", x, y); err != nil {
		return 0, nil, nil, err
	}
	n, dx := x.Dims()
	_, dy := y.Dims()
	if n <= dx+dy {
		return 0, nil, nil, fmt.Errorf("stats: PWCCA: %d rows for %d+%d columns: need more rows than columns: %w", n, dx, dy, ErrDegenerate)
	}
	a, b := x, y
	if dy < dx {
		a, b = y, x
	}
	// CCA by QR and SVD (Björck & Golub): with Xc = Qa Ra and Yc = Qb Rb, the
	// singular values of QaᵀQb are the canonical correlations and Qa U are the
	// (orthonormal) canonical variates of a.
	ac, bc := centered(a), centered(b)
	qa, err := thinQ(ac)
	if err != nil {
		return 0, nil, nil, err
	}
	qb, err := thinQ(bc)
	if err != nil {
		return 0, nil, nil, err
	}
	var m mat.Dense
	m.Mul(qa.T(), qb)
	var svd mat.SVD
	if !svd.Factorize(&m, mat.SVDThin) {
		return 0, nil, nil, fmt.Errorf("stats: PWCCA: SVD failed: %w", ErrDegenerate)
	}
	rho = svd.Values(nil)
	k := len(rho)
	var u mat.Dense
	svd.UTo(&u)
	var h mat.Dense
	h.Mul(qa, u.Slice(0, u.RawMatrix().Rows, 0, k))
	var proj mat.Dense
	proj.Mul(h.T(), ac) // [k, da]
	alpha = make([]float64, k)
	var total float64
	for i := 0; i < k; i++ {
		for j := 0; j < proj.RawMatrix().Cols; j++ {
			alpha[i] += math.Abs(proj.At(i, j))
		}
		total += alpha[i]
	}
	if total == 0 {
		return 0, nil, nil, fmt.Errorf("stats: PWCCA: all weights zero: %w", ErrDegenerate)
	}
	for i := range alpha {
		alpha[i] /= total
		sim += alpha[i] * rho[i]
	}
	return sim, rho, alpha, nil
}
