package erase

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/ifprobe/ifprobe/internal/limitread"
	"github.com/ifprobe/ifprobe/pkg/stats"

	"gonum.org/v1/gonum/mat"
)

// ErrInput is wrapped by errors about invalid data: NaN or infinite features,
// labels other than 0/1, wrong widths.
var ErrInput = errors.New("erase: invalid input")

// Eraser is a fitted concept eraser.
type Eraser interface {
	// Apply returns an erased copy of the rows of X ([n, d]).
	Apply(X mat.Matrix) (*mat.Dense, error)
	// Rank is the dimension of the subspace the eraser acts on.
	Rank() int
	// Basis returns orthonormal rows [Rank, d] spanning that subspace.
	Basis() *mat.Dense
	// Affine returns A [d, d] and c [d] with Apply(x) = A x + c.
	Affine() (A *mat.Dense, c []float64)
	// Save writes the eraser as versioned JSON; Load reads it back.
	Save(w io.Writer) error
}

// Kinds of erasers, as saved.
const (
	KindINLP     = "inlp"
	KindLEACE    = "leace"
	KindMeanDiff = "mean-diff"
	KindRandom   = "random"
)

// Projection is an orthogonal eraser x' = x − BᵀB x that removes the span of the
// orthonormal rows of B: the result of INLP, MeanDiff and Random.
type Projection struct {
	Kind string
	D    int        // feature dimension
	B    *mat.Dense // [k, d], orthonormal rows; nil when nothing is removed (k = 0)
	// INLP is the per-iteration record of an INLP fit (nil for other kinds).
	INLP *INLPReport
}

// Rank is the number of removed directions.
func (p *Projection) Rank() int {
	if p.B == nil {
		return 0
	}
	r, _ := p.B.Dims()
	return r
}

// Dim is the feature dimension.
func (p *Projection) Dim() int { return p.D }

// Basis returns a copy of the removed directions, nil when the rank is 0.
func (p *Projection) Basis() *mat.Dense {
	if p.B == nil {
		return nil
	}
	return mat.DenseCopyOf(p.B)
}

// Affine returns I − BᵀB and a zero bias.
func (p *Projection) Affine() (*mat.Dense, []float64) {
	d := p.Dim()
	a := mat.NewDense(d, d, nil)
	if p.B != nil {
		a.Mul(p.B.T(), p.B)
		a.Scale(-1, a)
	}
	for j := 0; j < d; j++ {
		a.Set(j, j, a.At(j, j)+1)
	}
	return a, make([]float64, d)
}

// Apply returns X − (X Bᵀ) B.
func (p *Projection) Apply(X mat.Matrix) (*mat.Dense, error) {
	if err := checkX(X, p.Dim()); err != nil {
		return nil, err
	}
	out := mat.DenseCopyOf(X)
	if p.Rank() == 0 {
		return out, nil
	}
	var xb, proj mat.Dense
	xb.Mul(X, p.B.T())
	proj.Mul(&xb, p.B)
	out.Sub(out, &proj)
	return out, nil
}

// LEACE is the least-squares concept eraser of Belrose et al. (2023):
// x' = x − P(x − μ), P = W⁺ P_{WΣxz} W.
type LEACE struct {
	Mean []float64  // μ, the mean of x
	P    *mat.Dense // [d, d], the oblique projection
	B    *mat.Dense // [k, d], orthonormal basis of range(P)
}

// Rank is the rank of P (1 for a binary concept).
func (l *LEACE) Rank() int { r, _ := l.B.Dims(); return r }

// Basis returns an orthonormal basis of range(P), the directions along which
// LEACE moves points.
func (l *LEACE) Basis() *mat.Dense { return mat.DenseCopyOf(l.B) }

// Affine returns A = I − P and c = Pμ.
func (l *LEACE) Affine() (*mat.Dense, []float64) {
	d := len(l.Mean)
	a := mat.NewDense(d, d, nil)
	a.Scale(-1, l.P)
	for j := 0; j < d; j++ {
		a.Set(j, j, a.At(j, j)+1)
	}
	var c mat.VecDense
	c.MulVec(l.P, mat.NewVecDense(d, append([]float64(nil), l.Mean...)))
	return a, c.RawVector().Data
}

// Apply returns X − (X − μ)Pᵀ.
func (l *LEACE) Apply(X mat.Matrix) (*mat.Dense, error) {
	d := len(l.Mean)
	if err := checkX(X, d); err != nil {
		return nil, err
	}
	n, _ := X.Dims()
	xc := mat.DenseCopyOf(X)
	for i := 0; i < n; i++ {
		row := xc.RawRowView(i)
		for j := range row {
			row[j] -= l.Mean[j]
		}
	}
	var delta mat.Dense
	delta.Mul(xc, l.P.T())
	out := mat.DenseCopyOf(X)
	out.Sub(out, &delta)
	return out, nil
}

