package doctor

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/registry"
)

// testdata/kernelspec-list.json is the output of `.venv/bin/jupyter kernelspec
// list --json` after ./install.sh on the development machine (jupyter_client
// of requirements-notebooks.txt).
func TestFindKernel(t *testing.T) {
	b, err := os.ReadFile("testdata/kernelspec-list.json")
	if err != nil {
		t.Fatal(err)
	}
	dir, names, err := findKernel(b, "ifprobe")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(dir, filepath.Join("share", "jupyter", "kernels", "ifprobe")) {
		t.Errorf("ifprobe kernel dir = %q", dir)
	}
	if strings.Join(names, ",") != "ifprobe,python3" {
		t.Errorf("kernel names = %v", names)
	}
	if dir, _, _ := findKernel(b, "julia"); dir != "" {
		t.Errorf("found a julia kernel at %q", dir)
	}
	if _, _, err := findKernel([]byte("not json"), "ifprobe"); err == nil {
		t.Error("findKernel accepted malformed JSON")
	}
}

// TestRunBareMachine: an empty $IFPROBE_HOME and a checkout without .venv give
// a report whose missing parts are required and carry the fix; the backend still
// opens (SimpleGo is always there).
func TestRunBareMachine(t *testing.T) {
	home, root := t.TempDir(), t.TempDir()
	t.Setenv("IFPROBE_HOME", home)
	t.Setenv("IFPROBE_BACKEND", "")
	t.Setenv("PATH", t.TempDir()) // no jupyter, gonb or goimports found on PATH
	r := Run(context.Background(), Options{Root: root, Backend: "go", MatMulN: 32, MatMulTime: 1})
	byName := map[string]Check{}
	for _, c := range r.Checks {
		byName[c.Name] = c
	}
	if c := byName["backend"]; c.Status != OK || r.Backend.Kind != "go" {
		t.Errorf("backend check %+v", c)
	}
	if c := byName["matmul"]; c.Status != OK || r.MatMul == nil || r.MatMul.GFLOPs <= 0 {
		t.Errorf("matmul check %+v", c)
	}
	for _, name := range []string{"jupyter", "kernel"} {
		if c := byName[name]; c.Status != Missing || !c.Required || !strings.Contains(c.Fix, "install.sh") {
			t.Errorf("%s check %+v, want missing with the install.sh fix", name, c)
		}
	}
	if len(registry.Defaults()) > 0 {
		if c := byName["models"]; c.Status != Missing || !strings.Contains(c.Fix, "install.sh") {
			t.Errorf("models check %+v, want missing", c)
		}
	}
	if len(r.Problems()) == 0 {
		t.Error("no problems reported on a bare machine")
	}
}

// TestQuickstartInstalled runs every check on this checkout. After ./install.sh
// (as in CI) nothing required may be missing; elsewhere it skips and lists what
// is missing.
func TestQuickstartInstalled(t *testing.T) {
	root, err := filepath.Abs("../../../..") // the checkout root, from cmd/ifprobe/internal/doctor
	if err != nil {
		t.Fatal(err)
	}
	r := Run(context.Background(), Options{Root: root, SkipMatMul: true})
	var msgs []string
	for _, c := range r.Problems() {
		msgs = append(msgs, c.Name+": "+c.Detail+" (fix: "+c.Fix+")")
	}
	if len(msgs) == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("after ./install.sh, doctor finds:\n%s", strings.Join(msgs, "\n"))
	}
	t.Skipf("not fully installed (run ./install.sh):\n%s", strings.Join(msgs, "\n"))
}
