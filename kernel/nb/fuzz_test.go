package nb

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadEntry: a cache file with any content decodes or gives an error, never a
// panic, for a raw-slice type and a gob type.
func FuzzReadEntry(f *testing.F) {
	dir := f.TempDir()
	f.Setenv(EnvCacheDir, dir)
	f.Setenv(EnvCache, "")
	if _, err := Cache("seed-f32", func() ([]float32, error) { return []float32{1, 2, 3}, nil }); err != nil {
		f.Fatal(err)
	}
	if _, err := Cache("seed-res", func() (result, error) { return result{Layer: 2, AUROC: []float64{0.5}}, nil }); err != nil {
		f.Fatal(err)
	}
	for _, k := range []string{"seed-f32", "seed-res"} {
		b, err := os.ReadFile(filepath.Join(dir, k+".gob"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "e.gob")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		readEntry[[]float32](p, "seed-f32", "[]float32")
		readEntry[result](p, "seed-res", "nb.result")
	})
}