// FormatVersion stamps saved erasers.
const FormatVersion = "ifprobe.erase/v1"

type saved struct {
	Format string      `json:"format"`
	Kind   string      `json:"kind"`
	D      int         `json:"d"`
	K      int         `json:"k"`
	B      []float64   `json:"basis"`          // [k, d] row-major
	P      []float64   `json:"p,omitempty"`    // LEACE [d, d]
	Mean   []float64   `json:"mean,omitempty"` // LEACE
	INLP   *INLPReport `json:"inlp,omitempty"`
}

// Save writes the projection as JSON stamped with FormatVersion.
func (p *Projection) Save(w io.Writer) error {
	var b []float64
	if p.B != nil {
		b = flat(p.B)
	}
	return save(w, saved{Format: FormatVersion, Kind: p.Kind, D: p.D, K: p.Rank(), B: b, INLP: p.INLP})
}

// Save writes the LEACE eraser as JSON stamped with FormatVersion.
func (l *LEACE) Save(w io.Writer) error {
	k, d := l.B.Dims()
	return save(w, saved{Format: FormatVersion, Kind: KindLEACE, D: d, K: k, B: flat(l.B), P: flat(l.P), Mean: l.Mean})
}

func save(w io.Writer, s saved) error {
	if err := json.NewEncoder(w).Encode(s); err != nil {
		return fmt.Errorf("erase: save: %w", err)
	}
	return nil
}

func flat(m *mat.Dense) []float64 {
	r, c := m.Dims()
	out := make([]float64, 0, r*c)
	for i := 0; i < r; i++ {
		out = append(out, m.RawRowView(i)...)
	}
	return out
}

// maxSavedBytes bounds Load: a d = 4096 LEACE matrix is about 400 MB of JSON; we
// allow up to d ≈ 2900.
const maxSavedBytes = 256 << 20

// Load reads an eraser written by Save, checking version, kind, shapes and values.
func Load(r io.Reader) (Eraser, error) {
	data, err := limitread.All(r, maxSavedBytes)
	if err != nil {
		return nil, fmt.Errorf("erase: load: %w", err)
	}
	var s saved
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("erase: load: %w", err)
	}
	if s.Format != FormatVersion {
		return nil, fmt.Errorf("erase: load: format %q, want %q", s.Format, FormatVersion)
	}
	// Every value takes at least one byte of JSON, so d is bounded by the input
	// size and k·d, d·d cannot overflow.
	if s.D <= 0 || s.D > len(data) || s.K < 0 || s.K > s.D || len(s.B) != s.K*s.D {
		return nil, fmt.Errorf("erase: load: basis has %d values for k=%d, d=%d", len(s.B), s.K, s.D)
	}
	for i, v := range append(append(append([]float64(nil), s.B...), s.P...), s.Mean...) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("erase: load: value %d is %v", i, v)
		}
	}
	var b *mat.Dense
	if s.K > 0 {
		b = mat.NewDense(s.K, s.D, s.B)
	}
	switch s.Kind {
	case KindINLP, KindMeanDiff, KindRandom:
		return &Projection{Kind: s.Kind, D: s.D, B: b, INLP: s.INLP}, nil
	case KindLEACE:
		if len(s.P) != s.D*s.D || len(s.Mean) != s.D || s.K == 0 {
			return nil, fmt.Errorf("erase: load: LEACE with %d values of P and %d of the mean for d=%d", len(s.P), len(s.Mean), s.D)
		}
		return &LEACE{Mean: s.Mean, P: mat.NewDense(s.D, s.D, s.P), B: b}, nil
	default:
		return nil, fmt.Errorf("erase: load: unknown kind %q", s.Kind)
	}
}

func checkX(X mat.Matrix, d int) error {
	n, dx := X.Dims()
	if dx != d {
		return fmt.Errorf("erase: X has %d features, the eraser was fitted on %d: %w", dx, d, ErrInput)
	}
	for i := 0; i < n; i++ {
		for j := 0; j < dx; j++ {
			if v := X.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("erase: X[%d,%d] is %v (NaN or infinite features are not allowed): %w", i, j, v, ErrInput)
			}
		}
	}
	return nil
}

func checkLabels(y []int, n int) error {
	if err := stats.CheckBinaryLabels(y, n, true); err != nil {
		return fmt.Errorf("erase: %w: %w", err, ErrInput)
	}
	return nil
}
