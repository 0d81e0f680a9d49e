package acts

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/safetensors"
)

// writeParts writes examples 0..n-1 into parts stores: units of unit
// consecutive examples dealt round-robin, as a sharded build deals its batches.
// It returns the stores and the ids in order.
func writeParts(t *testing.T, root string, n, unit, parts int, cfg Config) ([]*Store, []string) {
	t.Helper()
	keys := keysOf(cfg.Hooks, cfg.Positions)
	var stores []*Store
	for p := range parts {
		dir := filepath.Join(root, "part", string(rune('a'+p)))
		w, err := Create(dir, cfg)
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			if (i/unit)%parts != p {
				continue
			}
			ex, x := synth(i, keys, cfg.DModel)
			if err := w.Add(ex, x); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		s, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		stores = append(stores, s)
	}
	var ids []string
	for i := range n {
		ex, _ := synth(i, nil, 0)
		ids = append(ids, ex.ID)
	}
	return stores, ids
}

// sameFiles fails unless dirs a and b hold the same manifest and shard files,
// byte for byte.
func sameFiles(t *testing.T, a, b string) {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(a, ShardDir, "*.safetensors"))
	other, _ := filepath.Glob(filepath.Join(b, ShardDir, "*.safetensors"))
	if len(names) != len(other) || len(names) == 0 {
		t.Fatalf("%d shard files in %s, %d in %s", len(names), a, len(other), b)
	}
	for _, rel := range append([]string{ManifestFile}, relAll(a, names)...) {
		x, err1 := os.ReadFile(filepath.Join(a, rel))
		y, err2 := os.ReadFile(filepath.Join(b, rel))
		if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs (%v, %v; %d and %d bytes)", rel, err1, err2, len(x), len(y))
		}
	}
}

func relAll(dir string, paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i], _ = filepath.Rel(dir, p)
	}
	return out
}

// TestMergeEqualsOneWriter: three parts merged in plan order give the store a
// single Writer writes, byte for byte, in F32 and F16, and a merge interrupted
// after some shards resumes to the same bytes.
func TestMergeEqualsOneWriter(t *testing.T) {
	for _, dt := range []safetensors.DType{safetensors.F32, safetensors.F16} {
		t.Run(string(dt), func(t *testing.T) {
			root := t.TempDir()
			cfg := synthConfig(8, 5, dt) // 5 rows per shard: part boundaries fall inside shards
			const n, unit = 23, 2
			one := filepath.Join(root, "one")
			if err := writeSynth(one, n, cfg, nil); err != nil {
				t.Fatal(err)
			}
			parts, ids := writeParts(t, root, n, unit, 3, cfg)
			merged := filepath.Join(root, "merged")
			if err := Merge(merged, ids, parts...); err != nil {
				t.Fatal(err)
			}
			sameFiles(t, one, merged)

			// An interrupted merge keeps whole shards only (the pending rows die
			// with the process): here the first 10 examples, two shards.
			resumed := filepath.Join(root, "resumed")
			if err := writeSynth(resumed, 10, cfg, nil); err != nil {
				t.Fatal(err)
			}
			if err := Merge(resumed, ids, parts...); err != nil {
				t.Fatal(err)
			}
			sameFiles(t, one, resumed)
		})
	}
}

// TestMergeRefuses: ids that do not match the parts, a duplicate across parts,
// parts of different layouts.
func TestMergeRefuses(t *testing.T) {
	root := t.TempDir()
	cfg := synthConfig(4, 3, safetensors.F32)
	parts, ids := writeParts(t, root, 7, 1, 2, cfg)
	for i, c := range []struct {
		ids   []string
		parts []*Store
		msg   string
		err   error
	}{
		{ids[:6], parts, "6 ids for 7", nil},
		{append(ids[:6:6], "ex-0099"), parts, "in no part", nil},
		{append(ids[:6:6], ids[0]), parts, "in no part", nil},
		{append(ids, ids[0]), append(parts, parts[0]), "two parts", ErrDuplicateID},
		{nil, nil, "no parts", nil},
	} {
		err := Merge(filepath.Join(root, "out", string(rune('a'+i))), c.ids, c.parts...)
		if err == nil || !strings.Contains(err.Error(), c.msg) || (c.err != nil && !errors.Is(err, c.err)) {
			t.Errorf("%d: Merge = %v, want an error containing %q", i, err, c.msg)
		}
	}
	other := cfg
	other.ShardRows = 4
	dir := filepath.Join(root, "other")
	if err := writeSynth(dir, 1, other, nil); err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := Merge(filepath.Join(root, "out", "x"), ids, parts[0], s); !errors.Is(err, ErrMismatch) {
		t.Errorf("parts of other shard sizes: %v, want ErrMismatch", err)
	}
}
