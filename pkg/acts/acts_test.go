package acts

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/safetensors"
)

func TestWriteRead(t *testing.T) {
	for _, dt := range []safetensors.DType{safetensors.F32, safetensors.F16} {
		t.Run(string(dt), func(t *testing.T) {
			const n, d, rows = 23, 16, 5
			dir := t.TempDir()
			cfg := synthConfig(d, rows, dt)
			if err := writeSynth(dir, n, cfg, nil); err != nil {
				t.Fatal(err)
			}
			s, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Verify(); err != nil {
				t.Fatal(err)
			}
			m := s.Manifest()
			if s.Len() != n || len(m.Shards) != 5 || m.Shards[4].Rows != 3 {
				t.Fatalf("%d examples in %d shards, want %d in 5 (last of 3 rows)", s.Len(), len(m.Shards), n)
			}
			if !slices.Equal(m.Layers, []int{0, 1, 2}) {
				t.Errorf("layers %v, want [0 1 2]", m.Layers)
			}
			if got := s.Keys(); len(got) != 8 || got[0] != (key("blocks.0.resid_post", "prompt_last")) || got[7] != (key("final_norm", "step:4")) {
				t.Errorf("keys %v", got)
			}
			keys := s.Keys()
			filters := [][]Filter{nil, {Task("json_format")}, {Split("test"), Label(0)}, {IDs("ex-0007", "ex-0021")}}
			wantN := []int{23, 8, 3, 2} // by construction in synth: task i%3, split "test" when i%5==0, label i%2
			for fi, f := range filters {
				a, err := s.Get(pt("blocks.2.resid_post"), pos("step:4"), f...)
				if err != nil {
					t.Fatal(err)
				}
				if a.N != wantN[fi] || len(a.Data) != a.N*d || len(a.IDs()) != a.N {
					t.Fatalf("filter %d: N=%d (len %d), want %d", fi, a.N, len(a.Data), wantN[fi])
				}
				for r, ex := range a.Examples {
					var i int
					fmt.Sscanf(ex.ID, "ex-%d", &i)
					want, x := synth(i, keys, d)
					want.Shard, want.Row = i/rows, i%rows
					if ex != want {
						t.Errorf("filter %d row %d: %+v, want %+v", fi, r, ex, want)
					}
					checkRow(t, a.Row(r), x[a.Key], dt)
				}
			}
			st, err := s.Stack(hook.KindResidPost, pos("prompt_last"), Task("word_count"))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(st.Layers, []int{0, 1, 2}) || st.Hooks[1] != hook.ResidPost(1) || st.N != 7 {
				t.Fatalf("stack: layers %v hooks %v N %d", st.Layers, st.Hooks, st.N)
			}
			for l, h := range st.Hooks {
				for r, id := range st.IDs() {
					var i int
					fmt.Sscanf(id, "ex-%d", &i)
					_, x := synth(i, keys, d)
					checkRow(t, st.Layer(l)[r*d:(r+1)*d], x[hook.Key{Point: h, Position: pos("prompt_last")}], dt)
				}
			}
			if _, err := s.Get(pt("blocks.9.resid_post"), pos("prompt_last")); !errors.Is(err, ErrNoKey) {
				t.Errorf("unknown key: err = %v, want ErrNoKey", err)
			}
			if _, err := s.Stack(hook.KindMLPOut, pos("prompt_last")); !errors.Is(err, ErrNoKey) {
				t.Errorf("unknown kind: err = %v, want ErrNoKey", err)
			}
		})
	}
}

// checkRow compares a stored row with what was written: bit-exact for F32, and equal to
// the round-to-nearest-even half for F16 (the conversion itself is tested against numpy
// in pkg/safetensors).
func checkRow(t *testing.T, got, want []float32, dt safetensors.DType) {
	t.Helper()
	for j := range want {
		w := want[j]
		if dt == safetensors.F16 {
			w = safetensors.Float16ToFloat32(safetensors.Float32ToFloat16(w))
		}
		if got[j] != w {
			t.Fatalf("value %d = %g, want %g", j, got[j], w)
		}
	}
}

