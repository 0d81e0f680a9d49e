package acts

import (
	"slices"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/safetensors"
)

// A response cut by the token limit has no eos: whatever the writer is given,
// zeros are stored there, and readers at eos leave the example out; at other
// positions it is read as usual.
func TestTruncatedHasNoEOS(t *testing.T) {
	dir := t.TempDir()
	cfg := synthConfig(4, 3, safetensors.F32)
	cfg.Positions = poss("prompt_last", "eos")
	w, err := Create(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	keys := w.Keys()
	for i := range 5 {
		ex, x := synth(i, keys, 4)
		if i == 1 || i == 3 {
			ex.Truncated, ex.ResponseTokens = true, 96
			if i == 3 { // the eos keys may be left out for a truncated example
				for k := range x {
					if k.Position == hook.EOS {
						delete(x, k)
					}
				}
			}
		}
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
	eos, err := s.Stack(hook.KindResidPost, hook.EOS)
	if err != nil {
		t.Fatal(err)
	}
	if got := eos.IDs(); !slices.Equal(got, []string{"ex-0000", "ex-0002", "ex-0004"}) {
		t.Errorf("eos rows %v, want the three that ended", got)
	}
	for i, e := range eos.Examples {
		if row := eos.Layer(0)[i*4 : (i+1)*4]; row[0] != float32(e.Row+3*e.Shard) {
			t.Errorf("eos row of %s starts %v", e.ID, row[0])
		}
	}
	last, err := s.Get(hook.ResidPost(0), hook.PromptLast)
	if err != nil {
		t.Fatal(err)
	}
	if last.N != 5 {
		t.Errorf("prompt_last has %d rows, want all 5", last.N)
	}
	if ex := s.Examples(IDs("ex-0001"))[0]; !ex.Truncated || ex.ResponseTokens != 96 {
		t.Errorf("manifest record %+v lost the truncation", ex)
	}
	// What is on disk for a truncated example's eos is zeros, not a state.
	all, err := s.Get(hook.ResidPost(0), hook.EOS, IDs("ex-0001", "ex-0003"))
	if err != nil {
		t.Fatal(err)
	}
	if all.N != 0 {
		t.Errorf("Get at eos returned %d truncated rows", all.N)
	}
	data, exs, err := s.load([]hook.Key{{Point: hook.ResidPost(0), Position: hook.EOS}}, []Filter{IDs("ex-0001", "ex-0003")})
	if err != nil || len(exs) != 2 {
		t.Fatal(err, len(exs))
	}
	for _, v := range data[0] {
		if v != 0 {
			t.Fatalf("stored eos of a truncated example: %v, want zeros", data[0])
		}
	}
}
