package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ifprobe/ifprobe/pkg/compute"
	"github.com/ifprobe/ifprobe/pkg/model"
	"github.com/ifprobe/ifprobe/pkg/registry"
)

func init() { register(newDebugCmd) }

func newDebugCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "debug <command>",
		Short: "Tools for checking the implementation against references",
	}
	cmd.AddCommand(newDebugParityCmd())
	return cmd
}

type debugParityOptions struct {
	model, fixture string
	atol, rtol     float64
	asJSON         bool
}

func newDebugParityCmd() *cobra.Command {
	var o debugParityOptions
	cmd := &cobra.Command{
		Use:   "parity --model M --fixture F",
		Short: "Compare hidden states layer by layer with a reference implementation",
		Long: `Run the fixture's prompt through model M and compare the residual stream at
every hook point with the reference's (Hugging Face transformers'
output_hidden_states, written by scripts/fixtures/model/make.sh as
hidden-<name>.json). It prints max and mean |difference| per hook point and the
first one where the two implementations diverge (|got-want| > atol +
rtol*max|want| over the hook point),
and exits 1 if there is one.`,
		Example: `  ifprobe debug parity --model smollm2-135m-instruct --fixture pkg/model/testdata/hidden-smollm2.json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 0 {
				return Usagef("debug parity: no arguments expected, got %d", len(args))
			}
			if o.model == "" || o.fixture == "" {
				return Usagef("debug parity: --model and --fixture are required (models: %s)", strings.Join(registry.Names(), ", "))
			}
			if o.atol < 0 || o.rtol < 0 {
				return Usagef("debug parity: --atol and --rtol must be >= 0")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runDebugParity(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.model, "model", "", "registry model name, GGUF file or Hugging Face model directory")
	f.StringVar(&o.fixture, "fixture", "", "hidden-state reference file (hidden-<name>.json)")
	f.Float64Var(&o.atol, "atol", 1e-3, "absolute tolerance")
	f.Float64Var(&o.rtol, "rtol", 1e-5, "tolerance relative to the largest |reference value| of each hook point")
	f.BoolVar(&o.asJSON, "json", false, "print JSON: {model, reference, hooks: [{hook, max_abs, mean_abs, max_rel, max_ref, severity}], first_divergence}")
	return cmd
}

type parityHook struct {
	Hook string `json:"hook"`
	model.Comparison
}

type parityReport struct {
	Model           string       `json:"model"`
	Backend         string       `json:"backend"`
	Reference       string       `json:"reference"`
	Tokens          int          `json:"tokens"`
	Hooks           []parityHook `json:"hooks"`
	FirstDivergence string       `json:"first_divergence"` // empty when all match
}

func runDebugParity(cmd *cobra.Command, o debugParityOptions) error {
	ref, err := model.ReadHiddenReference(o.fixture)
	if err != nil {
		return &UsageError{err}
	}
	loc, err := registry.Resolve(o.model)
	if err != nil {
		return modelError(err)
	}
	backend, info, err := compute.Default()
	if err != nil {
		return err
	}
	ck, err := loc.Open() // GGUF file or Hugging Face directory
	if err != nil {
		return err
	}
	defer ck.Close()
	m, err := model.FromCheckpoint(backend, ck, model.LoadOptions{}) // the references are f32
	if err != nil {
		return err
	}
	diffs, first, err := m.CompareHidden(ref, o.atol, o.rtol)
	if err != nil {
		return err
	}
	rep := parityReport{Model: loc.Name, Backend: info.Name, Reference: ref.Reference, Tokens: len(ref.IDs)}
	for _, d := range diffs {
		rep.Hooks = append(rep.Hooks, parityHook{Hook: d.Hook.String(), Comparison: d.Comparison})
	}
	if first >= 0 {
		rep.FirstDivergence = diffs[first].Hook.String()
	}
	out := cmd.OutOrStdout()
	if o.asJSON {
		if err := writeJSON(out, rep); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(out, "%s (%s) vs %s, %d tokens, tolerance %g + %g*max|ref|\n", rep.Model, rep.Backend, rep.Reference, rep.Tokens, o.atol, o.rtol)
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "HOOK\tMAX|DIFF|\tMEAN|DIFF|\tMAX|REF|\tSTATUS")
		for _, h := range rep.Hooks {
			fmt.Fprintf(tw, "%s\t%.3g\t%.3g\t%.4g\t%s\n", h.Hook, h.MaxAbs, h.MeanAbs, h.MaxRef, h.Severity)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if first >= 0 {
		return fmt.Errorf("debug parity: first divergence at %s (max |diff| %.4g)", rep.FirstDivergence, diffs[first].MaxAbs)
	}
	if !o.asJSON {
		fmt.Fprintln(out, "all hook points match")
	}
	return nil
}
