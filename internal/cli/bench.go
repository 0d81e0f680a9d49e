package cli

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ifprobe/ifprobe/pkg/compute"
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
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure f32 matmul GFLOP/s on every backend this machine can open",
		Long: `Bench times an f32 [n,n]x[n,n] matrix product for each size on every backend
ifprobe can open here (XLA CUDA, XLA CPU, SimpleGo), after one untimed run that
compiles the graph, and checks one row of each result against a float64 product.
The model-level benchmarks are Go benchmarks: see BENCHMARKS.md.`,
		Example: "  ifprobe bench\n  ifprobe bench --sizes 256,1024 --time 3s --json\n  ifprobe bench --backend go",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
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
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(rows)
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
	return cmd
}
