package capture_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"

	"github.com/ifprobe/ifprobe/pkg/acts"
	"github.com/ifprobe/ifprobe/pkg/capture"
	"github.com/ifprobe/ifprobe/pkg/chat"
	"github.com/ifprobe/ifprobe/pkg/compute"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/lm"
	"github.com/ifprobe/ifprobe/pkg/model"
	"github.com/ifprobe/ifprobe/pkg/registry"
)

// benchBackend is XLA CPU when it opens, else SimpleGo.
func benchBackend(tb testing.TB) (backends.Backend, string) {
	if b, info, err := compute.Open("xla:cpu"); err == nil {
		return b, info.Name
	}
	b, info, err := compute.Open("go")
	if err != nil {
		tb.Fatal(err)
	}
	return b, info.Name
}

func benchLM(tb testing.TB) (*lm.LM, string) {
	path, err := registry.Path("smollm2-135m-instruct")
	if err != nil {
		tb.Skipf("SmolLM2-135M not installed (./install.sh): %v", err)
	}
	b, name := benchBackend(tb)
	m, err := lm.Load(path, lm.Options{Backend: b})
	if err != nil {
		tb.Fatal(err)
	}
	return m, name
}

// BenchmarkGenerateCapture generates 32 tokens for 4 chat prompts with SmolLM2-135M,
// without capture (the peer), with every layer's resid_post captured by
// model.Generate, and through capture.Run (capture plus selection into the cache at
// prompt_last, step:8 and eos). Compare generated-tok/s across the three. Run:
//
//	go test ./pkg/capture -run '^$' -bench BenchmarkGenerateCapture -benchtime 5x
func BenchmarkGenerateCapture(b *testing.B) {
	m, backend := benchLM(b)
	b.Logf("backend %s", backend)
	ps := []capture.Prompt{{ID: "a", Text: "List three colors."}, {ID: "b", Text: "Say hi in French."},
		{ID: "c", Text: "What is 2+2?"}, {ID: "d", Text: "Name a fruit."}}
	seqs := make([][]int, len(ps))
	for i, p := range ps {
		ids, err := m.EncodeChat(context.Background(), []chat.Message{{Role: "user", Content: p.Text}})
		if err != nil {
			b.Fatal(err)
		}
		seqs[i] = ids
	}
	const tokens = 32
	hooks, _ := hook.ParsePoints("blocks.*.resid_post", m.Model.Config.NLayers)
	gen := func(capt []hook.Point) func() (int, error) {
		return func() (int, error) {
			_, st, err := m.Model.Generate(seqs, model.GenerateOptions{MaxTokens: tokens, IgnoreStop: true, Capture: capt})
			if err != nil {
				return 0, err
			}
			return st.GeneratedTokens, nil
		}
	}
	run := func() (int, error) {
		_, st, err := capture.Run(context.Background(), m, ps, capture.Options{Hooks: hooks, Generate: true,
			MaxTokens: tokens, IgnoreStop: true, Batch: len(ps),
			Positions: []hook.Position{hook.PromptLast, hook.Step(8), hook.EOS}})
		if err != nil {
			return 0, err
		}
		return st.GeneratedTokens, nil
	}
	for _, c := range []struct {
		name string
		fn   func() (int, error)
	}{{"capture=none", gen(nil)}, {"capture=resid_post_all/model.Generate", gen(hooks)}, {"capture=resid_post_all/capture.Run", run}} {
		b.Run(c.name, func(b *testing.B) {
			if _, err := c.fn(); err != nil { // compile outside the timer
				b.Fatal(err)
			}
			b.ResetTimer()
			n := 0
			for range b.N {
				k, err := c.fn()
				if err != nil {
					b.Fatal(err)
				}
				n += k
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "generated-tok/s")
		})
	}
}

// storeHelperEnv makes the test binary run storeHelper instead of the tests.
const storeHelperEnv = "IFPROBE_CAPTURE_BENCH_HELPER"

func TestMain(m *testing.M) {
	if args := os.Getenv(storeHelperEnv); args != "" {
		if err := storeHelper(args); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// storeHelper captures n short raw prompts (forward only, every layer's resid_post at
// prompt_last, batches of 8, shards of 64 rows) into a store in dir, then prints its
// peak RSS, the largest HeapInuse sampled after each batch, and the heap still live
// after a final GC (what the run keeps: the Writer's id set), as JSON.
func storeHelper(args string) error {
	dir, ns, _ := strings.Cut(args, " ")
	n, err := strconv.Atoi(ns)
	if err != nil {
		return err
	}
	m, _ := benchLM(&testing.B{})
	hooks, _ := hook.ParsePoints("blocks.*.resid_post", m.Model.Config.NLayers)
	ps := make([]capture.Prompt, n)
	for i := range ps {
		ps[i] = capture.Prompt{ID: strconv.Itoa(i), Text: fmt.Sprintf("Item %d: say yes.", i%100)}
	}
	var peakHeap uint64
	opts := capture.Options{Hooks: hooks, Positions: []hook.Position{hook.PromptLast}, Raw: true, Batch: 8,
		Progress: func(int, int) {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peakHeap = max(peakHeap, ms.HeapInuse)
		}}
	cfg, err := capture.StoreConfig(m, opts)
	if err != nil {
		return err
	}
	cfg.ShardRows = 64
	w, err := acts.Create(dir, cfg)
	if err != nil {
		return err
	}
	if _, err := capture.Store(context.Background(), m, ps, w, opts); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return err
	}
	hwm := 0
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			hwm, _ = strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{"vmhwm_kb": hwm, "peak_heap_inuse": peakHeap, "live_heap": ms.HeapAlloc})
}

// BenchmarkStorePeakRSS captures 200 and 1000 short prompts into a store, each in a
// fresh process, and reports that process's peak RSS (VmHWM), peak Go heap (sampled
// after each batch) and live heap at the end: with memory bounded by one batch and one
// shard, they must stay flat as the count grows fivefold. Run:
//
//	go test ./pkg/capture -run '^$' -bench BenchmarkStorePeakRSS -benchtime 1x
func BenchmarkStorePeakRSS(b *testing.B) {
	if _, err := registry.Path("smollm2-135m-instruct"); err != nil {
		b.Skipf("SmolLM2-135M not installed (./install.sh): %v", err)
	}
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{200, 1000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for range b.N {
				dir := b.TempDir()
				cmd := exec.Command(exe)
				cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %d", storeHelperEnv, dir, n))
				cmd.Stderr = os.Stderr
				out, err := cmd.Output()
				if err != nil {
					b.Fatal(err)
				}
				var r struct {
					VmHWM    int    `json:"vmhwm_kb"`
					PeakHeap uint64 `json:"peak_heap_inuse"`
					Live     uint64 `json:"live_heap"`
				}
				if err := json.Unmarshal(out, &r); err != nil {
					b.Fatalf("%v: %s", err, out)
				}
				b.ReportMetric(float64(r.VmHWM)/1024, "peak-RSS-MiB")
				b.ReportMetric(float64(r.PeakHeap)/(1<<20), "peak-heap-MiB")
				b.ReportMetric(float64(r.Live)/(1<<20), "live-heap-MiB")
				b.ReportMetric(0, "ns/op")
			}
		})
	}
}
