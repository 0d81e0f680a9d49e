// Package actstest writes small activation stores with known contents for the
// tests of packages that read stores (probe sets, baselines, controls).
package actstest

import (
	"testing"

	"github.com/ifprobe/ifprobe/pkg/acts"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/safetensors"
)

// Row is one stored example and its vector, stored at every layer and position.
type Row struct {
	acts.Example
	X []float32
}

// Layers and Positions of the stores Write makes.
var (
	Layers    = []int{0, 1}
	Positions = []hook.Position{hook.PromptLast, hook.EOS}
)

// Write writes rows to a store in a temporary directory of t (blocks 0 and 1,
// resid_post, at prompt_last and eos, F32, d = len(rows[0].X), shards of 7
// rows) and opens it. A truncated row's eos is zeros, as the writer keeps it.
func Write(t testing.TB, rows []Row) *acts.Store {
	t.Helper()
	dir := t.TempDir()
	var hooks []hook.Point
	for _, l := range Layers {
		hooks = append(hooks, hook.ResidPost(l))
	}
	w, err := acts.Create(dir, acts.Config{Model: acts.Model{Name: "test"}, DModel: len(rows[0].X),
		Hooks: hooks, Positions: Positions, DType: safetensors.F32, ShardRows: 7})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		x := map[hook.Key][]float32{}
		for _, k := range w.Keys() {
			x[k] = r.X
		}
		if err := w.Add(r.Example, x); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := acts.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
