package nb

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type result struct {
	Layer int
	AUROC []float64
}

// useHome points IFPROBE_HOME at a fresh directory.
func useHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv(EnvHome, home)
	t.Setenv(EnvCache, "")
	t.Setenv(EnvCacheDir, "")
	return home
}

func TestCacheComputesOnceThenReads(t *testing.T) {
	home := useHome(t)
	calls := 0
	compute := func() (result, error) {
		calls++
		return result{Layer: 3, AUROC: []float64{0.5, 0.75}}, nil
	}
	a, err := Cache("probe-v1", compute)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Cache("probe-v1", compute)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Errorf("compute ran %d times, want 1", calls)
	}
	if b.Layer != 3 || len(b.AUROC) != 2 || b.AUROC[1] != 0.75 || a.Layer != b.Layer {
		t.Errorf("cached value %+v differs from computed %+v", b, a)
	}
	if _, err := os.Stat(filepath.Join(home, "nbcache", "probe-v1.gob")); err != nil {
		t.Errorf("entry not under $IFPROBE_HOME/nbcache: %v", err)
	}
	if CacheDir() != filepath.Join(home, "nbcache") {
		t.Errorf("CacheDir() = %q", CacheDir())
	}
	dir := t.TempDir()
	t.Setenv(EnvCacheDir, dir)
	if CacheDir() != dir {
		t.Errorf("with $%s: CacheDir() = %q, want %q", EnvCacheDir, CacheDir(), dir)
	}
}