// startHelper runs this test binary as a writer process (see helperWrite).
func startHelper(t *testing.T, dir string, n, rows, d int, pace string) (*exec.Cmd, *bufio.Scanner, io.WriteCloser) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), helperEnv+"=write",
		fmt.Sprintf("IFPROBE_ACTS_ARGS=%s %d %d %d F16 %s", dir, n, rows, d, pace))
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, bufio.NewScanner(stdout), stdin
}

func killHelper(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("helper was not killed by SIGKILL: %v", err)
	}
}

// sameStore fails unless dirs a and b hold byte-identical manifests and shards.
func sameStore(t *testing.T, a, b string) {
	t.Helper()
	for _, sub := range []string{".", ShardDir} {
		ea, _ := os.ReadDir(filepath.Join(a, sub))
		eb, _ := os.ReadDir(filepath.Join(b, sub))
		var na, nb []string
		for _, e := range ea {
			if e.Name() != lockFile {
				na = append(na, e.Name())
			}
		}
		for _, e := range eb {
			if e.Name() != lockFile {
				nb = append(nb, e.Name())
			}
		}
		if !slices.Equal(na, nb) {
			t.Fatalf("%s: files %v vs %v", sub, na, nb)
		}
		for _, e := range ea {
			if e.IsDir() {
				continue
			}
			fa, _ := os.ReadFile(filepath.Join(a, sub, e.Name()))
			fb, _ := os.ReadFile(filepath.Join(b, sub, e.Name()))
			if !bytes.Equal(fa, fb) {
				t.Errorf("%s/%s differs from the uninterrupted run", sub, e.Name())
			}
		}
	}
}

