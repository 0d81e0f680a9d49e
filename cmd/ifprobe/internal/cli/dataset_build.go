package cli

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/ifprobe/ifprobe/internal/progress"
	"github.com/ifprobe/ifprobe/internal/shard"
	"github.com/ifprobe/ifprobe/pipeline/build"
	"github.com/ifprobe/ifprobe/pkg/dataset"
	"github.com/ifprobe/ifprobe/pkg/lm"
	"github.com/ifprobe/ifprobe/pkg/model"
	"github.com/ifprobe/ifprobe/pkg/safetensors"
)

func newDatasetBuildCmd() *cobra.Command {
	var (
		cfg                                      build.Config
		modelName, taskList, out, backend, fracs string
		space                                    []string
		f16                                      bool
		shardFlag                                string
		weights                                  model.WeightDType
	)
	var devicesFlag string // --devices
	cmd := &cobra.Command{
		Use:   "build --model M --out DIR",
		Short: "Have a model answer the prompt set, verify the answers and capture its activations",
		Long: `Build plans the prompt items (as 'dataset plan'), has the model answer each one
through its chat template, verifies every answer with its task, and writes
DIR/dataset.jsonl plus the activation store DIR/acts (blocks.{L}.resid_post at every
layer, at prompt_last, response_first, the --fractions of the response, and eos).
It resumes: rerun the same command after an interruption. At the end it prints each
task's pass rate and flags a minority class under 20%.

--shard I/N builds only part I (0-based) of N into DIR/parts/, for job arrays:
--shard auto reads the part from a Slurm array ($SLURM_ARRAY_TASK_ID of
$SLURM_ARRAY_TASK_COUNT) or a Kubernetes Indexed Job ($JOB_COMPLETION_INDEX of
$IFPROBE_SHARD_COUNT). Every part must get the same flags. When all N parts are
done, 'ifprobe dataset merge --out DIR' (or this command without --shard) writes
DIR exactly as one process would have.`,
		Example: "  ifprobe dataset build --model smollm2-135m-instruct --per-task 40 --out runs/data\n" +
			"  ifprobe dataset build --model smollm2-135m-instruct --tasks lowercase,topic --per-task 100 --max-tokens 128 --out runs/data2\n" +
			"  ifprobe dataset build --model smollm2-135m-instruct --per-task 40 --out runs/data --shard 2/4",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return Usagef("dataset build: --out is required")
			}
			var err error
			if cfg.Plan.Tasks, err = listFlag("tasks", taskList); err != nil {
				return err
			}
			if cfg.Plan.Space, err = dataset.ParseSpace(space); err != nil {
				return Usagef("dataset build: --space: %v", err)
			}
			if cfg.Fractions, err = parseFractions(fracs); err != nil {
				return Usagef("dataset build: %v", err)
			}
			if _, err := dataset.Plan(cfg.Plan); errors.Is(err, dataset.ErrBadConfig) {
				return Usagef("dataset build: %v", err)
			}
			if cfg.Batch < 1 || cfg.MaxTokens < 1 {
				return Usagef("dataset build: --batch (%d) and --max-tokens (%d) must be at least 1", cfg.Batch, cfg.MaxTokens)
			}
			if f16 {
				cfg.DType = safetensors.F16
			}
			if err := resolveModels("model", []string{modelName}); err != nil {
				return err
			}
			if cfg.Shard, err = shard.Parse(shardFlag); err != nil {
				return Usagef("dataset build: --shard: %v", err)
			}
			b, info, devices, err := openBackend("dataset build", backend, devicesFlag)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "backend: %s (%s)\n", info.Name, info.Reason)
			m, err := lm.Load(modelName, lm.Options{Backend: b, Devices: devices, Weights: weights})
			if err != nil {
				return modelError(err)
			}
			bar := progress.New(os.Stderr, "dataset "+m.Name, 0)
			cfg.Progress = bar.Set
			st, err := build.Build(cmd.Context(), m, out, cfg)
			bar.Done()
			if st != nil && st.Repaired != nil {
				r := st.Repaired
				fmt.Fprintf(cmd.ErrOrStderr(), "dataset build: the activation store's shard %d was damaged (%s): dropped it and %d later shard(s); their %d examples were generated again\n",
					r.Shard, r.Problem, r.Shards-1, r.Examples)
			}
			if err != nil {
				return err
			}
			if st.Generation != nil && st.Generation.Steps > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "generation: %s\n", st.Generation)
			}
			where := out
			if !cfg.Shard.Whole() {
				where = build.PartDir(out, cfg.Shard)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d items (%d generated now, %d tokens) in %s: %s\n",
				st.Items, st.Generated, st.GeneratedTokens, st.Elapsed.Round(1e9), build.DatasetPath(where))
			return dataset.WriteSummary(cmd.OutOrStdout(), st.Summary)
		},
	}
	f := cmd.Flags()
	f.StringVar(&modelName, "model", "smollm2-135m-instruct", "registry name or GGUF path")
	f.StringVar(&taskList, "tasks", "all", "comma-separated task names, or all")
	f.IntVar(&cfg.Plan.PerTask, "per-task", 40, "instructed items per task")
	f.Uint64Var(&cfg.Plan.Seed, "seed", 1, "random seed")
	f.IntVar(&cfg.Plan.Folds, "folds", dataset.DefaultFolds, "cross-validation folds (grouped by base request)")
	f.BoolVar(&cfg.Plan.NoControls, "no-controls", false, "leave out the control items (base requests without instruction)")
	f.StringArrayVar(&space, "space", nil, "sampling domain override: task.param=MIN:MAX or task.param=v1|v2 (repeatable)")
	f.IntVar(&cfg.MaxTokens, "max-tokens", 96, "response length limit")
	f.IntVar(&cfg.Batch, "batch", 8, "prompts generated together")
	f.StringVar(&fracs, "fractions", "0.25,0.5,0.75,1", "fractions of the response with stored activations")
	f.BoolVar(&f16, "f16", false, "store activations as float16 (half the disk)")
	f.StringVar(&backend, "backend", "", `GoMLX backend ("go", "xla:cpu", ...); default: $IFPROBE_BACKEND or automatic`)
	addDevicesFlag(cmd, &devicesFlag)
	addWeightsFlag(f, &weights)
	f.StringVar(&out, "out", "", "output directory")
	f.StringVar(&shardFlag, "shard", "", "build only part I/N (0-based) of the plan into OUT/parts, or auto (from Slurm or a Kubernetes Indexed Job)")
	return cmd
}

func newDatasetMergeCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "merge --out DIR",
		Short: "Join the parts of a sharded 'dataset build' into one dataset",
		Long: `merge checks that DIR/parts holds all N parts of one sharded build (same
settings, each finished) and writes DIR/plan.jsonl, DIR/dataset.jsonl, the
activation store DIR/acts, summary.json and build.json exactly as one process
would have written them. It is safe to run from several processes at once (they
wait for each other) and resumes after an interruption; the parts are kept.`,
		Example: "  ifprobe dataset merge --out runs/data",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return Usagef("dataset merge: --out is required")
			}
			st, err := build.Merge(out)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d items: %s\n", st.Items, build.DatasetPath(out))
			return dataset.WriteSummary(cmd.OutOrStdout(), st.Summary)
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "the --out directory of the sharded build")
	return cmd
}

// parseFractions parses "0.25,0.5,1" into fractions in [0, 1] (at least one).
func parseFractions(s string) ([]float64, error) {
	var out []float64
	list, err := listFlag("fractions", s)
	if err != nil {
		return nil, err
	}
	for _, p := range list {
		v, err := strconv.ParseFloat(p, 64)
		if err != nil || v < 0 || v > 1 {
			return nil, fmt.Errorf("%q is not a fraction in [0, 1]", p)
		}
		out = append(out, v)
	}
	return out, nil
}
