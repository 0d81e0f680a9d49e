package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/internal/progress"
	"github.com/ifprobe/ifprobe/internal/shard"
	"github.com/ifprobe/ifprobe/pipeline"
	"github.com/ifprobe/ifprobe/pkg/model"
)

func init() { register(newReproduceCmd) }

func newReproduceCmd() *cobra.Command {
	var (
		models, profile, out, backend string
		weights                       model.WeightDType
		shardFlag, stage              string
		seed, nullSeed                uint64
		withControls, noTruncated     bool
		batch                         int
	)
	var devicesFlag string // --devices
	cmd := &cobra.Command{
		Use:   "reproduce",
		Short: "Run the whole study (dataset, probes, five findings) and write a report",
		Long: `reproduce builds the labelled dataset from each model's own responses, trains
probes at every layer and position, runs the five findings (specialist vs general,
transfer, ablation, layers, temporal) and writes OUT/report.html and OUT/report.md
with figures, tables and verdicts side by side across models.

Every stage resumes from what is on disk: rerun the same command after an
interruption. Profiles: quick (the default: about 4-5 minutes on a 2-core CPU),
standard (150 items per task on SmolLM2-135M and Qwen2.5-Coder-0.5B, enough
power for effects of a few AUROC points; 41 minutes measured on 2 cores), paper
(the study's sizes), ci (smallest run that exercises every stage). --batch sets
how many prompts are generated together (the profile's by default; see
BENCHMARKS.md for speed and memory by batch size); it changes no result beyond
float rounding.

Each finding gets a status: holds, partly, not_supported, contradicted or
inconclusive, with its statistic, 95% CI, n and minimum detectable effect; see
"How to read a verdict" in README.md.

--null-seed K is the negative control: it reuses the run's dataset, shuffles
every task's labels (counts kept) with seed K before probing and erasure, and
writes OUT/null-K/report.*. No finding may hold on it.

--exclude-truncated gives the findings without the responses that the token
limit stopped (they count in the report's pass-rate table): it reuses the
dataset and writes OUT/no-truncated/report.*, to read beside the run's own.

On a cluster, split the run across a job array (README, "A paper-scale study
on a cluster"; examples/cluster): --shard I/N (or auto, from Slurm's or a
Kubernetes Indexed Job's environment) with --stage dataset generates part I of
N of each model's dataset; then --stage grid merges the dataset and trains part
I of N of the probe grid; then a run without --shard finishes: it reads the grid
from its cache, runs the findings and writes the report. Every process of a
stage gets the same flags.`,
		Example: `  ifprobe reproduce --out runs/quick
  ifprobe reproduce --models smollm2-135m-instruct,gemma3-270m --profile quick --out runs/two
  ifprobe reproduce --profile standard --out runs/standard
  ifprobe reproduce --profile paper --out runs/paper
  ifprobe reproduce --out runs/quick --null-seed 1     # the label-permutation null
  ifprobe reproduce --out runs/quick --exclude-truncated
  ifprobe reproduce --profile paper --out /shared/paper --shard auto --stage dataset`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := pipeline.ProfileByName(profile)
			if err != nil {
				return &UsageError{err}
			}
			switch {
			case batch < 0 || batch > 4096:
				return Usagef("reproduce: --batch %d is out of [1, 4096]", batch)
			case batch > 0:
				p.Batch = batch
			}
			// --models: the profile's models unless given; given, it may not be empty.
			var names []string
			if cmd.Flags().Changed("models") {
				if names, err = listFlag("models", models); err != nil {
					return err
				}
			}
			names = p.ModelsFor(names)
			if err := resolveModels("models", names); err != nil {
				return err
			}
			if out == "" {
				out = filepath.Join("runs", profile)
			}
			if withControls {
				p.Controls = true
			}
			sh, err := shard.Parse(shardFlag)
			if err != nil {
				return &UsageError{fmt.Errorf("--shard: %w", err)}
			}
			st, err := pipeline.ParseStage(stage)
			if err != nil {
				return &UsageError{fmt.Errorf("--stage: %w", err)}
			}
			b, info, devices, err := openBackend("reproduce", backend, devicesFlag)
			if err != nil {
				return err
			}
			errw := cmd.ErrOrStderr()
			fmt.Fprintf(errw, "backend: %s (%s)\n", info.Name, info.Reason)
			bars := map[string]*progress.Bar{}
			cfg := pipeline.Config{Models: names, Profile: p, Out: out, Seed: seed, Backend: b, Devices: devices, Weights: weights, Log: errw, Shard: sh, Stage: st,
				Progress: func(model, stage string, done, total int) {
					key := model + " " + stage
					if bars[key] == nil {
						bars[key] = progress.New(os.Stderr, key, total)
					}
					bars[key].Set(done, total)
				}}
			if cmd.Flags().Changed("null-seed") {
				cfg.NullSeed = &nullSeed
			}
			cfg.ExcludeTruncated = noTruncated
			rep, err := pipeline.Run(cmd.Context(), cfg)
			for _, bar := range bars {
				bar.Done()
			}
			if err != nil {
				return err
			}
			if !sh.Whole() {
				fmt.Fprintf(cmd.OutOrStdout(), "%s part %s done in %s\n", st, sh, out)
				return nil
			}
			printVerdicts(cmd.OutOrStdout(), rep)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&models, "models", "", "comma-separated registry names or GGUF paths (default: the profile's, else "+pipeline.DefaultModel+")")
	f.StringVar(&profile, "profile", "quick", "sizes: quick, standard, paper or ci")
	f.IntVar(&batch, "batch", 0, "prompts generated together (default: the profile's)")
	f.StringVar(&out, "out", "", "output directory (default runs/<profile>)")
	f.Uint64Var(&seed, "seed", 0, "seed of every random choice")
	f.BoolVar(&withControls, "controls", false, "also answer every base request without instruction (the paper profile does), and project those states on the probe directions")
	f.BoolVar(&noTruncated, "exclude-truncated", false, "probe only responses that ended before the token limit (reuses the dataset; writes OUT/no-truncated)")
	f.Uint64Var(&nullSeed, "null-seed", 0, "run the label-permutation null with this seed (reuses the dataset; writes OUT/null-K)")
	f.StringVar(&backend, "backend", "", `GoMLX backend ("go", "xla:cpu", ...); default: $IFPROBE_BACKEND or automatic`)
	addDevicesFlag(cmd, &devicesFlag)
	addWeightsFlag(f, &weights)
	f.StringVar(&shardFlag, "shard", "", "run only part I/N (0-based) of --stage, or auto (from Slurm or a Kubernetes Indexed Job)")
	f.StringVar(&stage, "stage", string(pipeline.StageDataset), "with --shard: dataset or grid")
	return cmd
}

// printVerdicts prints where the report is and, per model, each finding's
// status and primary statistic, then the verdict's prose.
func printVerdicts(w io.Writer, rep *pipeline.Report) {
	fmt.Fprintf(w, "report: %s\n", filepath.Join(rep.Config.ReportDir(), "report.html"))
	for _, m := range rep.Models {
		fmt.Fprintf(w, "\n%s\n", m.Model)
		for _, a := range analyses.All() {
			v, ok := m.Verdicts[a.Name()]
			if !ok {
				fmt.Fprintf(w, "  %-10s not computed: %s\n", a.Name(), m.Errors[a.Name()])
				continue
			}
			fmt.Fprintf(w, "  %-10s %-13s %s = %s\n", a.Name(), v.Status, v.Primary.Statistic, v.Primary.Short())
			fmt.Fprintf(w, "  %-10s %s\n", "", v.Text)
		}
	}
}
