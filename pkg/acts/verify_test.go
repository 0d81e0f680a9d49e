package acts

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/safetensors"
)

// setRow overwrites, in shard file i of dir, the first value of the last row of the
// last tensor with v (F32), as a disk or a careless script could: the file keeps its
// size and stays a valid safetensors file.
func setRow(t *testing.T, dir string, i int, v float32) {
	t.Helper()
	path := filepath.Join(dir, shardFile(i))
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The data section ends the file; the last tensor's last row is its last 4·d bytes.
	off := len(b) - 4*8
	binary.LittleEndian.PutUint32(b[off:], math.Float32bits(v))
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Second) // a different mtime, as any real write gives
	os.Chtimes(path, later, later)
}

// wantShardError fails unless err is a *ShardError for shard i that says how to
// recover.
func wantShardError(t *testing.T, what string, err error, i int) {
	t.Helper()
	var se *ShardError
	if !errors.As(err, &se) || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("%s: err = %v, want a *ShardError wrapping ErrCorrupt", what, err)
	}
	if se.Shard != i || !strings.Contains(err.Error(), shardFile(i)) || !strings.Contains(err.Error(), "ifprobe acts verify --repair") {
		t.Errorf("%s: %v: want shard %d named and the repair command", what, err, i)
	}
}

// TestReadsCheckHashes: a shard whose bytes changed after it was written (a value set
// to 1e30, a flipped bit) is refused by every read, not used: Get, Stack and Create
// all give a ShardError naming the shard and the way back. (Reads used to check only
// the tensor layout, so a changed value passed silently into the probes.)
func TestReadsCheckHashes(t *testing.T) {
	dir := t.TempDir()
	cfg := synthConfig(8, 4, safetensors.F32)
	if err := writeSynth(dir, 10, cfg, nil); err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(pt("final_norm"), pos("step:4")); err != nil {
		t.Fatal(err) // verified and cached
	}
	setRow(t, dir, 1, 1e30)
	_, err = s.Get(pt("final_norm"), pos("step:4"))
	wantShardError(t, "Get after a value was set to 1e30", err, 1)
	_, err = s.Stack(hook.KindResidPost, pos("prompt_last"))
	wantShardError(t, "Stack", err, 1)
	// Only shard 0 selected: the damaged shard is not read, so not reported.
	if _, err := s.Get(pt("final_norm"), pos("step:4"), IDs("ex-0000")); err != nil {
		t.Errorf("Get of shard 0 only: %v", err)
	}
	_, err = Create(dir, cfg)
	wantShardError(t, "Create", err, 1)
	wantShardError(t, "Verify", s.Verify(), 1)
}

// TestTruncatedShardSaysHowToRecover: a truncated shard names itself and the repair.
func TestTruncatedShardSaysHowToRecover(t *testing.T) {
	dir := t.TempDir()
	cfg := synthConfig(8, 4, safetensors.F16)
	if err := writeSynth(dir, 10, cfg, nil); err != nil {
		t.Fatal(err)
	}
	os.Truncate(filepath.Join(dir, shardFile(2)), 100)
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Get(pt("final_norm"), pos("step:4"))
	wantShardError(t, "Get", err, 2)
	os.Remove(filepath.Join(dir, shardFile(2)))
	_, err = s.Get(pt("final_norm"), pos("step:4"))
	wantShardError(t, "Get of a deleted shard", err, 2)
}

// TestRepairThenResumeIsIdentical: Repair cuts the store at the damaged shard, and a
// rerun that adds the missing examples in order writes exactly the store of an
// undisturbed run. CreateRepairing does both steps for a rerun.
func TestRepairThenResumeIsIdentical(t *testing.T) {
	const n = 18
	cfg := synthConfig(8, 4, safetensors.F32)
	ref := t.TempDir()
	if err := writeSynth(ref, n, cfg, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		damage func(dir string)
		shard  int
	}{
		{"flipped byte", func(dir string) {
			p := filepath.Join(dir, shardFile(1))
			b, _ := os.ReadFile(p)
			b[len(b)/2] ^= 0x40
			os.WriteFile(p, b, 0o644)
		}, 1},
		{"truncated", func(dir string) { os.Truncate(filepath.Join(dir, shardFile(3)), 7) }, 3},
		{"deleted", func(dir string) { os.Remove(filepath.Join(dir, shardFile(0))) }, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := writeSynth(dir, n, cfg, nil); err != nil {
				t.Fatal(err)
			}
			tc.damage(dir)
			rep, err := Repair(dir)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Shard != tc.shard || rep.Kept != 4*tc.shard || rep.Examples != n-4*tc.shard || rep.Shards != 5-tc.shard {
				t.Errorf("repair: %+v", rep)
			}
			s, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Verify(); err != nil || s.Len() != rep.Kept {
				t.Fatalf("after repair: %d examples, Verify %v", s.Len(), err)
			}
			if rep, err := Repair(dir); err != nil || rep.Shard != -1 {
				t.Errorf("second repair: %+v, %v", rep, err)
			}
			if err := writeSynth(dir, n, cfg, nil); err != nil {
				t.Fatal(err)
			}
			sameStore(t, ref, dir)
		})
	}
	t.Run("CreateRepairing", func(t *testing.T) {
		dir := t.TempDir()
		if err := writeSynth(dir, n, cfg, nil); err != nil {
			t.Fatal(err)
		}
		setRow(t, dir, 2, 1e30)
		w, rep, err := CreateRepairing(dir, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if rep == nil || rep.Shard != 2 || w.Len() != 8 {
			t.Fatalf("repaired %+v, %d examples kept", rep, w.Len())
		}
		w.Close()
		if err := writeSynth(dir, n, cfg, nil); err != nil {
			t.Fatal(err)
		}
		sameStore(t, ref, dir)
		if _, rep, err := CreateRepairing(dir, cfg); err != nil || rep != nil {
			t.Errorf("sound store: repaired %+v, %v", rep, err)
		}
	})
}

// TestRepairLocked: Repair waits for no one: with a Writer open it gives ErrLocked.
func TestRepairLocked(t *testing.T) {
	dir := t.TempDir()
	w, err := Create(dir, synthConfig(8, 4, safetensors.F32))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := Repair(dir); !errors.Is(err, ErrLocked) {
		t.Errorf("Repair with a Writer open: %v, want ErrLocked", err)
	}
}
