package gguf_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"reflect"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/gguf"
	"github.com/ifprobe/ifprobe/pkg/registry"
	"github.com/ifprobe/ifprobe/pkg/registry/registrytest"
)

// realFixture is testdata/real_models.json: for every tensor of the default models,
// the sha256 of its float32 little-endian bytes as decoded by gguf-py 0.19.0
// (numpy 2.4.6), written by scripts/fixtures/gguf/make_fixtures.sh.
type realFixture struct {
	Models map[string]struct {
		FileSHA256 string `json:"file_sha256"`
		Tensors    map[string]struct {
			Type   string    `json:"type"`
			Dims   []uint64  `json:"dims"`
			SHA256 string    `json:"sha256"`
			First  []float32 `json:"first"`
		} `json:"tensors"`
	} `json:"models"`
}

// TestRealModelsBitExact dequantizes every tensor of each registry model and compares
// the sha256 of the float32 bytes with the reference. Tolerance: none. The default
// models must be installed when CI=true; the optional ones are checked if installed.
func TestRealModelsBitExact(t *testing.T) {
	b, err := os.ReadFile("testdata/real_models.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx realFixture
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	for _, e := range registry.List() {
		t.Run(e.Name, func(t *testing.T) {
			path, err := registry.Path(e.Name)
			if err != nil {
				if !e.Default {
					t.Skipf("optional model not installed: %v", err)
				}
				registrytest.Missing(t, err)
			}
			want, ok := fx.Models[e.File]
			if !ok {
				t.Fatalf("no fixture for %s: rerun scripts/fixtures/gguf/make_fixtures.sh", e.File)
			}
			if want.FileSHA256 != e.SHA256 {
				t.Fatalf("fixture made from a file with sha256 %s, registry has %s", want.FileSHA256, e.SHA256)
			}
			f, err := gguf.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if got := len(f.Tensors()); got != len(want.Tensors) {
				t.Errorf("%d tensors, reference %d", got, len(want.Tensors))
			}
			for _, ti := range f.Tensors() {
				w, ok := want.Tensors[ti.Name]
				if !ok {
					t.Errorf("tensor %q not in the reference", ti.Name)
					continue
				}
				if ti.Type.String() != w.Type || !reflect.DeepEqual(ti.Dims, w.Dims) {
					t.Errorf("%s: %s %v, reference %s %v", ti.Name, ti.Type, ti.Dims, w.Type, w.Dims)
				}
				data, _, err := f.ReadF32(ti.Name)
				if err != nil {
					t.Errorf("%s: %v", ti.Name, err)
					continue
				}
				if got := f32SHA256(data); got != w.SHA256 {
					t.Errorf("%s (%s): sha256 of float32 bytes %s, reference %s (first values %v, reference %v)",
						ti.Name, ti.Type, got[:16], w.SHA256[:16], data[:min(4, len(data))], w.First)
				}
			}
		})
	}
}

func f32SHA256(x []float32) string {
	h := sha256.New()
	buf := make([]byte, 4*4096)
	for len(x) > 0 {
		n := min(len(x), 4096)
		for i, v := range x[:n] {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
		}
		h.Write(buf[:4*n])
		x = x[n:]
	}
	return hex.EncodeToString(h.Sum(nil))
}
