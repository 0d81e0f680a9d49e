package compute

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func kinds(cs []Candidate) string {
	var s []string
	for _, c := range cs {
		s = append(s, string(c.Kind))
	}
	return strings.Join(s, ",")
}

func TestPlan(t *testing.T) {
	const (
		cpu  = "/home/u/.cache/ifprobe/pjrt/pjrt_c_api_cpu_plugin.so"
		cuda = "/venv/lib/python3.11/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so"
		nv   = "/venv/lib/python3.11/site-packages/nvidia"
	)
	everything := Found{XLACompiled: true, CPUPlugin: cpu, CUDAPlugin: cuda, CUDADataDir: nv, GPU: true}
	for i, tc := range []struct {
		choice, source string
		found          Found
		wantKinds      string // candidates in order
		wantConfig     string // config of the first candidate
		wantReason     string // substring of the first candidate's reason
		wantErr        error
	}{
		{"", "", everything, "xla-cuda,xla-cpu,go", "xla:" + cuda, "CUDA PJRT plugin found", nil},                      // 0
		{"", "", Found{XLACompiled: true, CPUPlugin: cpu}, "xla-cpu,go", "xla:" + cpu, "no CUDA plugin found", nil},    // 1
		{"", "", Found{XLACompiled: true}, "go", SimpleGoConfig, "no XLA PJRT plugin installed", nil},                  // 2
		{"", "", Found{XLACompiled: true, CUDAPlugin: cuda, CPUPlugin: cpu}, "xla-cpu,go", "xla:" + cpu, "", nil},      // 3: plugin but no GPU
		{"", "", Found{CPUPlugin: cpu, CUDAPlugin: cuda, GPU: true}, "go", SimpleGoConfig, "built without cgo", nil},   // 4
		{"auto", "$IFPROBE_BACKEND", everything, "xla-cuda,xla-cpu,go", "xla:" + cuda, "", nil},                        // 5
		{"go", "$IFPROBE_BACKEND", everything, "go", SimpleGoConfig, "chosen by $IFPROBE_BACKEND", nil},                // 6
		{"go:parallelism=1", "--backend", everything, "go", "go:parallelism=1", "chosen by --backend", nil},            // 7
		{"xla", "--backend", everything, "xla-cuda", "xla:" + cuda, "chosen by --backend", nil},                        // 8
		{"xla", "--backend", Found{XLACompiled: true, CPUPlugin: cpu}, "xla-cpu", "xla:" + cpu, "", nil},               // 9
		{"xla:cpu", "$IFPROBE_BACKEND", everything, "xla-cpu", "xla:" + cpu, "", nil},                                  // 10
		{"xla:cuda", "$IFPROBE_BACKEND", everything, "xla-cuda", "xla:" + cuda, "", nil},                               // 11
		{"xla:/opt/p.so", "--backend", Found{XLACompiled: true}, "xla-cpu", "xla:/opt/p.so", "/opt/p.so", nil},         // 12
		{"xla:cpu", "$IFPROBE_BACKEND", Found{XLACompiled: true}, "", "", "", ErrNoPlugin},                             // 13
		{"xla:cuda", "$IFPROBE_BACKEND", Found{XLACompiled: true, CUDAPlugin: cuda}, "", "", "", ErrNoGPU},             // 14
		{"xla:cuda", "$IFPROBE_BACKEND", Found{XLACompiled: true, CPUPlugin: cpu, GPU: true}, "", "", "", ErrNoPlugin}, // 15
		{"xla:cpu", "$IFPROBE_BACKEND", Found{CPUPlugin: cpu}, "", "", "", ErrNoXLA},                                   // 16
		{"xla", "--backend", Found{XLACompiled: true}, "", "", "", ErrNoPlugin},                                        // 17
		{"tpu", "$IFPROBE_BACKEND", everything, "", "", "", ErrUnknownBackend},                                         // 18
		{"xla:tpu", "$IFPROBE_BACKEND", everything, "", "", "", ErrUnknownBackend},                                     // 19
	} {
		got, err := Plan(tc.choice, tc.source, tc.found)
		if tc.wantErr != nil {
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("%d: Plan(%q) error %v, want %v", i, tc.choice, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%d: Plan(%q): %v", i, tc.choice, err)
			continue
		}
		if k := kinds(got); k != tc.wantKinds {
			t.Errorf("%d: Plan(%q) kinds %s, want %s", i, tc.choice, k, tc.wantKinds)
		}
		if got[0].Config != tc.wantConfig {
			t.Errorf("%d: Plan(%q) config %q, want %q", i, tc.choice, got[0].Config, tc.wantConfig)
		}
		if !strings.Contains(got[0].Reason, tc.wantReason) {
			t.Errorf("%d: Plan(%q) reason %q, want it to contain %q", i, tc.choice, got[0].Reason, tc.wantReason)
		}
		if last := got[len(got)-1]; tc.choice == "" && last.Kind != KindSimpleGo {
			t.Errorf("%d: automatic plan ends with %s, want go", i, last.Kind)
		}
	}
}

// TestPlanErrorsNameTheFix: an error for a forced backend names the variable it
// came from and what to do.
func TestPlanErrorsNameTheFix(t *testing.T) {
	_, err := Plan("xla:cpu", "$"+EnvBackend, Found{XLACompiled: true, Searched: []string{"/x/pjrt"}})
	for _, want := range []string{"$IFPROBE_BACKEND", "xla:cpu", "./install.sh", "unset IFPROBE_BACKEND", "/x/pjrt"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// TestDiscoverFindsInstalledPlugins lays out an $IFPROBE_HOME and a venv the way
// install.sh and pip do, with empty files standing in for the plugins (Discover
// only stats them).
func TestDiscoverFindsInstalledPlugins(t *testing.T) {
	home, root := t.TempDir(), t.TempDir()
	t.Setenv(EnvHome, home)
	t.Setenv("IFPROBE_ROOT", root)
	t.Setenv("VIRTUAL_ENV", "")
	sp := filepath.Join(root, ".venv", "lib", "python3.11", "site-packages")
	cuda := filepath.Join(sp, "jax_plugins", "xla_cuda13", "xla_cuda_plugin.so")
	libdevice := filepath.Join(sp, "nvidia", "cu13", "nvvm", "libdevice")
	cpu := filepath.Join(home, "pjrt", CPUPluginFile)
	for _, p := range []string{cuda, cpu} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(libdevice, 0o755); err != nil {
		t.Fatal(err)
	}
	f := Discover()
	if f.CPUPlugin != cpu {
		t.Errorf("CPUPlugin = %q, want %q", f.CPUPlugin, cpu)
	}
	if f.CUDAPlugin != cuda {
		t.Errorf("CUDAPlugin = %q, want %q", f.CUDAPlugin, cuda)
	}
	if want := filepath.Join(sp, "nvidia", "cu13"); f.CUDADataDir != want {
		t.Errorf("CUDADataDir = %q, want %q", f.CUDADataDir, want)
	}
	if f.XLACompiled != xlaCompiled {
		t.Errorf("XLACompiled = %v, want %v", f.XLACompiled, xlaCompiled)
	}
}

func TestCheckChoice(t *testing.T) {
	for _, ok := range []string{"", "auto", "go", "go:parallelism=2", "xla", "xla:cpu", "xla:cuda", "xla:/p.so"} {
		if err := CheckChoice(ok); err != nil {
			t.Errorf("CheckChoice(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"tpu", "xla:tpu", "xla:relative/p.so"} {
		if err := CheckChoice(bad); !errors.Is(err, ErrUnknownBackend) {
			t.Errorf("CheckChoice(%q) = %v, want ErrUnknownBackend", bad, err)
		}
	}
}

// FuzzPlan: any choice string, with or without plugins, gives either an error
// or candidates; never a panic, never an empty plan, and an automatic plan
// always ends with SimpleGo.
func FuzzPlan(f *testing.F) {
	for _, s := range []string{"", "auto", "go", "go:ops_sequential", "xla", "xla:", "xla:cpu", "xla:cuda", "xla:/p.so", "xla:rel", " go ", "xla::cpu"} {
		f.Add(s, true, true)
	}
	f.Fuzz(func(t *testing.T, choice string, compiled, plugins bool) {
		found := Found{XLACompiled: compiled, GPU: plugins}
		if plugins {
			found.CPUPlugin, found.CUDAPlugin = "/cpu.so", "/cuda.so"
		}
		cands, err := Plan(choice, "$"+EnvBackend, found)
		if err != nil {
			if len(cands) != 0 {
				t.Fatalf("Plan(%q) returned candidates with error %v", choice, err)
			}
			return
		}
		if len(cands) == 0 {
			t.Fatalf("Plan(%q): no candidates and no error", choice)
		}
		for _, c := range cands {
			if c.Config == "" || c.Reason == "" {
				t.Fatalf("Plan(%q): candidate %+v lacks config or reason", choice, c)
			}
		}
		if c := strings.TrimSpace(choice); (c == "" || c == "auto") && cands[len(cands)-1].Kind != KindSimpleGo {
			t.Fatalf("automatic plan ends with %s", cands[len(cands)-1].Kind)
		}
	})
}
