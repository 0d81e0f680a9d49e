package acts

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/safetensors"
)

// The test binary doubles as a writer process for the kill tests and the memory
// benchmark: with IFPROBE_ACTS_HELPER set, TestMain runs the helper instead of tests.
const helperEnv = "IFPROBE_ACTS_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "write":
		os.Exit(helperWrite())
	case "mem":
		os.Exit(helperMem())
	default:
		fmt.Fprintln(os.Stderr, "unknown helper", os.Getenv(helperEnv))
		os.Exit(2)
	}
}

// synthConfig is the configuration of the synthetic stores the tests write.
func synthConfig(d, rows int, dt safetensors.DType) Config {
	return Config{
		Model:     Model{Name: "synthetic", Revision: "test", SHA256: strings.Repeat("ab", 32)},
		DModel:    d,
		Hooks:     pts("blocks.0.resid_post", "blocks.2.resid_post", "blocks.1.resid_post", "final_norm"),
		Positions: poss("prompt_last", "step:4"),
		DType:     dt,
		ShardRows: rows,
	}
}

var synthTasks = []string{"lowercase", "json_format", "word_count"}

// synth returns example i and its activations, a pure function of (i, key, d): values
// drawn from a PCG seeded with i, and x[0] = i so that a row can be traced to its id.
func synth(i int, keys []hook.Key, d int) (Example, map[hook.Key][]float32) {
	rng := rand.New(rand.NewPCG(uint64(i), 2026))
	ex := Example{ID: fmt.Sprintf("ex-%04d", i), Task: synthTasks[i%3], Label: i % 2,
		BaseID: fmt.Sprintf("base-%03d", i/2), Split: "train", Fold: i % 5,
		PromptHash: fmt.Sprintf("%016x", rng.Uint64())}
	if i%5 == 0 {
		ex.Split = "test"
	}
	x := map[hook.Key][]float32{}
	for _, k := range keys {
		v := make([]float32, d)
		for j := range v {
			v[j] = float32(rng.NormFloat64() * 3)
		}
		v[0] = float32(i)
		x[k] = v
	}
	return ex, x
}

// writeSynth writes examples 0..n-1 (skipping stored ones), calling after(i) after
// each Add, then closes.
func writeSynth(dir string, n int, cfg Config, after func(w *Writer, i int)) error {
	return writeSynthHooks(dir, n, cfg, nil, after)
}

// writeSynthHooks is writeSynth with a hook before each Add as well.
func writeSynthHooks(dir string, n int, cfg Config, before func(i int), after func(w *Writer, i int)) error {
	w, err := Create(dir, cfg)
	if err != nil {
		return err
	}
	keys := keysOf(cfg.Hooks, cfg.Positions)
	for i := 0; i < n; i++ {
		ex, x := synth(i, keys, cfg.DModel)
		if w.Has(ex.ID) {
			continue
		}
		if before != nil {
			before(i)
		}
		if err := w.Add(ex, x); err != nil {
			return err
		}
		if after != nil {
			after(w, i)
		}
	}
	return w.Close()
}

// helperWrite: IFPROBE_ACTS_HELPER=write DIR N ROWS D DTYPE PACE. With PACE=stdin it
// waits for a line on stdin after each example, so the parent decides exactly when to
// kill; with PACE=free it pauses 1 ms after each example and never waits for the
// parent, so the kill can land anywhere, including inside a shard or manifest write.
func helperWrite() int {
	a := strings.Fields(os.Getenv("IFPROBE_ACTS_ARGS"))
	n, _ := strconv.Atoi(a[1])
	rows, _ := strconv.Atoi(a[2])
	d, _ := strconv.Atoi(a[3])
	in := bufio.NewReader(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	before := func(i int) { // the Add that fills a shard writes it: a kill now lands inside
		fmt.Fprintf(out, "adding %d\n", i)
		out.Flush()
	}
	err := writeSynthHooks(a[0], n, synthConfig(d, rows, safetensors.DType(a[4])), before, func(w *Writer, i int) {
		fmt.Fprintf(out, "added %d committed %d\n", i, w.Committed())
		out.Flush()
		switch a[5] {
		case "stdin":
			in.ReadString('\n')
		case "free":
			time.Sleep(time.Millisecond) // so that the parent's kill lands mid-run even on a loaded machine
		}
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Fprintln(out, "done")
	out.Flush()
	return 0
}

// memConfig has the shape of a real capture: 30 layers of resid_post of SmolLM2-135M
// (d_model 576) at 2 positions, F16, 256 examples per shard (17.7 MB).
func memConfig() Config {
	cfg := synthConfig(576, 256, safetensors.F16)
	cfg.Hooks = nil
	for l := 0; l < 30; l++ {
		cfg.Hooks = append(cfg.Hooks, hook.ResidPost(l))
	}
	return cfg
}

// helperMem: IFPROBE_ACTS_HELPER=mem DIR N writes N examples of memConfig and prints,
// as JSON, the peak RSS (VmHWM), the largest HeapInuse seen (sampled every 16 Adds and
// after each shard), the bytes allocated in total, and the live heap after a final GC.
func helperMem() int {
	a := strings.Fields(os.Getenv("IFPROBE_ACTS_ARGS"))
	n, _ := strconv.Atoi(a[1])
	cfg := memConfig()
	keys := keysOf(cfg.Hooks, cfg.Positions)
	_, x := synth(0, keys, cfg.DModel) // one set of vectors reused: measure the store, not the generator
	var ms runtime.MemStats
	peakHeap := uint64(0)
	w, err := Create(a[0], cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for i := 0; i < n; i++ {
		ex := Example{ID: fmt.Sprintf("example-%06d", i), Task: synthTasks[i%3], Label: i % 2,
			BaseID: fmt.Sprintf("base-%06d", i/2), Split: "train", Fold: i % 5, PromptHash: fmt.Sprintf("%064x", i)}
		if err := w.Add(ex, x); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if i%16 == 0 || w.Committed() == i+1 {
			runtime.ReadMemStats(&ms)
			peakHeap = max(peakHeap, ms.HeapInuse)
		}
	}
	if err := w.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	runtime.ReadMemStats(&ms)
	total := ms.TotalAlloc
	runtime.GC() // what the Writer still holds (the id set) once garbage is gone
	runtime.ReadMemStats(&ms)
	runtime.KeepAlive(w)
	json.NewEncoder(os.Stdout).Encode(map[string]any{
		"n": n, "vmhwm_kb": vmHWM(), "peak_heap_inuse": peakHeap, "total_alloc": total, "live_heap": ms.HeapAlloc})
	return 0
}

// vmHWM reads this process's peak resident set size in kB from /proc (Linux).
func vmHWM() int {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return kb
		}
	}
	return -1
}

// pts, poss, pt, pos and key build typed names for the tests.
func pts(names ...string) []hook.Point {
	out := make([]hook.Point, len(names))
	for i, n := range names {
		out[i] = pt(n)
	}
	return out
}

func poss(names ...string) []hook.Position {
	out := make([]hook.Position, len(names))
	for i, n := range names {
		out[i] = pos(n)
	}
	return out
}

func pt(name string) hook.Point {
	p, err := hook.ParsePoint(name)
	if err != nil {
		panic(err)
	}
	return p
}

func pos(name string) hook.Position { return hook.MustPosition(name) }

func key(p, q string) hook.Key { return hook.Key{Point: pt(p), Position: pos(q)} }
