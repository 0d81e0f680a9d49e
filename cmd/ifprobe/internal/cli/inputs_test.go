package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ifprobe/ifprobe/internal/membudget"
	"github.com/ifprobe/ifprobe/pkg/acts"
	"github.com/ifprobe/ifprobe/pkg/registry/registrytest"
)

// The test binary doubles as the ifprobe binary for the signal tests: with
// IFPROBE_CLI_MAIN set, TestMain runs Main on the arguments after "--".
func TestMain(m *testing.M) {
	if os.Getenv(envChild) == "1" { // shard_test.go's children: Main on every argument
		os.Exit(int(Main(os.Args[1:])))
	}
	if os.Getenv("IFPROBE_CLI_MAIN") != "" {
		args := os.Args[1:]
		for i, a := range args {
			if a == "--" {
				args = args[i+1:]
				break
			}
		}
		signalsReady = func() { fmt.Fprintln(os.Stderr, "signals ready") }
		os.Exit(int(Main(args)))
	}
	os.Exit(m.Run())
}

// stderrOf captures what f writes to os.Stderr (Main reports errors there).
func stderrOf(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stderr
	os.Stderr = w
	done := make(chan string)
	go func() { b, _ := io.ReadAll(r); done <- string(b) }()
	f()
	os.Stderr = old
	w.Close()
	return <-done
}

// TestInputsCheckedBeforeWork: empty lists, unknown or uninstalled models anywhere in
// a list, and counts whose memory estimate is over the budget are refused before any
// work, with the documented exit code, the same for every command. (Before: --models
// "" exited 1; a typo in the second model was found after the first model's whole
// run; reproduce exited 1 on a model not installed where generate exited 4; --per-task
// 2147483647 ran out of memory.)
func TestInputsCheckedBeforeWork(t *testing.T) {
	t.Setenv(membudget.Env, "")
	out := t.TempDir()
	for _, tc := range []struct {
		args []string
		code ExitCode
		want string
	}{
		{[]string{"reproduce", "--models", "", "--out", out}, ExitUsage, "--models is empty"},
		{[]string{"reproduce", "--models", " , ", "--out", out}, ExitUsage, "--models is empty"},
		{[]string{"reproduce", "--models", "smollm2-135m-instruct,nosuch", "--out", out}, ExitUsage, `"nosuch"`},
		{[]string{"reproduce", "--models", "smollm2-135m-instruct,smollm2-135m-instruct", "--out", out}, ExitUsage, "listed twice"},
		{[]string{"dataset", "plan", "--per-task", "2147483647", "--out", "-"}, ExitUsage, "TiB of memory"},
		{[]string{"dataset", "plan", "--tasks", "", "--out", "-"}, ExitUsage, "--tasks is empty"},
		{[]string{"dataset", "build", "--tasks", ",", "--out", out}, ExitUsage, "--tasks is empty"},
		{[]string{"dataset", "build", "--fractions", "", "--out", out}, ExitUsage, "--fractions is empty"},
		{[]string{"dataset", "build", "--batch", "0", "--out", out}, ExitUsage, "--batch"},
		{[]string{"dataset", "build", "--per-task", "2147483647", "--out", out}, ExitUsage, "TiB of memory"},
		{[]string{"dataset", "build", "--model", "nosuch", "--out", out}, ExitUsage, `"nosuch"`},
		{[]string{"generate", "--model", "nosuch", "hi"}, ExitUsage, `"nosuch"`},
		{[]string{"bench", "--model", "nosuch"}, ExitUsage, `"nosuch"`},
		{[]string{"bench", "--model", "smollm2-135m-instruct", "--batch", ""}, ExitUsage, "batch"},
		{[]string{"dataset", "build", "--devices", "0", "--out", out}, ExitUsage, "--devices: compute: bad device count: \"0\""},
		{[]string{"reproduce", "--models", "smollm2-135m-instruct", "--backend", "go", "--devices", "2", "--out", out},
			ExitUsage, "--devices: compute: bad device count: 2 devices asked, the go backend has 1"},
	} {
		start := time.Now()
		var code ExitCode
		msg := stderrOf(t, func() { code = Main(tc.args) })
		if code != tc.code || !strings.Contains(msg, tc.want) {
			t.Errorf("%q: exit %d, %q; want exit %d and %q", tc.args, code, msg, tc.code, tc.want)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%q: refused after %v, not up front", tc.args, d)
		}
	}
	// A registry model that is not installed: exit 4 from every command.
	t.Setenv("IFPROBE_HOME", t.TempDir())
	prompts := filepath.Join(t.TempDir(), "p.jsonl")
	os.WriteFile(prompts, []byte(`{"id": "a", "prompt": "Hi"}`+"\n"), 0o644)
	for _, args := range [][]string{
		{"reproduce", "--models", "smollm2-135m-instruct", "--out", out},
		{"reproduce", "--models", "gemma3-270m,smollm2-135m-instruct", "--out", out},
		{"generate", "--model", "smollm2-135m-instruct", "hi"},
		{"dataset", "build", "--model", "smollm2-135m-instruct", "--out", out},
		{"capture", "--model", "smollm2-135m-instruct", "--prompts", prompts, "--out", out},
		{"bench", "--model", "smollm2-135m-instruct"},
	} {
		var code ExitCode
		msg := stderrOf(t, func() { code = Main(args) })
		if code != ExitMissing || !strings.Contains(msg, "ifprobe models install") {
			t.Errorf("%q: exit %d, %q; want exit %d and the install command", args, code, msg, ExitMissing)
		}
	}
}

