package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ifprobe/ifprobe/kernel/runner"
)

func init() { register(newNotebooksCmd) }

func newNotebooksCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "notebooks <command>",
		Short: "List and run the Jupyter notebooks headlessly",
		Long: `The notebooks in notebooks/ run on the Jupyter kernel "ifprobe" (gonb, Go in
Jupyter), which ./install.sh installs into the checkout's .venv. Open them with
'.venv/bin/jupyter lab notebooks/'; run them without a browser with 'notebooks run'.`,
	}
	cmd.AddCommand(newNotebooksListCmd(), newNotebooksRunCmd())
	return cmd
}

func newNotebooksListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the notebooks",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			root, err := runner.FindRoot()
			if err != nil {
				return err
			}
			paths, err := runner.List(filepath.Join(root, "notebooks"))
			if err != nil {
				return err
			}
			for _, p := range paths {
				fmt.Fprintln(cmd.OutOrStdout(), strings.TrimSuffix(filepath.Base(p), ".ipynb"))
			}
			return nil
		},
	}
}

func newNotebooksRunCmd() *cobra.Command {
	var (
		opts    runner.Options
		asJSON  bool
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "run [NAME...]",
		Short: "Execute notebooks top to bottom and check their outputs",
		Long: `Run executes each notebook (all of notebooks/ when no NAME is given) in a fresh
ifprobe kernel, stopping a notebook at its first failing cell. A notebook passes when
every cell ran, no output is an error and it drew at least one figure. Executed
copies (and HTML with --html) go to --out. --profile ci runs the notebooks' small
variant (IFPROBE_PROFILE=ci), as the tests do.

Exit status: 0 when every notebook passed, 1 when one failed (the cell index and
its error are printed), 4 when Jupyter or the kernel is not installed.`,
		Example: "  ifprobe notebooks run\n  ifprobe notebooks run --html --out /tmp/nb 00-tour\n  ifprobe notebooks run --profile ci",
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Profile != "" && opts.Profile != "ci" && opts.Profile != "full" {
				return Usagef("--profile %q: want ci or full", opts.Profile)
			}
			if timeout < 0 {
				return Usagef("--timeout %v: must not be negative", timeout)
			}
			opts.Timeout = timeout
			root, err := runner.FindRoot()
			if err != nil {
				return err
			}
			opts.Root = root
			if opts.OutDir != "" {
				if opts.OutDir, err = filepath.Abs(opts.OutDir); err != nil {
					return Usagef("--out: %v", err)
				}
			}
			paths, err := runner.Resolve(root, args)
			if err != nil {
				return Usagef("%v", err)
			}
			if !asJSON {
				opts.Log = cmd.ErrOrStderr()
			}
			results, err := runner.Run(cmd.Context(), opts, paths)
			if errors.Is(err, runner.ErrNoJupyter) || errors.Is(err, runner.ErrNoKernel) {
				return &MissingError{err}
			}
			if asJSON {
				if jerr := writeJSON(cmd.OutOrStdout(), results); jerr != nil {
					return jerr
				}
			} else {
				for _, r := range results {
					where := r.Executed
					if r.HTML != "" {
						where += ", " + r.HTML
					}
					fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", r.Name, where)
				}
			}
			return err
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.HTML, "html", false, "also export each executed notebook as HTML")
	f.StringVar(&opts.OutDir, "out", "", "directory for executed notebooks and HTML (default runs/notebooks in the checkout)")
	f.StringVar(&opts.Profile, "profile", "", "notebook profile passed as IFPROBE_PROFILE: ci (small, fast) or full (default: the environment's)")
	f.DurationVar(&timeout, "timeout", 10*time.Minute, "limit for one cell")
	f.BoolVar(&asJSON, "json", false, "print the results as JSON")
	return cmd
}
