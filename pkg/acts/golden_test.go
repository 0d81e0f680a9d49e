package acts

import (
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/safetensors"
)

var update = flag.Bool("update", false, "rewrite testdata/store and testdata/store_expected.json")

// goldenDir is a small store committed for format stability and for the Python check
// (scripts/fixtures/acts/check.sh reads it with safetensors + json, as README.md shows).
const goldenDir = "testdata/store"

// goldenKey is the key the Python example loads.
const goldenKey = "blocks.1.resid_post@prompt_last"

func TestGoldenStore(t *testing.T) {
	cfg := synthConfig(8, 4, safetensors.F16)
	dir := t.TempDir()
	if err := writeSynth(dir, 10, cfg, nil); err != nil {
		t.Fatal(err)
	}
	if *update {
		os.RemoveAll(goldenDir)
		if err := writeSynth(goldenDir, 10, cfg, nil); err != nil {
			t.Fatal(err)
		}
		os.Remove(filepath.Join(goldenDir, lockFile))
		s, err := Open(goldenDir)
		if err != nil {
			t.Fatal(err)
		}
		k, _ := hook.ParseKey(goldenKey)
		a, err := s.Get(k.Point, k.Position)
		if err != nil {
			t.Fatal(err)
		}
		bits := make([]uint32, len(a.Data))
		for i, v := range a.Data {
			bits[i] = math.Float32bits(v)
		}
		js, _ := json.MarshalIndent(map[string]any{"key": goldenKey, "shape": []int{a.N, a.D},
			"ids": a.IDs(), "labels": a.Labels(), "f32_bits": bits}, "", " ")
		if err := os.WriteFile(filepath.Join("testdata", "store_expected.json"), js, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The writer is deterministic, so today's output must equal the committed store:
	// a change here is a change of the on-disk format.
	sameStore(t, goldenDir, dir)
	s, err := Open(goldenDir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(); err != nil {
		t.Fatal(err)
	}
}