func TestCacheDoesNotStoreErrors(t *testing.T) {
	useHome(t)
	boom := errors.New("boom")
	if _, err := Cache("k", func() (int, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	v, err := Cache("k", func() (int, error) { return 7, nil })
	if err != nil || v != 7 {
		t.Errorf("after an error the next call must compute: got %v, %v", v, err)
	}
}

func TestCacheTypeChangeRecomputes(t *testing.T) {
	useHome(t)
	if _, err := Cache("k", func() (int, error) { return 1, nil }); err != nil {
		t.Fatal(err)
	}
	s, err := Cache("k", func() (string, error) { return "two", nil })
	if err != nil || s != "two" {
		t.Fatalf("entry of another type: got %q, %v; want a recompute", s, err)
	}
	// And the entry now holds the string.
	s, err = Cache("k", func() (string, error) { return "", errors.New("must not run") })
	if err != nil || s != "two" {
		t.Errorf("second read: %q, %v", s, err)
	}
}

func TestCacheCorruptEntryRecomputes(t *testing.T) {
	home := useHome(t)
	dir := filepath.Join(home, "nbcache")
	os.MkdirAll(dir, 0o755)
	for i, junk := range [][]byte{
		nil,                            // 0: empty file
		[]byte("not gob at all"),       // 1
		{0xff, 0xff, 0xff, 0xff, 0x7f}, // 2: a huge length prefix
	} {
		if err := os.WriteFile(filepath.Join(dir, "c.gob"), junk, 0o644); err != nil {
			t.Fatal(err)
		}
		v, err := Cache("c", func() (int, error) { return 42, nil })
		if err != nil || v != 42 {
			t.Errorf("case %d: got %v, %v; want a recompute to 42", i, v, err)
		}
	}
}

func TestCacheOff(t *testing.T) {
	home := useHome(t)
	t.Setenv(EnvCache, "off")
	calls := 0
	for i := 0; i < 2; i++ {
		Cache("off", func() (int, error) { calls++; return 1, nil })
	}
	if calls != 2 {
		t.Errorf("IFPROBE_NBCACHE=off: compute ran %d times, want 2", calls)
	}
	if _, err := os.Stat(filepath.Join(home, "nbcache", "off.gob")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("IFPROBE_NBCACHE=off wrote an entry")
	}
}

func TestCacheBadKeys(t *testing.T) {
	useHome(t)
	for i, key := range []string{"", "../escape", "a/b", ".hidden", "sp ace", strings.Repeat("k", 129)} {
		_, err := Cache(key, func() (int, error) { return 1, nil })
		if !errors.Is(err, ErrBadKey) {
			t.Errorf("case %d: key %q: err = %v, want ErrBadKey", i, key, err)
		}
		if err := CacheClear(key); !errors.Is(err, ErrBadKey) {
			t.Errorf("case %d: CacheClear(%q): err = %v, want ErrBadKey", i, key, err)
		}
	}
}

func TestCacheClear(t *testing.T) {
	useHome(t)
	Cache("gone", func() (int, error) { return 1, nil })
	if err := CacheClear("gone"); err != nil {
		t.Fatal(err)
	}
	if err := CacheClear("gone"); err != nil {
		t.Errorf("clearing a missing key: %v", err)
	}
	v, _ := Cache("gone", func() (int, error) { return 2, nil })
	if v != 2 {
		t.Errorf("after CacheClear got %d, want a recompute (2)", v)
	}
}

func TestCacheUnencodableValue(t *testing.T) {
	useHome(t)
	type hidden struct{ x int } // no exported fields: gob refuses it
	v, err := Cache("hidden", func() (hidden, error) { return hidden{3}, nil })
	if err == nil || !strings.Contains(err.Error(), "not stored") {
		t.Errorf("err = %v, want 'computed but not stored'", err)
	}
	if v.x != 3 {
		t.Errorf("the computed value must still be returned")
	}
	entries, _ := os.ReadDir(CacheDir())
	if len(entries) != 0 {
		t.Errorf("a failed store left %d files in the cache", len(entries))
	}
}

func TestCacheRawFloatSlices(t *testing.T) {
	home := useHome(t)
	f32 := []float32{0, -0.5, float32(math.Inf(1)), 3.25e-30, float32(math.NaN())}
	got32, err := Cache("f32", func() ([]float32, error) { return f32, nil })
	if err != nil {
		t.Fatal(err)
	}
	got32, err = Cache("f32", func() ([]float32, error) { return nil, errors.New("must not run") })
	if err != nil || len(got32) != len(f32) {
		t.Fatalf("read back %v, %v", got32, err)
	}
	for i := range f32 { // bit-exact, NaN included
		if math.Float32bits(got32[i]) != math.Float32bits(f32[i]) {
			t.Errorf("f32[%d] = %v, want %v", i, got32[i], f32[i])
		}
	}
	f64 := []float64{1, math.Pi, -1e300}
	Cache("f64", func() ([]float64, error) { return f64, nil })
	got64, err := Cache("f64", func() ([]float64, error) { return nil, errors.New("must not run") })
	if err != nil || len(got64) != 3 || got64[1] != math.Pi {
		t.Errorf("f64 read back %v, %v", got64, err)
	}
	empty, err := Cache("empty", func() ([]float32, error) { return nil, nil })
	if err != nil || len(empty) != 0 {
		t.Errorf("empty slice: %v, %v", empty, err)
	}
	// A lying count (2^60 values in a small file) is rejected before allocating,
	// and the entry is recomputed.
	path := filepath.Join(home, "nbcache", "f32.gob")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	countAt := len(b) - 4*len(f32) - 8
	binary.LittleEndian.PutUint64(b[countAt:], 1<<60)
	os.WriteFile(path, b, 0o644)
	v, err := Cache("f32", func() ([]float32, error) { return []float32{7}, nil })
	if err != nil || len(v) != 1 || v[0] != 7 {
		t.Errorf("lying count: got %v, %v; want a recompute", v, err)
	}
}

// Without IFPROBE_NBCACHE_DIR and IFPROBE_HOME, the cache is ~/.cache/ifprobe/nbcache:
// the home-directory rule of compute.HomeDir.
func TestCacheDirDefault(t *testing.T) {
	t.Setenv(EnvCacheDir, "")
	t.Setenv(EnvHome, "")
	home := t.TempDir()
	t.Setenv("HOME", home)
	if got, want := CacheDir(), filepath.Join(home, ".cache", "ifprobe", "nbcache"); got != want {
		t.Errorf("CacheDir() = %s, want %s", got, want)
	}
	t.Setenv(EnvHome, "/x/y")
	if got, want := CacheDir(), filepath.Join("/x/y", "nbcache"); got != want {
		t.Errorf("with IFPROBE_HOME=/x/y: CacheDir() = %s, want %s", got, want)
	}
}
