package cli

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/spf13/cobra"

	"github.com/ifprobe/ifprobe/pkg/compute"
	"github.com/ifprobe/ifprobe/pkg/lm"
	"github.com/ifprobe/ifprobe/pkg/model"
)

func init() { register(newBenchCmd) }

// benchRow is one line of `ifprobe bench`.
type benchRow struct {
	Backend compute.Kind `json:"backend"`
	Config  string       `json:"config"`
	compute.MatMulResult
	Error string `json:"error,omitempty"`
}

func newBenchCmd() *cobra.Command {
	var (
		sizes   []int
		minTime time.Duration
		asJSON  bool
		backend string
		mo      benchModelOptions
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure f32 matmul GFLOP/s on every backend, or a model's tokens/s",
		Long: `Bench times an f32 [n,n]x[n,n] matrix product for each size on every backend
ifprobe can open here (XLA CUDA, XLA CPU, SimpleGo), after one untimed run that
compiles the graph, and checks one row of each result against a float64 product.

With --model it instead times the model on the chosen backend (--backend, else as
'ifprobe doctor' chooses): prefill of --batch prompts of --prompt tokens, and
greedy decode of --gen tokens per row, never stopping early, on synthetic token
ids, the median of --reps runs after an untimed one, with the KV cache's size
and the process's peak memory during each batch. --weights sweeps the type the
weights are kept in, loading the model anew for each entry in the order given
(repeat entries to alternate sides: f32,bf16,bf16,f32), with the weights' own
memory beside the peak. These are the workloads of
BENCHMARKS.md's throughput tables; the dataset stage of 'ifprobe reproduce'
decodes at the --batch of its profile (continuous batching keeps that many rows
busy).`,
		Example: "  ifprobe bench\n  ifprobe bench --sizes 256,1024 --time 3s --json\n  ifprobe bench --backend go\n" +
			"  ifprobe bench --model smollm2-135m-instruct --batch 32,64,128,256 --gen 96\n" +
			"  ifprobe bench --model smollm2-135m-instruct --weights f32,bf16,bf16,f32 --batch 1,64",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if mo.model != "" {
				return runBenchModel(cmd, mo, backend, asJSON)
			}
			if minTime <= 0 {
				return Usagef("--time must be positive, got %s", minTime)
			}
			for _, n := range sizes {
				if n < 1 || n > 8192 {
					return Usagef("--sizes: %d is out of [1, 8192]", n)
				}
			}
			cands := compute.Available()
			if backend != "" {
				if err := compute.CheckChoice(backend); err != nil {
					return Usagef("--backend: %w", err)
				}
				var err error
				if cands, err = compute.Plan(backend, "--backend", compute.Discover()); err != nil {
					return &MissingError{err}
				}
			}
			var rows []benchRow
			for _, c := range cands {
				b, _, err := compute.OpenCandidate(c)
				for _, n := range sizes {
					row := benchRow{Backend: c.Kind, Config: c.Config}
					row.N = n
					if err == nil {
						var res compute.MatMulResult
						if res, err = compute.MeasureMatMul(b, n, minTime); err == nil {
							row.MatMulResult = res
						}
					}
					if err != nil {
						row.Error = err.Error()
					}
					rows = append(rows, row)
				}
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), rows)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "BACKEND\tN\tGFLOP/S\tRUNS\tTIME")
			for _, r := range rows {
				if r.Error != "" {
					fmt.Fprintf(tw, "%s\t%d\terror: %s\t\t\n", r.Backend, r.N, r.Error)
					continue
				}
				fmt.Fprintf(tw, "%s\t%d\t%.1f\t%d\t%s\n", r.Backend, r.N, r.GFLOPs, r.Runs, r.Elapsed.Round(time.Millisecond))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().IntSliceVar(&sizes, "sizes", []int{128, 512, 1024}, "matrix sizes n")
	cmd.Flags().DurationVar(&minTime, "time", time.Second, "minimum timed duration per backend and size")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&backend, "backend", "", "measure only this backend (go, xla, xla:cpu, xla:cuda, xla:/path/plugin.so)")
	cmd.Flags().StringVar(&mo.model, "model", "", "time this model (registry name, GGUF file or Hugging Face directory) instead of matmul")
	cmd.Flags().IntSliceVar(&mo.batches, "batch", []int{1, 8, 32}, "with --model: batch sizes")
	cmd.Flags().IntVar(&mo.prompt, "prompt", 64, "with --model: prompt tokens per row")
	cmd.Flags().IntVar(&mo.gen, "gen", 32, "with --model: generated tokens per row (the first comes from the prefill)")
	cmd.Flags().IntVar(&mo.reps, "reps", 3, "with --model: timed runs per measurement (median)")
	cmd.Flags().StringVar(&mo.devices, "devices", "1", "with --model: "+devicesUsage+"; the decode's batch is spread over them, the prefill runs on the first")
	mo.weights = []model.WeightDType{model.WeightsF32}
	cmd.Flags().Var(weightsListValue{&mo.weights}, "weights", "with --model: weight types to measure in turn (comma-separated, repeats allowed): "+weightsUsage)
	return cmd
}

