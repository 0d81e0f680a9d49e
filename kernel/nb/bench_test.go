package nb

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// benchmarkCacheHit measures a Cache hit on n float32 values (what a notebook pays
// to get activations back in a later cell); benchmarkRawRead is the peer: the same
// bytes read from a plain file and decoded little-endian.
func benchmarkCacheHit(b *testing.B, n int) {
	b.Setenv(EnvCacheDir, b.TempDir())
	b.Setenv(EnvCache, "")
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i)
	}
	key := fmt.Sprintf("bench-%d", n)
	if _, err := Cache(key, func() ([]float32, error) { return v, nil }); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(4 * n))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		got, err := Cache(key, func() ([]float32, error) { return nil, fmt.Errorf("miss") })
		if err != nil || len(got) != n {
			b.Fatal(err)
		}
	}
}

// benchmarkCacheHitGob is the same hit for a struct holding the slice, which goes
// through gob: what every value other than a plain numeric slice pays.
func benchmarkCacheHitGob(b *testing.B, n int) {
	type holder struct{ V []float32 }
	b.Setenv(EnvCacheDir, b.TempDir())
	b.Setenv(EnvCache, "")
	h := holder{V: make([]float32, n)}
	for i := range h.V {
		h.V[i] = float32(i)
	}
	key := fmt.Sprintf("bench-gob-%d", n)
	if _, err := Cache(key, func() (holder, error) { return h, nil }); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(4 * n))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		got, err := Cache(key, func() (holder, error) { return holder{}, fmt.Errorf("miss") })
		if err != nil || len(got.V) != n {
			b.Fatal(err)
		}
	}
}

func benchmarkRawRead(b *testing.B, n int) {
	path := filepath.Join(b.TempDir(), "raw.bin")
	buf := make([]byte, 4*n)
	for i := 0; i < n; i++ {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(float32(i)))
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(4 * n))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		raw, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		out := make([]float32, n)
		for j := range out {
			out[j] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*j:]))
		}
	}
}

func BenchmarkCacheHit1e3(b *testing.B)    { benchmarkCacheHit(b, 1e3) }
func BenchmarkCacheHit1e5(b *testing.B)    { benchmarkCacheHit(b, 1e5) }
func BenchmarkCacheHit1e7(b *testing.B)    { benchmarkCacheHit(b, 1e7) }
func BenchmarkCacheHitGob1e3(b *testing.B) { benchmarkCacheHitGob(b, 1e3) }
func BenchmarkCacheHitGob1e5(b *testing.B) { benchmarkCacheHitGob(b, 1e5) }
func BenchmarkCacheHitGob1e7(b *testing.B) { benchmarkCacheHitGob(b, 1e7) }
func BenchmarkRawRead1e3(b *testing.B)     { benchmarkRawRead(b, 1e3) }
func BenchmarkRawRead1e5(b *testing.B)     { benchmarkRawRead(b, 1e5) }
func BenchmarkRawRead1e7(b *testing.B)     { benchmarkRawRead(b, 1e7) }
