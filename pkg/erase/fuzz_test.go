package erase_test

import (
	"bytes"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/erase"
	"github.com/ifprobe/ifprobe/pkg/probe/probetest"
)

// Load reads untrusted files: it must return an error, never panic, and whatever it
// accepts must be usable.
func FuzzLoad(f *testing.F) {
	X, y, _ := probetest.Planted(40, 3, 0.5, 1)
	for _, fit := range []func() (erase.Eraser, error){
		func() (erase.Eraser, error) { return erase.LEACEParams{}.Fit(X, y) },
		func() (erase.Eraser, error) { return erase.MeanDiffParams{}.Fit(X, y) },
		func() (erase.Eraser, error) { return erase.INLPParams{MaxIter: 2}.Fit(X, y) },
	} {
		e, err := fit()
		if err != nil {
			f.Fatal(err)
		}
		var buf bytes.Buffer
		if err := e.Save(&buf); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Add([]byte(`{"format":"ifprobe.erase/v1","kind":"random","d":4294967296,"k":4294967296,"basis":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := erase.Load(bytes.NewReader(data))
		if err != nil {
			return
		}
		A, c := e.Affine()
		if r, _ := A.Dims(); r != len(c) {
			t.Fatalf("affine map %d rows, bias %d", r, len(c))
		}
		_ = e.Basis()
		_ = e.Rank()
	})
}
