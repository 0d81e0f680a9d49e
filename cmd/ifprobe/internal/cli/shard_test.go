package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ifprobe/ifprobe/internal/shard"
	"github.com/ifprobe/ifprobe/pkg/registry/registrytest"
)

// envChild makes the test binary run the command line it is given instead of
// the tests (TestMain, inputs_test.go): the sharded-build test starts real
// processes of this CLI.
const envChild = "IFPROBE_CLI_CHILD"

// child runs this CLI as a separate process with args and extra environment.
func child(t *testing.T, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), envChild+"=1"), env...)
	return cmd
}

// TestShardedBuildEqualsOneProcess: three processes, each building one part of
// the plan (one by flag, one from a Slurm array's environment, one from a
// Kubernetes Indexed Job's), then a merge, write the same files as one process,
// byte for byte: the dataset, the plan, the activation store (manifest and
// every shard), the summary and build.json. Every batch is computed by the same
// graphs on the same rows in both runs, so the arithmetic is the same. The
// settings are the ci profile's (16 tokens, fractions 0.5 and 1, the small
// models' word_limit range) on fewer items: 2 tasks × 4, in batches of 2, so
// that the three parts get 2, 1 and 1 batches.
func TestShardedBuildEqualsOneProcess(t *testing.T) {
	registrytest.Model(t, "smollm2-135m-instruct")
	root := t.TempDir()
	one, sharded := filepath.Join(root, "one"), filepath.Join(root, "sharded")
	args := func(out string) []string {
		return []string{"dataset", "build", "--model", "smollm2-135m-instruct", "--tasks", "word_limit,lowercase",
			"--per-task", "4", "--no-controls", "--folds", "2", "--seed", "7", "--max-tokens", "16", "--batch", "2",
			"--fractions", "0.5,1", "--space", "word_limit.n=10:35", "--out", out}
	}
	run := func(cmd *exec.Cmd) {
		t.Helper()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args[1:], " "), err, out)
		}
	}
	run(child(t, nil, args(one)...))

	parts := []*exec.Cmd{
		child(t, nil, append(args(sharded), "--shard", "0/3")...),
		child(t, []string{shard.EnvSlurmID + "=2", shard.EnvSlurmCount + "=3", shard.EnvSlurmMin + "=1", shard.EnvSlurmMax + "=3"},
			append(args(sharded), "--shard", "auto")...), // Slurm task 2 of --array=1-3: part 1
		child(t, []string{shard.EnvK8sIndex + "=2", shard.EnvCount + "=3"}, append(args(sharded), "--shard", "auto")...),
	}
	// Parts 0 and 1 first, together; a merge now must refuse and name part 2.
	var wg sync.WaitGroup
	for _, c := range parts[:2] {
		wg.Add(1)
		go func() { defer wg.Done(); run(c) }()
	}
	wg.Wait()
	if out, err := child(t, nil, "dataset", "merge", "--out", sharded).CombinedOutput(); err == nil || !strings.Contains(string(out), "missing: 2/3") {
		t.Fatalf("merge with a part missing: %v\n%s", err, out)
	}
	run(parts[2])
	run(child(t, nil, "dataset", "merge", "--out", sharded))

	var files []string
	err := filepath.WalkDir(one, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(one, path)
			files = append(files, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"dataset.jsonl", "plan.jsonl", "build.json", "summary.json", "acts/manifest.json", "acts/shards/shard-000000.safetensors"} {
		if !strings.Contains(strings.Join(files, " "), want) {
			t.Fatalf("one-process build has no %s (files: %v)", want, files)
		}
	}
	for _, rel := range files {
		a, _ := os.ReadFile(filepath.Join(one, rel))
		b, err := os.ReadFile(filepath.Join(sharded, rel))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs between one process and three shards merged (%v; %d and %d bytes)", rel, err, len(a), len(b))
		}
	}
	// The single-process command on the merged directory has nothing left to do.
	out, err := child(t, nil, args(sharded)...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "8 items (0 generated now") {
		t.Errorf("rerun on the merged directory: %v\n%s", err, out)
	}
}
