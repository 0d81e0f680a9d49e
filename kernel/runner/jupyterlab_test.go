package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// freePort returns a TCP port on the loopback address that nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestJupyterLabDefaultKernel starts the venv's JupyterLab, as README's
// `.venv/bin/jupyter lab notebooks/` does, on a loopback port, and asks its server
// which kernel a new notebook gets: "ifprobe" (30-gonb.sh writes it into the
// venv's jupyter_server_config.json), and that the kernelspec is listed.
// A user's own ~/.jupyter is kept out of it.
func TestJupyterLabDefaultKernel(t *testing.T) {
	opts := requireKernel(t)
	jupyter := filepath.Join(opts.Root, ".venv", "bin", "jupyter")
	if err := exec.Command(filepath.Join(opts.Root, ".venv", "bin", "python"), "-c", "import jupyterlab").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("JupyterLab is not installed in the venv: %v\nfix: ./install.sh (step 20-python)", err)
		}
		t.Skipf("JupyterLab is not installed in the venv (%v): run ./install.sh", err)
	}
	port, token := freePort(t), "ifprobe-test-token"
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, jupyter, "lab", "--no-browser", "--allow-root",
		"--ServerApp.ip=127.0.0.1", fmt.Sprintf("--ServerApp.port=%d", port), "--ServerApp.port_retries=0",
		"--IdentityProvider.token="+token, "--ServerApp.root_dir="+t.TempDir())
	cmd.Env = append(os.Environ(), "JUPYTER_CONFIG_DIR="+t.TempDir(), "JUPYTER_RUNTIME_DIR="+t.TempDir())
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); cmd.Wait() }()

	url := fmt.Sprintf("http://127.0.0.1:%d/api/kernelspecs", port)
	var specs struct {
		Default     string                     `json:"default"`
		Kernelspecs map[string]json.RawMessage `json:"kernelspecs"`
	}
	start := time.Now()
	for {
		if time.Since(start) > 90*time.Second {
			t.Fatalf("JupyterLab did not answer %s in 90s:\n%s", url, tail(log.String(), 3000))
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		req.Header.Set("Authorization", "token "+token)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&specs)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && err == nil {
				break
			}
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Logf("JupyterLab answered in %.1fs", time.Since(start).Seconds())
	if specs.Default != KernelName {
		t.Errorf("default kernel %q, want %q (fix: bash scripts/install/30-gonb.sh)", specs.Default, KernelName)
	}
	if _, ok := specs.Kernelspecs[KernelName]; !ok {
		t.Errorf("kernelspecs %v do not list %q", keys(specs.Kernelspecs), KernelName)
	}
}

func keys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
