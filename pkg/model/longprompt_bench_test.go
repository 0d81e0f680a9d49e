package model

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Peak memory and time of prefilling one long prompt (SmolLM2-135M, or random
// weights of its shape with IFPROBE_BENCH_WEIGHTS=random) attended in blocks of
// defaultAttnBlock queries ("blocked") against the whole prompt at once ("whole"),
// each measurement in a fresh process so that its peak RSS is its own; the backend
// is $IFPROBE_BACKEND or the default. BENCHMARKS.md "Long prompts" has the figures
// and the command:
//
//	go test -run '^$' -bench 'LongPrompt' -benchtime 1x -timeout 60m ./pkg/model/
//
// IFPROBE_LONGPROMPT="1024,4096" and IFPROBE_LONGPROMPT_MODES="blocked" narrow it.
func BenchmarkLongPrompt(b *testing.B) {
	sizes := []int{1024, 4096, 8192}
	if s := os.Getenv("IFPROBE_LONGPROMPT"); s != "" {
		sizes = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(f)
			if err != nil {
				b.Fatalf("IFPROBE_LONGPROMPT: %v", err)
			}
			sizes = append(sizes, n)
		}
	}
	modes := []string{"blocked", "whole"}
	if s := os.Getenv("IFPROBE_LONGPROMPT_MODES"); s != "" {
		modes = strings.Split(s, ",")
	}
	for _, n := range sizes {
		for _, mode := range modes {
			b.Run(fmt.Sprintf("tokens=%d/%s", n, mode), func(b *testing.B) {
				var r longPromptResult
				for range b.N {
					r = runLongPromptChild(b, n, mode)
				}
				b.ReportMetric(r.PeakRSSMB, "peak-RSS-MB")
				b.ReportMetric(r.RunMB, "run-MB")
				b.ReportMetric(r.RunS, "s/prefill")
				b.ReportMetric(r.FirstS, "s/first-prefill")
			})
		}
	}
}

// longPromptResult is what a child reports. The first prefill compiles the graphs;
// the second runs them only, and its memory is measured from the resident set just
// before it (the peak is reset, Linux /proc/self/clear_refs).
type longPromptResult struct {
	Tokens      int     `json:"tokens"`
	Mode        string  `json:"mode"`
	LoadedRSSMB float64 `json:"loaded_rss_mb"` // after the model is loaded
	PeakRSSMB   float64 `json:"peak_rss_mb"`   // the whole process's peak (rusage), compilation included
	FirstS      float64 `json:"first_s"`       // the first prefill, compilation included
	RunS        float64 `json:"run_s"`         // the second prefill
	RunMB       float64 `json:"run_mb"`        // the second prefill's peak above the resident set before it
}

const longPromptEnv = "IFPROBE_LONGPROMPT_CHILD"

func runLongPromptChild(b *testing.B, n int, mode string) longPromptResult {
	cmd := exec.Command(os.Args[0], "-test.run=^TestLongPromptChild$", "-test.timeout=0")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d,%s", longPromptEnv, n, mode))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("child %d %s: %v", n, mode, err)
	}
	var r longPromptResult
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "{") && json.Unmarshal([]byte(line), &r) == nil {
			break
		}
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.PeakRSSMB = float64(ru.Maxrss) / 1024 // Linux: kB
	}
	return r
}

// TestLongPromptChild is the measured process of BenchmarkLongPrompt (skipped
// unless the benchmark runs it).
func TestLongPromptChild(t *testing.T) {
	spec := os.Getenv(longPromptEnv)
	if spec == "" {
		t.Skip("run by BenchmarkLongPrompt")
	}
	ns, mode, _ := strings.Cut(spec, ",")
	n, _ := strconv.Atoi(ns)
	m := benchModel(t)
	if mode == "whole" {
		m.attnBlock = 0
	}
	r := longPromptResult{Tokens: n, Mode: mode, LoadedRSSMB: float64(procStatusKB("VmRSS:")) / 1024}
	prompt := SyntheticPrompts(1, n, m.Config.VocabSize)
	prefill := func() float64 {
		start := time.Now()
		if _, err := m.Forward(prompt, ForwardOptions{Logits: LastLogits}); err != nil {
			t.Fatal(err)
		}
		return time.Since(start).Seconds()
	}
	r.FirstS = prefill()
	runtime.GC()
	debug.FreeOSMemory()
	before := procStatusKB("VmRSS:")
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0o644) // the peak restarts from the resident set now
	r.RunS = prefill()
	r.RunMB = float64(procStatusKB("VmHWM:")-before) / 1024
	json.NewEncoder(os.Stdout).Encode(r)
}

// procStatusKB reads a field of this process's /proc status ("VmRSS:", "VmHWM:")
// in kB (Linux), -1 elsewhere.
func procStatusKB(field string) int {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return kb
		}
	}
	return -1
}
