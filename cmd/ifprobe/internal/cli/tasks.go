package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/ifprobe/ifprobe/internal/limitread"

	"github.com/spf13/cobra"

	"github.com/ifprobe/ifprobe/pkg/atomicfile"
	"github.com/ifprobe/ifprobe/pkg/dataset"
	"github.com/ifprobe/ifprobe/pkg/tasks"
)

func init() {
	register(newTasksCmd)
	register(newDatasetCmd)
}

func newTasksCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tasks <command>",
		Short: "List the nine instruction tasks and check responses against them",
		Long: `The nine tasks of the study: structural (word_limit, lowercase, json_format,
bullet_count), lexical (include_keyword, forbidden_word, end_phrase) and semantic
(sentiment, topic). Each has parameters, instruction phrasings and a verifier.`,
	}
	cmd.AddCommand(newTasksListCmd(), newTasksCheckCmd())
	return cmd
}

func newTasksListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the tasks, their kinds and parameters",
		Long: `List prints each task's name, kind, parameters and constraint. With --json it
prints every field, including the verifier's mode and all instruction phrasings.`,
		Example: "  ifprobe tasks list\n  ifprobe tasks list --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), tasks.All())
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tKIND\tPARAMETERS\tCONSTRAINT")
			for _, t := range tasks.All() {
				params := strings.Join(t.ParamNames(), ",")
				if params == "" {
					params = "-"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Name, t.Kind, params, t.Doc)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON with every field")
	return cmd
}

// checkResult is what `tasks check` prints.
type checkResult struct {
	Task      string `json:"task"`
	Satisfied bool   `json:"satisfied"`
	Reason    string `json:"reason"`
}

// maxResponseFile bounds --response-file: a model response is kilobytes.
const maxResponseFile = 64 << 20

func newTasksCheckCmd() *cobra.Command {
	var (
		task, response, responseFile string
		params                       []string
	)
	cmd := &cobra.Command{
		Use:   "check --task T [--param k=v ...] (--response TEXT | --response-file F)",
		Short: "Verify one response against a task and print the verdict as JSON",
		Long: `Check prints {"task":..., "satisfied":bool, "reason":...} and exits 0 whether or
not the response satisfies the task. An unknown task or bad parameters exit 2 with
the valid ones listed. --response-file - reads standard input.`,
		Example: `  ifprobe tasks check --task word_limit --param n=50 --response "Short answer."
  ifprobe tasks check --task sentiment --param polarity=negative --response-file reply.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := tasks.Get(task)
			if err != nil {
				return Usagef("tasks check: --task: %v", err)
			}
			p, err := t.ParseParams(params)
			if err != nil {
				return Usagef("tasks check: --param: %v", err)
			}
			text, err := readResponse(cmd, response, responseFile)
			if err != nil {
				return err
			}
			v, err := t.Verify(text, p)
			if err != nil {
				return Usagef("tasks check: %v", err)
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetEscapeHTML(false)
			return enc.Encode(checkResult{Task: t.Name, Satisfied: v.Satisfied, Reason: v.Reason})
		},
	}
	cmd.Flags().StringVar(&task, "task", "", "task name (see 'ifprobe tasks list')")
	cmd.Flags().StringArrayVar(&params, "param", nil, "task parameter as name=value (repeatable)")
	cmd.Flags().StringVar(&response, "response", "", "the response text")
	cmd.Flags().StringVar(&responseFile, "response-file", "", "read the response from this file (- for standard input)")
	return cmd
}

// readResponse returns the response from exactly one of --response and
// --response-file.
func readResponse(cmd *cobra.Command, text, file string) (string, error) {
	textSet, fileSet := cmd.Flags().Changed("response"), cmd.Flags().Changed("response-file")
	switch {
	case textSet && fileSet:
		return "", Usagef("tasks check: give --response or --response-file, not both")
	case textSet:
		return text, nil
	case !fileSet:
		return "", Usagef("tasks check: give the response with --response TEXT or --response-file FILE")
	}
	var r io.Reader = cmd.InOrStdin()
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return "", Usagef("tasks check: --response-file: %v", err)
		}
		defer f.Close()
		r = f
	}
	b, err := limitread.All(r, maxResponseFile)
	if errors.Is(err, limitread.ErrTooLarge) {
		return "", Usagef("tasks check: --response-file %s: %v", file, err)
	}
	if err != nil {
		return "", fmt.Errorf("tasks check: read %s: %w", file, err)
	}
	return string(b), nil
}

// newDatasetCmd is the `dataset` command. Only `plan` lives here; `dataset
// build` (generation and activation capture) is added by the command that owns
// the model pipeline.
func newDatasetCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dataset <command>",
		Short: "Build the prompt set and the labelled dataset",
	}
	cmd.AddCommand(newDatasetPlanCmd(), newDatasetLabelCmd(), newDatasetBuildCmd(), newDatasetMergeCmd())
	return cmd
}

