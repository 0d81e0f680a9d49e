package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/acts"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/registry/registrytest"
)

func runCLI(args ...string) (string, error) {
	var out bytes.Buffer
	root := NewRootCmd()
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func TestCaptureFlagErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "p.jsonl")
	if err := os.WriteFile(good, []byte(`{"id": "a", "prompt": "Hi"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(bad, []byte(`{"id": "a", "prompt": "Hi"}`+"\n"+`{"id": "b"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"capture", "--model", "smollm2-135m-instruct", "--prompts", good, "--out", filepath.Join(dir, "out")}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"capture", "--prompts", good, "--out", dir}, "--model is required"},
		{[]string{"capture", "--model", "x", "--out", dir}, "--prompts is required"},
		{[]string{"capture", "--model", "x", "--prompts", good}, "--out is required"},
		{append(base, "--chat", "--raw"), "exclude each other"},
		{append(base, "--batch", "0"), "--batch must be > 0"},
		{append(base, "--max-tokens", "-1"), "--max-tokens must be > 0"},
		{append(base, "--hooks", "blocks.*.nope"), `unknown site "nope"`},
		{append(base, "--hooks", "resid_post"), "--hooks"},
		{append(base, "--positions", "step:x"), "--positions"},
		{append(base, "--positions", "prompt_last,all"), "'all' cannot be stored"},
		{append(base, "--positions", "eos"), "eos needs --generate"},
		{append(base, "--devices", "2"), "--devices 2 needs --generate"},
		{append(base, "--nope"), "unknown flag"},
		{append(base, "extra"), "takes no arguments"},
		{[]string{"capture", "--model", "x", "--prompts", bad, "--out", dir}, `bad.jsonl:2: field "prompt": missing or empty`},
		{[]string{"capture", "--model", "no-such-model", "--prompts", good, "--out", dir}, "no-such-model"},
	} {
		_, err := runCLI(tc.args...)
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want a usage error containing %q", tc.args[1:], err, tc.want)
		}
	}
	if code := Main(append(base, "--batch", "0")); code != ExitUsage {
		t.Errorf("exit code %d, want %d", code, ExitUsage)
	}
	// A registry model that is not installed: exit 4, pointing at the installer.
	t.Setenv("IFPROBE_HOME", t.TempDir())
	_, err := runCLI(base...)
	var me *MissingError
	if !errors.As(err, &me) {
		t.Errorf("model not installed: got %v, want a MissingError", err)
	}
}

// End to end on the real default model: a forward-only capture into a store, then a
// rerun that finds everything stored and captures nothing.
func TestCaptureRealResumes(t *testing.T) {
	registrytest.Model(t, "smollm2-135m-instruct")
	dir := t.TempDir()
	prompts := filepath.Join(dir, "p.jsonl")
	if err := os.WriteFile(prompts, []byte(`{"id": "a", "prompt": "List three colors.", "task": "demo", "label": 1}
{"id": "b", "prompt": "Say hi.", "task": "demo", "label": 0}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(dir, "acts")
	args := []string{"capture", "--model", "smollm2-135m-instruct", "--backend", "go", "--prompts", prompts,
		"--hooks", "blocks.0.resid_post,blocks.29.resid_post", "--out", store, "--json"}
	for i, want := range []struct{ skipped, captured int }{{0, 2}, {2, 0}} {
		out, err := runCLI(args...)
		if err != nil {
			t.Fatalf("run %d: %v\n%s", i, err, out)
		}
		var sum captureSummary
		if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &sum); err != nil {
			t.Fatalf("run %d: %v\n%s", i, err, out)
		}
		if sum.Skipped != want.skipped || sum.Captured != want.captured || len(sum.Keys) != 2 {
			t.Errorf("run %d: %+v", i, sum)
		}
	}
	s, err := acts.Open(store)
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Get(hook.ResidPost(29), hook.PromptLast)
	if err != nil {
		t.Fatal(err)
	}
	if a.N != 2 || a.D != 576 || a.Examples[0].Label != 1 || a.Examples[1].Task != "demo" {
		t.Errorf("store: %d×%d, examples %+v", a.N, a.D, a.Examples)
	}
}
