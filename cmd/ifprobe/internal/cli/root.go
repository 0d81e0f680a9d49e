// Package cli implements the ifprobe command line: one file per command, each
// registering its constructor with register() from an init function, and Main,
// which maps errors to typed exit codes.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/spf13/cobra"

	"github.com/ifprobe/ifprobe/pkg/registry"
)

// ExitCode is the process exit status of ifprobe.
type ExitCode int

// Exit codes. They are documented in `ifprobe help exit-codes`.
const (
	ExitOK       ExitCode = 0 // success, including "no results"
	ExitError    ExitCode = 1 // the command failed
	ExitUsage    ExitCode = 2 // bad flags, arguments or parameters
	ExitCanceled ExitCode = 3 // interrupted (Ctrl-C); work done so far is kept on disk
	ExitMissing  ExitCode = 4 // something the command needs is not installed (see `ifprobe doctor`)
)

// UsageError marks an error caused by how the command was called; Main prints the
// message and exits with ExitUsage.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a *UsageError with a formatted message.
func Usagef(format string, args ...any) error { return &UsageError{fmt.Errorf(format, args...)} }

// MissingError marks a missing installed component; Main exits with ExitMissing.
type MissingError struct{ Err error }

func (e *MissingError) Error() string { return e.Err.Error() }
func (e *MissingError) Unwrap() error { return e.Err }

// modelError maps an error from resolving or loading a model to its exit code: a
// registry model that is not installed is a MissingError (exit 4, install it), an
// unknown name or path is a UsageError (exit 2).
func modelError(err error) error {
	switch {
	case errors.Is(err, registry.ErrNotInstalled):
		return &MissingError{err}
	case errors.Is(err, registry.ErrUnknown):
		return &UsageError{err}
	}
	return err
}

// constructors holds the command constructors registered by the files of this package.
var constructors []func() *cobra.Command

// register adds a top-level command. Call it from an init function.
func register(newCmd func() *cobra.Command) { constructors = append(constructors, newCmd) }

// NewRootCmd builds the ifprobe command tree.
func NewRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "ifprobe <command> [flags]",
		Short: "Probe how language models follow instructions",
		Long: `ifprobe reruns, on real instruction-tuned models, the study "How LLMs Follow
Instructions: Skillful Coordination, Not a Universal Mechanism": nine instruction
tasks, the model's own responses checked by verifiers, linear probes on hidden
states, and five findings.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmds := make([]*cobra.Command, 0, len(constructors))
	for _, c := range constructors {
		cmds = append(cmds, c())
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name() < cmds[j].Name() })
	root.AddCommand(cmds...)
	root.AddCommand(exitCodesTopic())
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &UsageError{fmt.Errorf("%w\n\n%s", err, c.UsageString())}
	})
	return root
}

func exitCodesTopic() *cobra.Command {
	return &cobra.Command{
		Use:   "exit-codes",
		Short: "Exit codes of ifprobe commands",
		Long: `Exit codes:
  0  success (a report with no results is a success)
  1  the command failed
  2  bad flags, arguments or parameters
  3  interrupted; work already written to disk is kept and a rerun resumes
  4  something the command needs is not installed: run ./install.sh or see 'ifprobe doctor'`,
	}
}

// Main runs ifprobe with args and returns the exit code.
func Main(args []string) ExitCode {
	root := NewRootCmd()
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	if err == nil {
		return ExitOK
	}
	fmt.Fprintln(os.Stderr, "ifprobe:", err)
	var ue *UsageError
	var me *MissingError
	switch {
	case errors.As(err, &ue):
		return ExitUsage
	case errors.As(err, &me):
		return ExitMissing
	case errors.Is(err, context.Canceled):
		return ExitCanceled
	default:
		return ExitError
	}
}

// writeJSON writes v as indented JSON (HTML characters left as they are: prompts
// and responses hold '<' and '&'), the output of every --json flag.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
