package probetest

import (
	"bytes"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// Estimator is an unfitted estimator (its parameters).
type Estimator interface {
	Fit(X mat.Matrix, y []int) (Model, error)
}

// Model is a fitted estimator. Outputs returns its per-row outputs on X as an
// [n, k] matrix: decision values for a probe, transformed rows for an eraser.
type Model interface {
	Outputs(X mat.Matrix) (*mat.Dense, error)
	Save(w io.Writer) error
}

// Planted returns n examples of d standard-normal features whose label is 1 when
// the projection on a planted unit direction, plus noise of standard deviation
// noise, is positive. The direction is returned; everything comes from seed.
func Planted(n, d int, noise float64, seed uint64) (X *mat.Dense, y []int, dir []float64) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	dir = make([]float64, d)
	var norm float64
	for j := range dir {
		dir[j] = rng.NormFloat64()
		norm += dir[j] * dir[j]
	}
	for j := range dir {
		dir[j] /= math.Sqrt(norm)
	}
	X = mat.NewDense(n, d, nil)
	y = make([]int, n)
	for i := 0; i < n; i++ {
		var s float64
		for j := 0; j < d; j++ {
			v := rng.NormFloat64()
			X.Set(i, j, v)
			s += v * dir[j]
		}
		if s+noise*rng.NormFloat64() > 0 {
			y[i] = 1
		}
	}
	return X, y, dir
}

// Check runs the estimator checks on the estimators newParams(seed) returns, using
// load to read back what Model.Save wrote.
func Check(t *testing.T, newParams func(seed uint64) Estimator, load func(io.Reader) (Model, error)) {
	t.Helper()
	X, y, _ := Planted(120, 6, 0.5, 1)
	fit := func(t *testing.T, e Estimator) Model {
		t.Helper()
		m, err := e.Fit(X, y)
		if err != nil {
			t.Fatalf("Fit: %v", err)
		}
		return m
	}
	outputs := func(t *testing.T, m Model, X mat.Matrix) *mat.Dense {
		t.Helper()
		o, err := m.Outputs(X)
		if err != nil {
			t.Fatalf("Outputs: %v", err)
		}
		return o
	}
	t.Run("FitTwiceSameModel", func(t *testing.T) {
		e := newParams(7)
		a, b := outputs(t, fit(t, e), X), outputs(t, fit(t, e), X)
		if !mat.Equal(a, b) {
			t.Errorf("two fits of the same estimator differ")
		}
	})
	t.Run("InputsUntouched", func(t *testing.T) {
		xc, yc := mat.DenseCopyOf(X), append([]int(nil), y...)
		m := fit(t, newParams(7))
		outputs(t, m, X)
		if !mat.Equal(X, xc) {
			t.Errorf("Fit or Outputs modified X")
		}
		for i := range y {
			if y[i] != yc[i] {
				t.Fatalf("Fit modified y[%d]", i)
			}
		}
	})
	t.Run("SeedDeterministic", func(t *testing.T) {
		a, b := outputs(t, fit(t, newParams(42)), X), outputs(t, fit(t, newParams(42)), X)
		if !mat.Equal(a, b) {
			t.Errorf("same seed, different models")
		}
	})
	t.Run("BatchEqualsRowByRow", func(t *testing.T) {
		m := fit(t, newParams(7))
		all := outputs(t, m, X)
		const tol = 1e-12 // only summation order may differ
		n, d := X.Dims()
		for i := 0; i < n; i++ {
			row := outputs(t, m, X.Slice(i, i+1, 0, d))
			if !mat.EqualApprox(row, all.Slice(i, i+1, 0, all.RawMatrix().Cols), tol) {
				t.Fatalf("row %d: batch output differs from single-row output", i)
			}
		}
	})
	t.Run("OneSample", func(t *testing.T) {
		_, d := X.Dims()
		o := outputs(t, fit(t, newParams(7)), X.Slice(0, 1, 0, d))
		if r, _ := o.Dims(); r != 1 {
			t.Errorf("one-row input gave %d output rows", r)
		}
	})
	t.Run("RejectsNaN", func(t *testing.T) {
		bad := mat.DenseCopyOf(X)
		bad.Set(3, 2, math.NaN())
		if _, err := newParams(7).Fit(bad, y); err == nil || !strings.Contains(err.Error(), "NaN") {
			t.Errorf("Fit with NaN: err = %v, want an error naming NaN", err)
		}
		m := fit(t, newParams(7))
		if _, err := m.Outputs(bad); err == nil || !strings.Contains(err.Error(), "NaN") {
			t.Errorf("Outputs with NaN: err = %v, want an error naming NaN", err)
		}
	})
	t.Run("RejectsWrongWidth", func(t *testing.T) {
		m := fit(t, newParams(7))
		n, d := X.Dims()
		if _, err := m.Outputs(X.Slice(0, n, 0, d-1)); err == nil {
			t.Errorf("Outputs on %d features of a model fitted on %d: no error", d-1, d)
		}
	})
	t.Run("SaveLoadRoundTrip", func(t *testing.T) {
		m := fit(t, newParams(7))
		var buf bytes.Buffer
		if err := m.Save(&buf); err != nil {
			t.Fatalf("Save: %v", err)
		}
		m2, err := load(&buf)
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if !mat.Equal(outputs(t, m, X), outputs(t, m2, X)) {
			t.Errorf("loaded model gives different outputs")
		}
		if _, err := load(strings.NewReader(`{"format":"nope"}`)); err == nil {
			t.Errorf("Load accepted a wrong format stamp")
		}
	})
}