func newDatasetLabelCmd() *cobra.Command {
	var items, responses, out, model string
	cmd := &cobra.Command{
		Use:   "label --items ITEMS --responses RESPONSES --out DATASET",
		Short: "Verify responses generated elsewhere and append them to a dataset.jsonl",
		Long: `Label reads the items of 'dataset plan' and a file of responses produced by any
generator, one JSON object per line: {"id": ITEM_ID, "response": TEXT, "model": NAME}.
It verifies each response with its task, appends the records not yet in --out
(so it resumes), and prints the pass rate of each task, flagging a minority class
under 20%.`,
		Example: "  ifprobe dataset label --items items.jsonl --responses smollm2.jsonl --model smollm2-135m-instruct --out dataset.jsonl",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if items == "" || responses == "" || out == "" {
				return Usagef("dataset label: --items, --responses and --out are required")
			}
			its, err := readJSONLFile(items, dataset.ReadItems)
			if err != nil {
				return err
			}
			rs, err := readJSONLFile(responses, dataset.ReadResponses)
			if err != nil {
				return err
			}
			w, err := dataset.OpenWriter(out)
			if err != nil {
				return err
			}
			n, err := dataset.Label(w, its, rs, model)
			if cerr := w.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			recs, err := dataset.ReadRecords(out)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d records added, %d in %s\n", n, len(recs), out)
			return dataset.WriteSummary(cmd.OutOrStdout(), dataset.Summarize(recs))
		},
	}
	cmd.Flags().StringVar(&items, "items", "", "items written by 'dataset plan'")
	cmd.Flags().StringVar(&responses, "responses", "", "responses, one {\"id\",\"response\"} object per line")
	cmd.Flags().StringVar(&out, "out", "", "dataset.jsonl to append to")
	cmd.Flags().StringVar(&model, "model", "", "model name recorded with each response (unless the response names one)")
	return cmd
}

// readJSONLFile opens path and decodes it with read; a missing file is a usage error.
func readJSONLFile[T any](path string, read func(io.Reader) ([]T, error)) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, Usagef("dataset label: %v", err)
	}
	defer f.Close()
	return read(f)
}

func newDatasetPlanCmd() *cobra.Command {
	var (
		taskList string
		cfg      dataset.Config
		out      string
		space    []string
	)
	cmd := &cobra.Command{
		Use:   "plan --tasks all --per-task N --seed S --out FILE",
		Short: "Write the prompt items (no model involved) as JSON lines",
		Long: `Plan crosses the base requests with each task's phrasings and sampled
parameters (--per-task items per task), adds every base request alone as a control,
and assigns folds grouped by base request. The same flags give the same file.

--space overrides a parameter's sampling domain, the difficulty knob: an integer
range (word_limit.n=10:40) or a list of values (forbidden_word.word=also|very).
Tune it until each task's pass rate on a model is near 50%.`,
		Example: "  ifprobe dataset plan --tasks all --per-task 40 --seed 1 --out items.jsonl\n" +
			"  ifprobe dataset plan --tasks word_limit,topic --per-task 10 --seed 2 --out -\n" +
			"  ifprobe dataset plan --per-task 40 --space word_limit.n=10:40 --space bullet_count.n=2:4 --out items.jsonl",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return Usagef("dataset plan: --out is required (a file, or - for standard output)")
			}
			var err error
			if cfg.Tasks, err = listFlag("tasks", taskList); err != nil {
				return err
			}
			sp, err := dataset.ParseSpace(space)
			if err != nil {
				return Usagef("dataset plan: --space: %v", err)
			}
			cfg.Space = sp
			items, err := dataset.Plan(cfg)
			if errors.Is(err, dataset.ErrBadConfig) {
				return Usagef("dataset plan: %v", err)
			}
			if err != nil {
				return err
			}
			if out == "-" {
				return dataset.WriteItems(cmd.OutOrStdout(), items)
			}
			return writeItemsFile(out, items)
		},
	}
	cmd.Flags().StringVar(&taskList, "tasks", "all", "comma-separated task names, or all")
	cmd.Flags().IntVar(&cfg.PerTask, "per-task", 40, "instructed items per task")
	cmd.Flags().Uint64Var(&cfg.Seed, "seed", 1, "random seed")
	cmd.Flags().IntVar(&cfg.Folds, "folds", dataset.DefaultFolds, "cross-validation folds (grouped by base request)")
	cmd.Flags().BoolVar(&cfg.NoControls, "no-controls", false, "leave out the control items")
	cmd.Flags().StringVar(&out, "out", "", "output file (- for standard output)")
	cmd.Flags().StringArrayVar(&space, "space", nil, "sampling domain override: task.param=MIN:MAX or task.param=v1|v2 (repeatable)")
	return cmd
}

// writeItemsFile writes a plan through a temporary file renamed into place, so
// a reader never sees half a plan.
func writeItemsFile(path string, items []dataset.Item) error {
	if err := atomicfile.Write(path, func(w io.Writer) error { return dataset.WriteItems(w, items) }); err != nil {
		return fmt.Errorf("dataset plan: %w", err)
	}
	return nil
}
