package acts

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/safetensors"
)

// benchExamples is the number of examples each write benchmark iteration stores: two
// shards of memConfig (30 layers × 2 positions × d_model 576, 256 rows per shard).
const benchExamples = 512

// BenchmarkWrite measures Writer throughput for F32 and F16, each next to its peer: a
// plain os.File writing the same number of bytes in shard-sized files with one fsync
// each (no encoding, hashing, manifest or rename). Run:
//
//	go test ./pkg/acts -run '^$' -bench BenchmarkWrite -benchtime 5x -count 3
func BenchmarkWrite(b *testing.B) {
	for _, dt := range []safetensors.DType{safetensors.F32, safetensors.F16} {
		b.Run("store-"+string(dt), func(b *testing.B) { benchStore(b, dt) })
		b.Run("rawfile-"+string(dt), func(b *testing.B) { benchRaw(b, dt) })
	}
}

func benchStore(b *testing.B, dt safetensors.DType) {
	cfg := memConfig()
	cfg.DType = dt
	keys := keysOf(cfg.Hooks, cfg.Positions)
	_, x := synth(0, keys, cfg.DModel)
	var bytes int64
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		b.StopTimer()
		dir := b.TempDir()
		b.StartTimer()
		w, err := Create(dir, cfg)
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < benchExamples; i++ {
			if err := w.Add(Example{ID: fmt.Sprintf("e%d", i), Task: "t"}, x); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		bytes = diskBytes(b, dir)
		os.RemoveAll(dir)
		b.StartTimer()
	}
	report(b, bytes)
}

func benchRaw(b *testing.B, dt safetensors.DType) {
	cfg := memConfig()
	shardBytes := cfg.ShardRows * len(keysOf(cfg.Hooks, cfg.Positions)) * cfg.DModel * dt.Size()
	buf := make([]byte, shardBytes)
	for i := range buf {
		buf[i] = byte(i)
	}
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		b.StopTimer()
		dir := b.TempDir()
		b.StartTimer()
		for s := 0; s < benchExamples/cfg.ShardRows; s++ {
			f, err := os.Create(filepath.Join(dir, fmt.Sprint(s)))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := f.Write(buf); err != nil {
				b.Fatal(err)
			}
			if err := f.Sync(); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
		b.StopTimer()
		os.RemoveAll(dir)
		b.StartTimer()
	}
	report(b, int64(shardBytes*(benchExamples/cfg.ShardRows)))
}

func report(b *testing.B, bytes int64) {
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(benchExamples)/sec, "examples/s")
	b.ReportMetric(float64(bytes)/sec/1e6, "MB/s")
	b.ReportMetric(0, "ns/op") // per-iteration time is not the figure of interest
}

func diskBytes(b *testing.B, dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			n += info.Size()
		}
		return nil
	})
	return n
}

// BenchmarkPeakMemory writes 1,000 and 10,000 examples of memConfig (F16, shard 256
// rows = 17.7 MB) in a fresh process each and reports that process's peak RSS (VmHWM)
// and the largest Go HeapInuse it saw: with memory bounded by one shard, both must stay
// flat as the count grows tenfold. Run:
//
//	go test ./pkg/acts -run '^$' -bench BenchmarkPeakMemory -benchtime 1x
func BenchmarkPeakMemory(b *testing.B) {
	for _, n := range []int{1000, 10000, 20000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			exe, err := os.Executable()
			if err != nil {
				b.Fatal(err)
			}
			for it := 0; it < b.N; it++ {
				dir := b.TempDir()
				cmd := exec.Command(exe)
				cmd.Env = append(os.Environ(), helperEnv+"=mem", fmt.Sprintf("IFPROBE_ACTS_ARGS=%s %d", dir, n))
				cmd.Stderr = os.Stderr
				out, err := cmd.Output()
				if err != nil {
					b.Fatal(err)
				}
				var r struct {
					VmHWM     int    `json:"vmhwm_kb"`
					PeakHeap  uint64 `json:"peak_heap_inuse"`
					TotalAllo uint64 `json:"total_alloc"`
					Live      uint64 `json:"live_heap"`
				}
				if err := json.Unmarshal(out, &r); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(r.VmHWM)/1024, "peak-RSS-MiB")
				b.ReportMetric(float64(r.PeakHeap)/(1<<20), "peak-heap-MiB")
				b.ReportMetric(float64(r.TotalAllo)/(1<<20), "total-alloc-MiB")
				b.ReportMetric(float64(r.Live)/(1<<20), "live-heap-MiB")
				b.ReportMetric(0, "ns/op")
				os.RemoveAll(dir)
			}
		})
	}
}