// startMain runs Main(args) in a child process with stdin from the returned pipe and
// returns its stderr, line by line.
func startMain(t *testing.T, args ...string) (*exec.Cmd, *bufio.Scanner, io.WriteCloser) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), "IFPROBE_CLI_MAIN=1")
	stdin, _ := cmd.StdinPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, bufio.NewScanner(stderr), stdin
}

// TestSignalExitCode: SIGINT or SIGTERM ends ifprobe with exit 3 and one line saying
// how to resume (before: 130 and no message). A command blocked where it cannot see
// the cancellation (here, reading standard input) still ends at the second signal.
func TestSignalExitCode(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		cmd, lines, stdin := startMain(t, "tasks", "check", "--task", "lowercase", "--response-file", "-")
		defer stdin.Close()
		var got []string
		for lines.Scan() {
			got = append(got, lines.Text())
			switch {
			case lines.Text() == "signals ready":
				cmd.Process.Signal(sig)
			case strings.Contains(lines.Text(), "stopping at the next safe point"):
				cmd.Process.Signal(sig)
			}
		}
		err := cmd.Wait()
		code := cmd.ProcessState.ExitCode()
		text := strings.Join(got, "\n")
		if code != int(ExitCanceled) || !strings.Contains(text, "to resume, rerun: ifprobe tasks check --task lowercase --response-file -") {
			t.Errorf("%v: exit %d (%v), stderr:\n%s", sig, code, err, text)
		}
	}
}

// TestInterruptLongJob: SIGINT during a real dataset build stops it at a safe point
// with exit 3 and the resume line; rerunning the printed command finishes the build
// with a sound store.
func TestInterruptLongJob(t *testing.T) {
	registrytest.Model(t, "smollm2-135m-instruct")
	out := filepath.Join(t.TempDir(), "data")
	args := []string{"dataset", "build", "--model", "smollm2-135m-instruct", "--backend", "go", "--tasks", "lowercase",
		"--per-task", "2", "--no-controls", "--folds", "2", "--max-tokens", "4", "--batch", "1", "--out", out}
	cmd, lines, stdin := startMain(t, args...)
	defer stdin.Close()
	var got []string
	for lines.Scan() {
		got = append(got, lines.Text())
		if lines.Text() == "signals ready" { // before the model is even loaded: the build cannot finish first
			cmd.Process.Signal(os.Interrupt)
		}
	}
	cmd.Wait()
	text := strings.Join(got, "\n")
	if code := cmd.ProcessState.ExitCode(); code != int(ExitCanceled) || !strings.Contains(text, "to resume, rerun: ifprobe dataset build") {
		t.Fatalf("interrupted build: exit %d, stderr:\n%s", code, text)
	}
	cmd, lines, stdin = startMain(t, args...)
	defer stdin.Close()
	for lines.Scan() {
	}
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("rerun: exit %d", code)
	}
	s, err := acts.Open(filepath.Join(out, "acts"))
	if err != nil || s.Len() != 2 || s.Verify() != nil {
		t.Fatalf("store after the rerun: %v", err)
	}
}
