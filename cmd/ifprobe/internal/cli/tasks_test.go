package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run executes the root command with args and returns stdout and the error.
func runCmd(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	root := NewRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func TestTasksList(t *testing.T) {
	out, err := runCmd(t, "", "tasks", "list")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"word_limit", "lowercase", "json_format", "bullet_count", "include_keyword",
		"forbidden_word", "end_phrase", "sentiment", "topic"} {
		if !strings.Contains(out, name) {
			t.Errorf("tasks list lacks %s:\n%s", name, out)
		}
	}
	out, err = runCmd(t, "", "tasks", "list", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var all []map[string]any
	if err := json.Unmarshal([]byte(out), &all); err != nil || len(all) != 9 {
		t.Fatalf("tasks list --json: %d tasks, %v", len(all), err)
	}
}

func TestTasksCheck(t *testing.T) {
	file := filepath.Join(t.TempDir(), "r.txt")
	os.WriteFile(file, []byte("- a\n- b\n"), 0o644)
	for i, tc := range []struct {
		args  []string
		stdin string
		want  checkResult
	}{
		{[]string{"--task", "word_limit", "--param", "n=3", "--response", "one two"},
			"", checkResult{"word_limit", true, "2 words, fewer than 3"}},
		{[]string{"--task", "word_limit", "--param", "n=2", "--response", "one two"},
			"", checkResult{"word_limit", false, "2 words, not fewer than 2"}},
		{[]string{"--task", "bullet_count", "--param", "n=2", "--response-file", file},
			"", checkResult{"bullet_count", true, "2 bullets, as asked"}},
		{[]string{"--task", "lowercase", "--response-file", "-"},
			"Upper", checkResult{"lowercase", false, `capital 'U' at byte 0: "Upper"`}},
	} {
		out, err := runCmd(t, tc.stdin, append([]string{"tasks", "check"}, tc.args...)...)
		if err != nil {
			t.Errorf("%d: %v", i, err)
			continue
		}
		var got checkResult
		if err := json.Unmarshal([]byte(out), &got); err != nil || got != tc.want {
			t.Errorf("%d: got %s (%v), want %+v", i, out, err, tc.want)
		}
	}
}

func TestTasksCheckUsageErrors(t *testing.T) {
	for i, tc := range []struct {
		args []string
		msg  string // part of the message
	}{
		{[]string{"--task", "nope", "--response", "x"}, "word_limit"},
		{[]string{"--task", "word_limit", "--response", "x"}, "n=int in [1, 100000]"},
		{[]string{"--task", "word_limit", "--param", "n=zero", "--response", "x"}, "not an integer"},
		{[]string{"--task", "sentiment", "--param", "polarity=meh", "--response", "x"}, "positive|negative"},
		{[]string{"--task", "lowercase"}, "--response"},
		{[]string{"--task", "lowercase", "--response", "x", "--response-file", "y"}, "not both"},
		{[]string{"--task", "lowercase", "--response-file", "/nonexistent/file"}, "no such file"},
	} {
		_, err := runCmd(t, "", append([]string{"tasks", "check"}, tc.args...)...)
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%d: err = %v, want a usage error mentioning %q", i, err, tc.msg)
		}
	}
	if code := Main([]string{"tasks", "check", "--task", "nope", "--response", "x"}); code != ExitUsage {
		t.Errorf("exit code %d, want %d", code, ExitUsage)
	}
}

func TestDatasetPlan(t *testing.T) {
	path := filepath.Join(t.TempDir(), "items.jsonl")
	if _, err := runCmd(t, "", "dataset", "plan", "--tasks", "word_limit,topic", "--per-task", "5", "--seed", "3", "--out", path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) < 10+150 {
		t.Fatalf("%d lines, want 10 items + controls", len(lines))
	}
	out, err := runCmd(t, "", "dataset", "plan", "--tasks", "word_limit,topic", "--per-task", "5", "--seed", "3", "--out", "-")
	if err != nil || out != string(b) {
		t.Fatalf("same flags to stdout differ from the file (err %v)", err)
	}
	for i, args := range [][]string{
		{"--tasks", "nope", "--out", "-"},
		{"--per-task", "0", "--out", "-"},
		{"--tasks", "all"},
		{"--space", "word_limit.n=0:5", "--out", "-"},
	} {
		_, err := runCmd(t, "", append([]string{"dataset", "plan"}, args...)...)
		var ue *UsageError
		if !errors.As(err, &ue) {
			t.Errorf("%d: err = %v, want a usage error", i, err)
		}
	}
}

func TestDatasetLabel(t *testing.T) {
	dir := t.TempDir()
	items := filepath.Join(dir, "items.jsonl")
	if _, err := runCmd(t, "", "dataset", "plan", "--tasks", "lowercase", "--per-task", "2", "--no-controls", "--out", items); err != nil {
		t.Fatal(err)
	}
	resp := filepath.Join(dir, "r.jsonl")
	os.WriteFile(resp, []byte(`{"id":"lowercase-0000","response":"all lower"}`+"\n"+`{"id":"lowercase-0001","response":"Upper"}`+"\n"), 0o644)
	out := filepath.Join(dir, "dataset.jsonl")
	got, err := runCmd(t, "", "dataset", "label", "--items", items, "--responses", resp, "--out", out, "--model", "m")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, "2 records added") || !strings.Contains(got, "lowercase  2  1          50.0%") {
		t.Fatalf("output:\n%s", got)
	}
	got, err = runCmd(t, "", "dataset", "label", "--items", items, "--responses", resp, "--out", out)
	if err != nil || !strings.Contains(got, "0 records added, 2 in") {
		t.Fatalf("rerun: %v\n%s", err, got)
	}
	_, err = runCmd(t, "", "dataset", "label", "--items", filepath.Join(dir, "none"), "--responses", resp, "--out", out)
	var ue *UsageError
	if !errors.As(err, &ue) {
		t.Errorf("missing items file: err = %v, want usage error", err)
	}
}
