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
	"os/signal"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ifprobe/ifprobe/internal/membudget"
	"github.com/ifprobe/ifprobe/pkg/model"
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
// unknown name or path, or a --weights type the backend cannot hold, is a
// UsageError (exit 2).
func modelError(err error) error {
	switch {
	case errors.Is(err, registry.ErrNotInstalled):
		return &MissingError{err}
	case errors.Is(err, registry.ErrUnknown), errors.Is(err, model.ErrBadWeights):
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

// Main runs ifprobe with args and returns the exit code. SIGINT and SIGTERM cancel
// the command's context: long jobs stop at their next safe point (a finished batch,
// shard, layer or stage, all written atomically) and Main exits with ExitCanceled and
// a line saying how to resume. A second signal, or a command still running
// graceStop after the first, exits at once with the same code: every file is
// written atomically, so nothing half-written is left in place of a good file.
func Main(args []string) ExitCode {
	ctx, interrupted, stop := signalContext(args)
	defer stop()
	root := NewRootCmd()
	stopProfile := addCPUProfileFlag(root)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	stopProfile()
	if err == nil {
		return ExitOK // finished, even if a signal came at the very end
	}
	if sig := interrupted(); sig != nil {
		fmt.Fprintln(os.Stderr, interruptedMessage(sig, args))
		return ExitCanceled
	}
	fmt.Fprintln(os.Stderr, "ifprobe:", err)
	return exitCode(err)
}

// exitCode maps an error to the documented exit codes, the same way for every
// command: the typed errors of this package first, then the sentinels of the
// libraries (an unknown model is a usage error, a registry model not installed is
// missing, an input count over the memory budget is a usage error).
func exitCode(err error) ExitCode {
	var ue *UsageError
	var me *MissingError
	switch {
	case errors.As(err, &ue):
		return ExitUsage
	case errors.As(err, &me):
		return ExitMissing
	case errors.Is(err, context.Canceled):
		return ExitCanceled
	case errors.Is(err, registry.ErrNotInstalled):
		return ExitMissing
	case errors.Is(err, registry.ErrUnknown), errors.Is(err, membudget.ErrTooLarge):
		return ExitUsage
	default:
		return ExitError
	}
}

// signalsReady, when set (by tests), is called once SIGINT and SIGTERM are caught.
var signalsReady func()

// graceStop is how long a command may take to reach a safe point after SIGINT or
// SIGTERM before Main exits anyway.
var graceStop = 20 * time.Second

// signalContext returns a context that SIGINT and SIGTERM cancel, a function that
// reports the signal received (nil when none), and a stop function. After the first
// signal it tells the user what is happening; a second signal or graceStop ends the
// process with ExitCanceled.
func signalContext(args []string) (context.Context, func() os.Signal, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	if signalsReady != nil {
		signalsReady()
	}
	var got atomic.Value
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			got.Store(sig)
			cancel()
			fmt.Fprintf(os.Stderr, "\nifprobe: %s: stopping at the next safe point (at most %s; %s again to stop now)\n", signalName(sig), graceStop, signalName(sig))
			select {
			case <-sigs:
			case <-time.After(graceStop):
			case <-done:
				return
			}
			fmt.Fprintln(os.Stderr, interruptedMessage(sig, args))
			os.Exit(int(ExitCanceled))
		case <-done:
		}
	}()
	interrupted := func() os.Signal {
		if s, ok := got.Load().(os.Signal); ok {
			return s
		}
		return nil
	}
	return ctx, interrupted, func() { signal.Stop(sigs); close(done); cancel() }
}

func signalName(sig os.Signal) string {
	if sig == os.Interrupt {
		return "SIGINT"
	}
	if s, ok := sig.(syscall.Signal); ok && s == syscall.SIGTERM {
		return "SIGTERM"
	}
	return sig.String()
}

// interruptedMessage is the one line printed on an interruption: what is kept and
// the command that resumes.
func interruptedMessage(sig os.Signal, args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = shellQuote(a)
	}
	return fmt.Sprintf("ifprobe: interrupted (%s); work written so far is kept; to resume, rerun: ifprobe %s",
		signalName(sig), strings.Join(quoted, " "))
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=,:@%+", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// writeJSON writes v as indented JSON (HTML characters left as they are: prompts
// and responses hold '<' and '&'), the output of every --json flag.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
