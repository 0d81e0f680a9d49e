package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// clusterDir holds the ready-to-run cluster examples (README, "A paper-scale
// study on a cluster").
var clusterDir = filepath.Join("..", "..", "..", "..", "examples", "cluster")

// checkCommandLine parses an ifprobe command line with this CLI's own flags
// (without running it): a renamed flag or command in the examples fails here.
func checkCommandLine(t *testing.T, where string, args []string) {
	t.Helper()
	cmd, rest, err := NewRootCmd().Find(args)
	if err != nil || cmd.Name() != "reproduce" {
		t.Fatalf("%s: %v: not an ifprobe reproduce command (%v)", where, args, err)
	}
	if err := cmd.ParseFlags(rest); err != nil {
		t.Errorf("%s: %v: %v", where, args, err)
	}
	if v, _ := cmd.Flags().GetString("profile"); v != "paper" {
		t.Errorf("%s: profile %q, want paper", where, v)
	}
}

// TestSlurmExample: both scripts parse (bash -n); submit.sh, run against a
// stand-in sbatch that records its arguments, submits the three stages with
// their arrays and dependencies; and the job script, run as Slurm would run it
// with a stand-in ifprobe, gives each stage a command line this CLI accepts.
func TestSlurmExample(t *testing.T) {
	dir := filepath.Join(clusterDir, "slurm")
	for _, f := range []string{"ifprobe.sbatch", "submit.sh"} {
		if out, err := exec.Command("bash", "-n", filepath.Join(dir, f)).CombinedOutput(); err != nil {
			t.Fatalf("bash -n %s: %v\n%s", f, err, out)
		}
	}
	bin := t.TempDir()
	log := filepath.Join(bin, "calls")
	stub := "#!/usr/bin/env bash\nprintf '%s\\n' \"$*\" >> " + log + "\necho $((1000 + $(wc -l < " + log + ")))\\;cluster1\n"
	if err := os.WriteFile(filepath.Join(bin, "sbatch"), []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	submit := exec.Command("bash", filepath.Join(dir, "submit.sh"), "3", "5")
	submit.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "IFPROBE_OUT=/shared/runs/paper")
	if out, err := submit.CombinedOutput(); err != nil {
		t.Fatalf("submit.sh: %v\n%s", err, out)
	}
	data, _ := os.ReadFile(log)
	calls := strings.Split(strings.TrimSpace(string(data)), "\n")
	want := []string{
		"--parsable --job-name=ifprobe-dataset --export=ALL,IFPROBE_STAGE=dataset --array=0-2 --gres=gpu:1 ",
		"--parsable --job-name=ifprobe-grid --export=ALL,IFPROBE_STAGE=grid --array=0-4 --dependency=afterok:1001 ",
		"--parsable --job-name=ifprobe-report --export=ALL,IFPROBE_STAGE=report --dependency=afterok:1002 ",
	}
	if len(calls) != len(want) {
		t.Fatalf("sbatch calls:\n%s", data)
	}
	for i, c := range calls {
		if !strings.HasPrefix(c, want[i]) || !strings.HasSuffix(c, "ifprobe.sbatch") {
			t.Errorf("sbatch call %d:\n%s\nwant\n%s.../ifprobe.sbatch", i, c, want[i])
		}
	}

	fake := filepath.Join(bin, "ifprobe")
	if err := os.WriteFile(fake, []byte("#!/usr/bin/env bash\nprintf '%s\\n' \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, stage := range []string{"dataset", "grid", "report"} {
		job := exec.Command("bash", filepath.Join(dir, "ifprobe.sbatch"))
		job.Env = append(os.Environ(), "IFPROBE_BIN="+fake, "IFPROBE_OUT=/shared/runs/paper", "IFPROBE_STAGE="+stage,
			"SLURM_ARRAY_TASK_ID=1", "SLURM_ARRAY_TASK_COUNT=3")
		var out bytes.Buffer
		job.Stdout = &out
		if err := job.Run(); err != nil {
			t.Fatalf("ifprobe.sbatch (%s): %v", stage, err)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		args := lines[1:] // the first line is the script's own log line
		checkCommandLine(t, "ifprobe.sbatch "+stage, args)
		sharded := slices.Contains(args, "--shard")
		if sharded != (stage != "report") || (sharded && !slices.Contains(args, stage)) {
			t.Errorf("stage %s: %v", stage, args)
		}
	}
}

// The subset of Kubernetes batch/v1 Job the manifests use. Decoding is strict
// (unknown fields fail), so a misspelt or misplaced field is caught offline,
// where kubectl --dry-run cannot run.
type k8sJob struct {
	APIVersion string      `yaml:"apiVersion"`
	Kind       string      `yaml:"kind"`
	Metadata   k8sMetadata `yaml:"metadata"`
	Spec       struct {
		CompletionMode          string `yaml:"completionMode"`
		Completions             *int   `yaml:"completions"`
		Parallelism             *int   `yaml:"parallelism"`
		BackoffLimit            *int   `yaml:"backoffLimit"`
		BackoffLimitPerIndex    *int   `yaml:"backoffLimitPerIndex"`
		MaxFailedIndexes        *int   `yaml:"maxFailedIndexes"`
		TTLSecondsAfterFinished *int   `yaml:"ttlSecondsAfterFinished"`
		Template                struct {
			Metadata k8sMetadata `yaml:"metadata"`
			Spec     struct {
				RestartPolicy string         `yaml:"restartPolicy"`
				Containers    []k8sContainer `yaml:"containers"`
				Volumes       []struct {
					Name                  string `yaml:"name"`
					PersistentVolumeClaim struct {
						ClaimName string `yaml:"claimName"`
					} `yaml:"persistentVolumeClaim"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type k8sMetadata struct {
	Name   string            `yaml:"name"`
	Labels map[string]string `yaml:"labels"`
}

type k8sContainer struct {
	Name    string   `yaml:"name"`
	Image   string   `yaml:"image"`
	Command []string `yaml:"command"`
	Args    []string `yaml:"args"`
	Env     []struct {
		Name  string `yaml:"name"`
		Value string `yaml:"value"`
	} `yaml:"env"`
	Resources struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

var (
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	envName  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	quantity = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$`)
)

// check applies the API server's validation rules for the fields used.
func (j *k8sJob) check() error {
	s := &j.Spec
	pod := &s.Template.Spec
	switch {
	case j.APIVersion != "batch/v1" || j.Kind != "Job":
		return fmt.Errorf("%s %s, want batch/v1 Job", j.APIVersion, j.Kind)
	case !dnsLabel.MatchString(j.Metadata.Name) || len(j.Metadata.Name) > 63:
		return fmt.Errorf("name %q is not a DNS label", j.Metadata.Name)
	case s.CompletionMode != "" && s.CompletionMode != "Indexed" && s.CompletionMode != "NonIndexed":
		return fmt.Errorf("completionMode %q", s.CompletionMode)
	case s.CompletionMode == "Indexed" && s.Completions == nil:
		return fmt.Errorf("an Indexed Job needs completions")
	case s.Completions != nil && s.Parallelism != nil && *s.Parallelism > *s.Completions:
		return fmt.Errorf("parallelism %d > completions %d", *s.Parallelism, *s.Completions)
	case (s.BackoffLimitPerIndex != nil || s.MaxFailedIndexes != nil) && s.CompletionMode != "Indexed":
		return fmt.Errorf("backoffLimitPerIndex and maxFailedIndexes need completionMode Indexed")
	case s.MaxFailedIndexes != nil && s.BackoffLimitPerIndex == nil:
		return fmt.Errorf("maxFailedIndexes needs backoffLimitPerIndex")
	case pod.RestartPolicy != "Never" && pod.RestartPolicy != "OnFailure":
		return fmt.Errorf("restartPolicy %q: a Job's pods need Never or OnFailure", pod.RestartPolicy)
	case len(pod.Containers) == 0:
		return fmt.Errorf("no containers")
	}
	for k, v := range s.Template.Metadata.Labels {
		if j.Metadata.Labels[k] != v {
			return fmt.Errorf("pod label %s=%s is not on the Job", k, v)
		}
	}
	vols := map[string]bool{}
	for _, v := range pod.Volumes {
		if !dnsLabel.MatchString(v.Name) || v.PersistentVolumeClaim.ClaimName == "" {
			return fmt.Errorf("volume %q: a DNS-label name and a claimName are required", v.Name)
		}
		vols[v.Name] = true
	}
	for _, c := range pod.Containers {
		if !dnsLabel.MatchString(c.Name) || c.Image == "" {
			return fmt.Errorf("container %q: a DNS-label name and an image are required", c.Name)
		}
		for _, e := range c.Env {
			if !envName.MatchString(e.Name) {
				return fmt.Errorf("container %s: env name %q", c.Name, e.Name)
			}
		}
		for _, rs := range []map[string]string{c.Resources.Requests, c.Resources.Limits} {
			for k, v := range rs {
				if !quantity.MatchString(v) {
					return fmt.Errorf("container %s: resource %s=%q is not a quantity", c.Name, k, v)
				}
			}
		}
		if g, ok := c.Resources.Requests["nvidia.com/gpu"]; ok && g != c.Resources.Limits["nvidia.com/gpu"] {
			return fmt.Errorf("container %s: an extended resource's request must equal its limit", c.Name)
		}
		for _, m := range c.VolumeMounts {
			if !vols[m.Name] || !filepath.IsAbs(m.MountPath) {
				return fmt.Errorf("container %s: volumeMount %q at %q: no such volume or not an absolute path", c.Name, m.Name, m.MountPath)
			}
		}
	}
	return nil
}

// TestKubernetesExample validates the three Jobs against the schema subset and
// the API server's rules above, and checks what ifprobe relies on: the
// sharded stages are Indexed Jobs whose IFPROBE_SHARD_COUNT equals their
// completions, with --shard auto; the dataset stage has one GPU per pod; every
// stage mounts the shared volume at the --out directory's root; and the command
// lines parse with this CLI.
func TestKubernetesExample(t *testing.T) {
	for _, c := range []struct {
		file  string
		stage string // "" for the unsharded report
		gpu   bool
	}{
		{"dataset-job.yaml", "dataset", true},
		{"grid-job.yaml", "grid", false},
		{"report-job.yaml", "", true},
	} {
		data, err := os.ReadFile(filepath.Join(clusterDir, "k8s", c.file))
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		var j k8sJob
		if err := dec.Decode(&j); err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if err := j.check(); err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		ctr := j.Spec.Template.Spec.Containers[0]
		if len(ctr.Command) != 1 || ctr.Command[0] != "ifprobe" {
			t.Fatalf("%s: command %v", c.file, ctr.Command)
		}
		checkCommandLine(t, c.file, ctr.Args)
		env := map[string]string{}
		for _, e := range ctr.Env {
			env[e.Name] = e.Value
		}
		if c.stage != "" {
			n, err := strconv.Atoi(env["IFPROBE_SHARD_COUNT"])
			if j.Spec.CompletionMode != "Indexed" || err != nil || n != *j.Spec.Completions {
				t.Errorf("%s: completionMode %q, IFPROBE_SHARD_COUNT %q, completions %d", c.file, j.Spec.CompletionMode, env["IFPROBE_SHARD_COUNT"], *j.Spec.Completions)
			}
			if !slices.Contains(ctr.Args, "auto") || !slices.Contains(ctr.Args, c.stage) {
				t.Errorf("%s: args %v lack --shard auto --stage %s", c.file, ctr.Args, c.stage)
			}
		}
		if got := ctr.Resources.Limits["nvidia.com/gpu"]; (got == "1") != c.gpu {
			t.Errorf("%s: nvidia.com/gpu limit %q", c.file, got)
		}
		out := ctr.Args[slices.Index(ctr.Args, "--out")+1]
		if len(ctr.VolumeMounts) != 1 || !strings.HasPrefix(out, ctr.VolumeMounts[0].MountPath+"/") ||
			!strings.HasPrefix(env["IFPROBE_HOME"], ctr.VolumeMounts[0].MountPath+"/") {
			t.Errorf("%s: --out %s and IFPROBE_HOME %s must be on the shared volume", c.file, out, env["IFPROBE_HOME"])
		}
	}
}
