package model

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/compute"
	"github.com/ifprobe/ifprobe/pkg/hook"
)

// envDevicesChild marks the child process TestOnDevicesMatchesOneDevice starts:
// the XLA CPU client's host device count is fixed when it starts
// (compute.EnvCPUDevices), and the tests of this process share one client.
const envDevicesChild = "IFPROBE_DEVICES_CHILD"

// TestOnDevicesMatchesOneDevice: generation spread over two XLA CPU host devices
// gives every prompt the tokens, stop reason and captured states of one device,
// with an intervention that applies to odd prompt indices only (so a device that
// saw its own row or local index instead of the prompt's would steer the wrong
// prompts) and with seeded sampling (prompt i draws from PCG(seed, i) on
// whichever device answers it).
//
// With Batch 4 each device's share of the 15 prompts (8 and 7) fills its 4 rows,
// so every graph runs the shapes of one device (the cache's columns come from
// all the prompts) and a row's arithmetic does not depend on the other rows: the
// states must be equal bit for bit. With Batch 0 (all prompts at once) one
// device decodes 15 rows and the two devices 8 and 7, and XLA's matrix products
// may sum a row's terms in another order for another batch shape, so the states
// agree to batchTol there (as continuous batching within one device does; see
// TestContinuousBatchingMatchesAlone). The largest differences are logged.
func TestOnDevicesMatchesOneDevice(t *testing.T) {
	if os.Getenv(envDevicesChild) == "" {
		runDevicesChild(t, "TestOnDevicesMatchesOneDevice")
		return
	}
	backend, info, err := compute.Default()
	if err != nil {
		t.Fatal(err)
	}
	if n := backend.NumDevices(); n != 2 || info.Devices != 2 {
		t.Fatalf("%s has %d devices (Info.Devices %d), want 2 ($%s=%q)", info.Config, n, info.Devices,
			compute.EnvCPUDevices, os.Getenv(compute.EnvCPUDevices))
	}
	cfg := tinyConfigs()["gemma3"]
	w, err := RandomWeights(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	one, err := New(backend, cfg, w)
	if err != nil {
		t.Fatal(err)
	}
	two, err := one.OnDevices(2)
	if err != nil {
		t.Fatal(err)
	}
	defer two.Free()
	if two.Devices() != 2 || !two.replicas[1].weights[0].IsOnDevice(1) {
		t.Fatalf("OnDevices(2): %d devices, the second's weights on device 1: %v", two.Devices(), two.replicas[1].weights[0].IsOnDevice(1))
	}
	prompts, stop := continuousCase(t, one, 11)
	hooks := []hook.Point{hook.ResidPost(0), hook.AttnHeads(1), hook.FinalNorm}
	cases := map[string]GenerateOptions{
		"greedy-steer": {MaxTokens: 12, Stop: stop, Capture: hooks, Batch: 4,
			Interventions: []Intervention{steerOdd(one, func(b int) int { return b })}},
		"sampled": {MaxTokens: 12, Stop: stop, Capture: hooks, Batch: 4, Temperature: 0.8, TopK: 20, Seed: 5},
		"whole":   {MaxTokens: 12, Stop: stop, Capture: hooks},
	}
	for name, opts := range cases {
		tol, batch := 0.0, 4
		if opts.Batch == 0 {
			tol, batch = batchTol, 8
		}
		t.Run(name, func(t *testing.T) {
			want, wst, err := one.Generate(prompts, opts)
			if err != nil {
				t.Fatal(err)
			}
			streamed := make([][]int, len(prompts))
			o := opts
			o.OnToken = func(i, step, tok int) {
				if step != len(streamed[i]) {
					t.Errorf("prompt %d: OnToken step %d after %d tokens", i, step, len(streamed[i]))
				}
				streamed[i] = append(streamed[i], tok)
			}
			got, gst, err := two.Generate(prompts, o)
			if err != nil {
				t.Fatal(err)
			}
			maxDiff := 0.0
			for i := range prompts {
				if !slices.Equal(got[i].Tokens, want[i].Tokens) || got[i].Stop != want[i].Stop {
					t.Fatalf("prompt %d: two devices %v (%s), one %v (%s)", i, got[i].Tokens, got[i].Stop, want[i].Tokens, want[i].Stop)
				}
				if !slices.Equal(streamed[i], got[i].Tokens) {
					t.Errorf("prompt %d: streamed %v, returned %v", i, streamed[i], got[i].Tokens)
				}
				for _, h := range hooks {
					if len(got[i].Captures[h]) != len(want[i].Captures[h]) {
						t.Fatalf("prompt %d %s: %d values, one device %d", i, h, len(got[i].Captures[h]), len(want[i].Captures[h]))
					}
					maxDiff = max(maxDiff, MaxAbsDiff(got[i].Captures[h], want[i].Captures[h]))
				}
			}
			t.Logf("%s: largest difference of a captured state: %g", name, maxDiff)
			if !(maxDiff <= tol) {
				t.Errorf("captured states differ by %g > %g", maxDiff, tol)
			}
			if gst.Devices != 2 || gst.GeneratedTokens != wst.GeneratedTokens || gst.PromptTokens != wst.PromptTokens || gst.Batch != batch {
				t.Errorf("stats on two devices %+v, one %+v", gst, wst)
			}
		})
	}
	t.Run("error", func(t *testing.T) {
		stopAt := errors.New("stop at prompt 3")
		_, err := two.GenerateStream(prompts, GenerateOptions{MaxTokens: 12, Batch: 4}, func(i int, _ Sequence) error {
			if i == 3 {
				return stopAt
			}
			return nil
		})
		if !errors.Is(err, stopAt) {
			t.Fatalf("GenerateStream returned %v, want done's error", err)
		}
	})
}

// runDevicesChild reruns test name in a child process whose XLA CPU client has
// two host devices, and logs what the child logged.
func runDevicesChild(t *testing.T, name string) {
	xla := false
	for _, c := range compute.Available() {
		xla = xla || c.Kind == compute.KindXLACPU
	}
	if !xla {
		if os.Getenv("CI") == "true" {
			t.Fatal("no XLA CPU PJRT plugin: install.sh installs it, and CI must test several devices")
		}
		t.Skip("no XLA CPU PJRT plugin (SimpleGo has one device): run ./install.sh")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), envDevicesChild+"=1", compute.EnvBackend+"=xla:cpu", compute.EnvCPUDevices+"=2")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+name) {
		t.Fatalf("child with two host devices: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "differ") {
			t.Log(strings.TrimSpace(line))
		}
	}
}

// TestOnDevicesChecksTheCount: a model asks for no more devices than its backend
// has (SimpleGo has one), and one device is the model itself.
func TestOnDevicesChecksTheCount(t *testing.T) {
	m := tinyModel(t, "llama")
	if got, err := m.OnDevices(1); err != nil || got != m || got.Devices() != 1 {
		t.Fatalf("OnDevices(1) = %p, %v; want the model itself (%p)", got, err, m)
	}
	for _, n := range []int{0, 2} {
		_, err := m.OnDevices(n)
		if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), fmt.Sprintf("OnDevices(%d)", n)) {
			t.Errorf("OnDevices(%d) on SimpleGo: %v, want ErrBadInput naming the count", n, err)
		}
	}
}