// TestResumeAfterKill SIGKILLs a writer process with two shards committed and two
// examples pending, then checks the store on disk, resumes, and compares the result with
// an uninterrupted run byte for byte.
func TestResumeAfterKill(t *testing.T) {
	const n, rows, d = 20, 4, 8
	ref := t.TempDir()
	if err := writeSynth(ref, n, synthConfig(d, rows, safetensors.F16), nil); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmd, out, stdin := startHelper(t, dir, n, rows, d, "stdin")
	for out.Scan() {
		var i, committed int
		fmt.Sscanf(out.Text(), "added %d committed %d", &i, &committed)
		if i == 9 {
			if committed != 8 {
				t.Fatalf("after example 9: %d committed, want 8", committed)
			}
			break // the helper now waits on stdin with examples 8 and 9 pending
		}
		io.WriteString(stdin, "\n")
	}
	killHelper(t, cmd)

	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(); err != nil {
		t.Fatalf("store after kill: %v", err)
	}
	if s.Len() != 8 || len(s.Manifest().Shards) != 2 {
		t.Fatalf("after kill: %d examples in %d shards, want 8 in 2", s.Len(), len(s.Manifest().Shards))
	}
	resumedAt := -1
	err = writeSynth(dir, n, synthConfig(d, rows, safetensors.F16), func(w *Writer, i int) {
		if resumedAt < 0 {
			resumedAt = i
			if w.Resumed() != 8 {
				t.Errorf("Resumed() = %d, want 8", w.Resumed())
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if resumedAt != 8 {
		t.Errorf("resumed at example %d, want 8", resumedAt)
	}
	sameStore(t, ref, dir)
}

// TestKillAnywhere lets a writer run freely and SIGKILLs it at several points, some just
// as it starts the Add that writes a shard (so the kill usually lands inside the shard
// or manifest write), some between examples. Whatever survives must verify, hold whole
// shards only, and resume to the uninterrupted result.
func TestKillAnywhere(t *testing.T) {
	const n, rows, d = 400, 4, 2048
	ref := t.TempDir()
	if err := writeSynth(ref, n, synthConfig(d, rows, safetensors.F16), nil); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for round, kill := range []string{"adding 7", "added 43", "adding 111", "added 150", "adding 203", "adding 259"} {
		cmd, out, stdin := startHelper(t, dir, n, rows, d, "free")
		for out.Scan() {
			if strings.HasPrefix(out.Text(), kill+" ") || out.Text() == kill || out.Text() == "done" {
				break
			}
		}
		killHelper(t, cmd)
		stdin.Close()
		left, _ := filepath.Glob(filepath.Join(dir, ShardDir, ".*"+tmpInfix+"*"))
		more, _ := filepath.Glob(filepath.Join(dir, ".*"+tmpInfix+"*"))
		if left = append(left, more...); len(left) > 0 {
			t.Logf("round %d (%s): killed inside a write, left %v", round, kill, left)
		}
		s, err := Open(dir)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if err := s.Verify(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if s.Len()%rows != 0 || s.Len() == n {
			t.Fatalf("round %d: %d examples stored, want whole shards of %d and fewer than %d", round, s.Len(), rows, n)
		}
	}
	if err := writeSynth(dir, n, synthConfig(d, rows, safetensors.F16), nil); err != nil {
		t.Fatal(err)
	}
	sameStore(t, ref, dir)
}

// TestLeftovers plants what a crash can leave (a temporary manifest and shard, and a
// truncated shard renamed but never recorded) and checks Create cleans them up.
func TestLeftovers(t *testing.T) {
	const n, rows, d = 10, 4, 8
	cfg := synthConfig(d, rows, safetensors.F32)
	ref := t.TempDir()
	if err := writeSynth(ref, n, cfg, nil); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := writeSynth(dir, 6, cfg, nil); err != nil { // shard 0 (4 rows) + shard 1 (2 rows)
		t.Fatal(err)
	}
	// Roll the manifest back to one shard: shard-000001 becomes an unrecorded orphan.
	s, _ := Open(dir)
	m := s.Manifest()
	m.Shards, m.Examples = m.Shards[:1], m.Examples[:4]
	if err := m.write(dir, nil); err != nil {
		t.Fatal(err)
	}
	os.Truncate(filepath.Join(dir, shardFile(1)), 100)
	os.WriteFile(filepath.Join(dir, ".manifest.json.tmp-123"), []byte("{"), 0o644)
	os.WriteFile(filepath.Join(dir, ShardDir, ".shard-000001.safetensors.tmp-9"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644)
	if err := writeSynth(dir, n, cfg, nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "notes.txt")); string(b) != "mine" {
		t.Error("Create removed a file it does not own")
	}
	os.Remove(filepath.Join(dir, "notes.txt"))
	sameStore(t, ref, dir)
}

func TestCreateMismatch(t *testing.T) {
	dir := t.TempDir()
	cfg := synthConfig(8, 4, safetensors.F16)
	if err := writeSynth(dir, 2, cfg, nil); err != nil {
		t.Fatal(err)
	}
	for i, change := range []func(*Config){
		func(c *Config) { c.Model.SHA256 = "00" },                    // 0
		func(c *Config) { c.DModel = 9 },                             // 1
		func(c *Config) { c.DType = safetensors.F32 },                // 2
		func(c *Config) { c.Hooks = c.Hooks[:2] },                    // 3
		func(c *Config) { c.Positions = poss("eos", "prompt_last") }, // 4
		func(c *Config) { c.ShardRows = 8 },                          // 5
	} {
		c := synthConfig(8, 4, safetensors.F16)
		change(&c)
		if _, err := Create(dir, c); !errors.Is(err, ErrMismatch) {
			t.Errorf("%d: err = %v, want ErrMismatch", i, err)
		}
	}
	c := cfg
	c.ShardRows = 0 // 0 means "whatever the store uses"
	w, err := Create(dir, c)
	if err != nil {
		t.Fatalf("ShardRows 0 on an existing store: %v", err)
	}
	if _, err := Create(dir, c); !errors.Is(err, ErrLocked) {
		t.Errorf("second writer: err = %v, want ErrLocked", err)
	}
	w.Close()
	w, err = Create(dir, c)
	if err != nil {
		t.Fatalf("after Close: %v", err)
	}
	w.Close()
}

func TestConfigErrors(t *testing.T) {
	for i, tc := range []struct {
		change func(*Config)
		want   string
	}{
		{func(c *Config) { c.Hooks = nil }, "at least one hook"},                   // 0
		{func(c *Config) { c.Positions = poss("eos", "eos") }, `eos listed twice`}, // 1
		{func(c *Config) { c.DModel = 0 }, "d_model 0"},                            // 2
		{func(c *Config) { c.DType = safetensors.BF16 }, `dtype "BF16"`},           // 3
		{func(c *Config) { c.Model.Name = "" }, "Model.Name"},                      // 4
		{func(c *Config) { c.ShardRows = -1 }, "ShardRows -1"},                     // 5
	} {
		c := synthConfig(8, 4, safetensors.F16)
		tc.change(&c)
		if _, err := Create(t.TempDir(), c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%d: err = %v, want %q", i, err, tc.want)
		}
	}
}

func TestAddErrors(t *testing.T) {
	dir := t.TempDir()
	cfg := synthConfig(8, 4, safetensors.F16)
	w, err := Create(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	keys := w.Keys()
	if !slices.Equal(keys, keysOf(cfg.Hooks, cfg.Positions)) || len(keys) != 8 {
		t.Fatalf("Keys() = %v", keys)
	}
	ex, x := synth(0, keys, 8)
	if err := w.Add(ex, x); err != nil {
		t.Fatal(err)
	}
	bad := func(mod func(map[hook.Key][]float32)) map[hook.Key][]float32 {
		_, y := synth(1, keys, 8)
		mod(y)
		return y
	}
	ex1, _ := synth(1, keys, 8)
	for i, tc := range []struct {
		ex   Example
		x    map[hook.Key][]float32
		want string
		err  error
	}{
		{ex, x, `"ex-0000"`, ErrDuplicateID}, // 0
		{Example{}, x, "example id", nil},    // 1
		{ex1, bad(func(y map[hook.Key][]float32) { delete(y, keys[3]) }), "missing key " + keys[3].String(), nil},                                                            // 2
		{ex1, bad(func(y map[hook.Key][]float32) { y[keys[0]] = y[keys[0]][:7] }), "7 values, d_model is 8", nil},                                                            // 3
		{ex1, bad(func(y map[hook.Key][]float32) { y[keys[2]][5] = 70000 }), "[5] = 70000 is not finite in F16", nil},                                                        // 4
		{ex1, bad(func(y map[hook.Key][]float32) { delete(y, keys[0]); y[key("blocks.7.mlp_out", "eos")] = nil }), "key blocks.7.mlp_out@eos is not in the store", ErrNoKey}, // 5
	} {
		err := w.Add(tc.ex, tc.x)
		if err == nil || !strings.Contains(err.Error(), tc.want) || (tc.err != nil && !errors.Is(err, tc.err)) {
			t.Errorf("%d: err = %v, want %q (%v)", i, err, tc.want, tc.err)
		}
	}
	if w.Len() != 1 {
		t.Fatalf("rejected examples changed the writer: Len = %d", w.Len())
	}
	for i := 1; i < 6; i++ { // the store must be as if the bad calls never happened
		ex, x := synth(i, keys, 8)
		if err := w.Add(ex, x); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	if err := w.Add(ex1, x); err == nil {
		t.Error("Add after Close succeeded")
	}
	ref := t.TempDir()
	if err := writeSynth(ref, 6, cfg, nil); err != nil {
		t.Fatal(err)
	}
	sameStore(t, ref, dir)
}

func TestCorruption(t *testing.T) {
	dir := t.TempDir()
	if err := writeSynth(dir, 6, synthConfig(8, 4, safetensors.F16), nil); err != nil {
		t.Fatal(err)
	}
	manifest, _ := os.ReadFile(filepath.Join(dir, ManifestFile))
	for i, tc := range []struct{ old, new string }{
		{`"file": "shards/shard-000001.safetensors"`, `"file": "../../etc/passwd"`}, // 0
		{`"id":"ex-0005"`, `"id":"ex-0004"`},                                        // 1: duplicate id
		{`"shard":1,"row":1`, `"shard":1,"row":7`},                                  // 2: row out of range
		{`"d_model": 8`, `"d_model": -8`},                                           // 3
		{`"dtype": "F16"`, `"dtype": "I8"`},                                         // 4
		{`"version": 1`, `"version": 2`},                                            // 5
		{`"rows": 2`, `"rows": 3`},                                                  // 6: more rows than examples
		{`"keys": [`, `"keys": ["x@y",`},                                            // 7
	} {
		bad := strings.Replace(string(manifest), tc.old, tc.new, 1)
		if bad == string(manifest) {
			t.Fatalf("%d: %q not in the manifest", i, tc.old)
		}
		os.WriteFile(filepath.Join(dir, ManifestFile), []byte(bad), 0o644)
		if _, err := Open(dir); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%d: err = %v, want ErrCorrupt", i, err)
		}
	}
	os.WriteFile(filepath.Join(dir, ManifestFile), manifest, 0o644)
	// A flipped byte in a shard's data: Verify catches it by hash.
	path := filepath.Join(dir, shardFile(1))
	b, _ := os.ReadFile(path)
	b[len(b)-3] ^= 1
	os.WriteFile(path, b, 0o644)
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "shard-000001") {
		t.Errorf("flipped byte: Verify = %v, want ErrCorrupt naming the shard", err)
	}
	// A truncated shard: reading fails cleanly and Create refuses to append.
	os.Truncate(path, 50)
	if _, err := s.Get(pt("final_norm"), pos("eos")); !errors.Is(err, ErrNoKey) {
		t.Errorf("unknown position: %v", err)
	}
	if _, err := s.Get(pt("final_norm"), pos("step:4")); !errors.Is(err, ErrCorrupt) {
		t.Errorf("truncated shard: Get = %v, want ErrCorrupt", err)
	}
	if _, err := Create(dir, synthConfig(8, 4, safetensors.F16)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("truncated shard: Create = %v, want ErrCorrupt", err)
	}
}

// FuzzStore feeds arbitrary manifests (seeded with the golden store's) to Open, Get,
// Stack and Verify over the golden shards: errors are fine, panics and huge
// allocations are not.
func FuzzStore(f *testing.F) {
	manifest, err := os.ReadFile(filepath.Join(goldenDir, ManifestFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(manifest)
	f.Add([]byte(strings.Replace(string(manifest), `"shard_rows": 4`, `"shard_rows": 1048576`, 1)))
	f.Add([]byte(strings.Replace(string(manifest), `"d_model": 8`, `"d_model": 1048576`, 1)))
	var shards [3][]byte
	for i := range shards {
		if shards[i], err = os.ReadFile(filepath.Join(goldenDir, shardFile(i))); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, m []byte) {
		// A store of its own per input: the fuzzing workers are separate
		// processes, and a manifest rewritten under another worker's reader (or
		// its cached shard hashes) is not what this target tests.
		dir := t.TempDir()
		os.MkdirAll(filepath.Join(dir, ShardDir), 0o755)
		for i, b := range shards {
			os.WriteFile(filepath.Join(dir, shardFile(i)), b, 0o644)
		}
		if err := os.WriteFile(filepath.Join(dir, ManifestFile), m, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := Open(dir)
		if err != nil {
			return
		}
		_ = s.String()
		for _, k := range s.Keys() {
			if a, err := s.Get(k.Point, k.Position); err == nil && len(a.Data) != a.N*a.D {
				t.Fatalf("%s: %d values for %d×%d", k, len(a.Data), a.N, a.D)
			}
		}
		s.Stack(hook.KindResidPost, pos("prompt_last"))
		s.Verify()
	})
}
