package erase

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Moments accumulates the first and second moments LEACE needs — the mean of x,
// the mean of the concept z (here the 0/1 label), Σxx and Σxz — one shard at a
// time, with the pairwise update of Chan et al. so that shards of any size merge
// exactly. The zero value is ready to use.
type Moments struct {
	N     float64
	MeanX []float64
	MeanZ float64
	Sxx   *mat.SymDense // Σ (x−μx)(x−μx)ᵀ, unnormalised
	Sxz   []float64     // Σ (x−μx)(z−μz), unnormalised
}

// Update adds the rows of X with concept labels y.
func (m *Moments) Update(X mat.Matrix, y []int) error {
	n, d := X.Dims()
	if m.MeanX != nil && d != len(m.MeanX) {
		return fmt.Errorf("erase: moments: shard has %d features, earlier shards %d: %w", d, len(m.MeanX), ErrInput)
	}
	if err := checkX(X, d); err != nil {
		return err
	}
	if len(y) != n {
		return fmt.Errorf("erase: moments: %d labels for %d rows: %w", len(y), n, ErrInput)
	}
	for i, v := range y {
		if v != 0 && v != 1 {
			return fmt.Errorf("erase: moments: label %d is %d, want 0 or 1: %w", i, v, ErrInput)
		}
	}
	if n == 0 {
		return nil
	}
	// Moments of the shard alone, then merge.
	s := Moments{N: float64(n), MeanX: make([]float64, d), Sxx: mat.NewSymDense(d, nil), Sxz: make([]float64, d)}
	row := make([]float64, d)
	for i := 0; i < n; i++ {
		mat.Row(row, i, X)
		for j, v := range row {
			s.MeanX[j] += v
		}
		s.MeanZ += float64(y[i])
	}
	for j := range s.MeanX {
		s.MeanX[j] /= s.N
	}
	s.MeanZ /= s.N
	xc := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		mat.Row(row, i, X)
		zc := float64(y[i]) - s.MeanZ
		for j, v := range row {
			xc.Set(i, j, v-s.MeanX[j])
			s.Sxz[j] += (v - s.MeanX[j]) * zc
		}
	}
	s.Sxx.SymOuterK(1, xc.T())
	m.Merge(&s)
	return nil
}

// Merge adds the moments of another set of rows.
func (m *Moments) Merge(o *Moments) {
	if o.N == 0 {
		return
	}
	if m.N == 0 {
		d := len(o.MeanX)
		m.N, m.MeanX, m.MeanZ = o.N, append([]float64(nil), o.MeanX...), o.MeanZ
		m.Sxx = mat.NewSymDense(d, nil)
		m.Sxx.CopySym(o.Sxx)
		m.Sxz = append([]float64(nil), o.Sxz...)
		return
	}
	d := len(m.MeanX)
	n := m.N + o.N
	f := m.N * o.N / n
	dx := make([]float64, d)
	for j := range dx {
		dx[j] = o.MeanX[j] - m.MeanX[j]
	}
	dz := o.MeanZ - m.MeanZ
	m.Sxx.AddSym(m.Sxx, o.Sxx)
	m.Sxx.SymRankOne(m.Sxx, f, mat.NewVecDense(d, dx))
	for j := range m.Sxz {
		m.Sxz[j] += o.Sxz[j] + f*dx[j]*dz
		m.MeanX[j] += dx[j] * o.N / n
	}
	m.MeanZ += dz * o.N / n
	m.N = n
}

// LEACEParams configure a LEACE fit. The zero value is the exact eraser of
// Belrose et al.
type LEACEParams struct {
	// Tol is the relative eigenvalue threshold below which directions of Σxx
	// count as null (their whitening is 0). 0 means d·ε·λmax, as numpy's rank.
	Tol float64 `json:"tol"`
}

// Fit fits LEACE on X with binary concept labels y.
func (p LEACEParams) Fit(X mat.Matrix, y []int) (*LEACE, error) {
	n, _ := X.Dims()
	if err := checkLabels(y, n); err != nil {
		return nil, err
	}
	var m Moments
	if err := m.Update(X, y); err != nil {
		return nil, err
	}
	return p.FitMoments(&m)
}

// FitMoments computes LEACE from accumulated moments:
//
//	W = (Σxx^{1/2})⁺,  u = W Σxz / ‖W Σxz‖,  P = W⁺ u uᵀ W,  x' = x − P(x − μ).
//
// Following Belrose et al. (2023, Theorem 4.1 and their reference code), Σxx is
// eigendecomposed, eigenvalues at most Tol are treated as zero in both W and W⁺,
// and the concept (one 0/1 column) gives rank 1.
func (p LEACEParams) FitMoments(m *Moments) (*LEACE, error) {
	if m.N < 2 {
		return nil, fmt.Errorf("erase: LEACE: %v rows: need at least 2: %w", m.N, ErrInput)
	}
	d := len(m.MeanX)
	var eig mat.EigenSym
	cov := mat.NewSymDense(d, nil)
	cov.ScaleSym(1/m.N, m.Sxx)
	if !eig.Factorize(cov, true) {
		return nil, fmt.Errorf("erase: LEACE: eigendecomposition of Σxx failed")
	}
	lam := eig.Values(nil)
	var v mat.Dense
	eig.VectorsTo(&v)
	maxL := 0.0
	for _, l := range lam {
		maxL = math.Max(maxL, l)
	}
	tol := p.Tol
	if tol == 0 {
		tol = float64(d) * 2.220446049250313e-16 * maxL
	}
	isq, sq := make([]float64, d), make([]float64, d)
	for k, l := range lam {
		if l > tol {
			isq[k], sq[k] = 1/math.Sqrt(l), math.Sqrt(l)
		}
	}
	w := scaledGram(&v, isq)   // V diag(λ^{-1/2}) Vᵀ
	winv := scaledGram(&v, sq) // V diag(λ^{1/2}) Vᵀ
	sxz := mat.NewVecDense(d, nil)
	for j := range m.Sxz {
		sxz.SetVec(j, m.Sxz[j]/m.N)
	}
	var u mat.VecDense
	u.MulVec(w, sxz)
	un := mat.Norm(&u, 2)
	if un == 0 || un < 1e-12*math.Sqrt(maxL) {
		return nil, fmt.Errorf("erase: LEACE: x and the concept are uncorrelated (‖WΣxz‖ = %.3g): nothing to erase: %w", un, ErrInput)
	}
	u.ScaleVec(1/un, &u)
	var left, right mat.VecDense
	left.MulVec(winv, &u)   // W⁺u
	right.MulVec(w.T(), &u) // Wᵀu = W u (W symmetric)
	P := mat.NewDense(d, d, nil)
	P.Outer(1, &left, &right)
	// range(P) = span(W⁺u).
	b := mat.NewDense(1, d, nil)
	ln := mat.Norm(&left, 2)
	for j := 0; j < d; j++ {
		b.Set(0, j, left.AtVec(j)/ln)
	}
	return &LEACE{Mean: append([]float64(nil), m.MeanX...), P: P, B: b}, nil
}

// scaledGram returns V diag(s) Vᵀ.
func scaledGram(v *mat.Dense, s []float64) *mat.Dense {
	d, _ := v.Dims()
	vs := mat.DenseCopyOf(v)
	for k := range s {
		for i := 0; i < d; i++ {
			vs.Set(i, k, vs.At(i, k)*s[k])
		}
	}
	out := mat.NewDense(d, d, nil)
	out.Mul(vs, v.T())
	return out
}