// benchModelOptions are the --model flags of bench.
type benchModelOptions struct {
	model, devices    string
	batches           []int
	prompt, gen, reps int
	weights           []model.WeightDType
}

// benchModelRow is one line of `ifprobe bench --model`.
type benchModelRow struct {
	Model   string `json:"model"`
	Backend string `json:"backend"`
	Devices int    `json:"devices"` // --devices: the decode's batch is spread over them
	// Weights is the type the weights were kept in; WeightsMiB their memory on
	// the backend (Model.WeightBytes).
	Weights    model.WeightDType `json:"weights"`
	WeightsMiB float64           `json:"weights_mib"`
	model.Throughput
	// PeakRSSMiB is the process's peak resident memory while measuring this batch
	// (Linux: VmHWM, reset before each batch; 0 where it cannot be read). It
	// includes the weights and compiled graphs.
	PeakRSSMiB float64 `json:"peak_rss_mib"`
}

func runBenchModel(cmd *cobra.Command, o benchModelOptions, backend string, asJSON bool) error {
	if len(o.batches) == 0 {
		return Usagef("--batch is empty: give at least one batch size")
	}
	for _, b := range o.batches {
		if b < 1 || b > 1024 {
			return Usagef("--batch: %d is out of [1, 1024]", b)
		}
	}
	if o.prompt < 1 || o.prompt > 8192 || o.gen < 2 || o.gen > 8192 || o.reps < 1 || o.reps > 100 {
		return Usagef("--prompt must be in [1, 8192], --gen in [2, 8192], --reps in [1, 100]")
	}
	if err := resolveModels("model", []string{o.model}); err != nil {
		return err
	}
	b, info, devices, err := openBackend("bench", backend, o.devices)
	if err != nil {
		return err
	}
	var rows []benchModelRow
	for _, w := range o.weights {
		r, err := benchWeights(o, b, info.Kind, devices, w)
		if err != nil {
			return err
		}
		rows = append(rows, r...)
	}
	if asJSON {
		return writeJSON(cmd.OutOrStdout(), rows)
	}
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tBACKEND\tDEVICES\tWEIGHTS\tWEIGHTS MIB\tBATCH\tPREFILL TOK/S\tDECODE TOK/S\tKV CACHE MIB\tPEAK RSS MIB")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%.0f\t%d\t%.1f\t%.1f\t%.0f\t%.0f\n", r.Model, r.Backend, r.Devices, r.Weights, r.WeightsMiB, r.Batch, r.Prefill, r.Decode, r.KVCacheMiB, r.PeakRSSMiB)
	}
	return tw.Flush()
}

// benchWeights loads the model with weights w, measures every batch and frees
// the model, so that the next entry of the sweep starts from the same memory.
func benchWeights(o benchModelOptions, b backends.Backend, kind compute.Kind, devices int, w model.WeightDType) ([]benchModelRow, error) {
	resetPeakRSS()
	m, err := lm.Load(o.model, lm.Options{Backend: b, Devices: devices, Weights: w})
	if err != nil {
		return nil, modelError(err)
	}
	defer m.Model.Close()
	var rows []benchModelRow
	for i, batch := range o.batches {
		if i > 0 {
			resetPeakRSS() // the first batch's peak includes the load
		}
		t, err := m.Model.MeasureThroughput(batch, o.prompt, o.gen, o.reps)
		if err != nil {
			return nil, fmt.Errorf("bench: %s, %s weights, batch %d: %w", m.Name, w, batch, err)
		}
		rows = append(rows, benchModelRow{Model: m.Name, Backend: string(kind), Devices: devices, Weights: w,
			WeightsMiB: float64(m.Model.WeightBytes()) / (1 << 20), Throughput: t, PeakRSSMiB: peakRSSMiB()})
	}
	return rows, nil
}

// resetPeakRSS restarts the kernel's peak-RSS count of this process (Linux:
// writing 5 to /proc/self/clear_refs resets VmHWM); elsewhere it does nothing.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSSMiB is this process's peak resident memory since resetPeakRSS (VmHWM),
// or 0 where /proc/self/status cannot be read.
func peakRSSMiB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err == nil {
				return float64(kb) / 1024
			}
		}
	}
	return 0
}
