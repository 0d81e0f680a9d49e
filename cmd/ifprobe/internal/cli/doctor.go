package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ifprobe/ifprobe/cmd/ifprobe/internal/doctor"
	"github.com/ifprobe/ifprobe/pkg/compute"
)

func init() { register(newDoctorCmd) }

func newDoctorCmd() *cobra.Command {
	var (
		asJSON  bool
		noBench bool
		backend string
		root    string
	)
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the installation: backend, speed, models, Jupyter and the Go kernel",
		Long: `Doctor reports the compute backend ifprobe chooses and why (XLA on a GPU, XLA
on the CPU, or SimpleGo), the PJRT plugin and device, a measured f32 matmul speed
(about one second), the installed models, Jupyter and its "ifprobe" kernel, and
go, gonb and goimports. It installs nothing.

It exits with 4 when something the Quickstart needs is missing, after printing the
fix for each (usually: run ./install.sh).`,
		Example: "  ifprobe doctor\n  ifprobe doctor --json --no-bench\n  IFPROBE_BACKEND=xla:cpu ifprobe doctor",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := compute.CheckChoice(backend); err != nil {
				return Usagef("--backend: %w", err)
			}
			r := doctor.Run(cmd.Context(), doctor.Options{Root: root, Backend: backend, SkipMatMul: noBench})
			var err error
			if asJSON {
				err = writeDoctorJSON(cmd.OutOrStdout(), r)
			} else {
				err = writeDoctorText(cmd.OutOrStdout(), r)
			}
			if err != nil {
				return err
			}
			if p := r.Problems(); len(p) > 0 {
				names := make([]string, len(p))
				for i, c := range p {
					names[i] = c.Name
				}
				return &MissingError{fmt.Errorf("doctor: missing: %s: run ./install.sh", strings.Join(names, ", "))}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.Flags().BoolVar(&noBench, "no-bench", false, "skip the matmul measurement")
	cmd.Flags().StringVar(&backend, "backend", "", "backend to check instead of the automatic choice (go, xla, xla:cpu, xla:cuda, xla:/path/plugin.so)")
	cmd.Flags().StringVar(&root, "root", "", "the ifprobe checkout, for .venv (default $IFPROBE_ROOT, else the working directory)")
	return cmd
}

func writeDoctorJSON(w io.Writer, r doctor.Report) error {
	return writeJSON(w, r)
}

func writeDoctorText(w io.Writer, r doctor.Report) error {
	if r.Backend.Kind == "" {
		fmt.Fprintln(w, "backend:  none could be opened")
	} else {
		fmt.Fprintf(w, "backend:  %s (%s)\n", r.Backend.Kind, r.Backend.Config)
	}
	fmt.Fprintf(w, "reason:   %s\n", r.Backend.Reason)
	if r.Backend.PluginPath != "" {
		fmt.Fprintf(w, "plugin:   %s\n", r.Backend.PluginPath)
	}
	if r.Backend.Device != "" {
		fmt.Fprintf(w, "device:   %s\n", r.Backend.Device)
		fmt.Fprintf(w, "devices:  %d (what --devices all uses)\n", r.Backend.Devices)
	}
	if r.Backend.Kind == compute.KindXLACUDA {
		fmt.Fprintf(w, "products: %s (f32 matrix products; $%s=1 allows TF32)\n", r.Backend.MatMul, compute.EnvTF32)
	}
	fmt.Fprintf(w, "cpu:      %s\n", r.CPU)
	if r.MatMul != nil {
		fmt.Fprintf(w, "matmul:   %.1f GFLOP/s (f32 %dx%d, %d runs in %s)\n",
			r.MatMul.GFLOPs, r.MatMul.N, r.MatMul.N, r.MatMul.Runs, r.MatMul.Elapsed.Round(time.Millisecond))
	}
	fmt.Fprintf(w, "home:     %s\n\n", r.Home)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tSTATUS\tDETAIL")
	for _, c := range r.Checks {
		status := string(c.Status)
		if c.Status != doctor.OK && !c.Required {
			status += " (optional)"
		}
		detail := c.Detail
		if c.Fix != "" && c.Status == doctor.Missing {
			detail += " -> fix: " + c.Fix
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Name, status, detail)
	}
	return tw.Flush()
}
