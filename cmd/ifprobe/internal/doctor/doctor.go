package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"

	"github.com/ifprobe/ifprobe/pkg/compute"
	"github.com/ifprobe/ifprobe/pkg/registry"
)

// Status is the outcome of one check.
type Status string

// Check outcomes.
const (
	OK      Status = "ok"      // present and working
	Missing Status = "missing" // absent or broken
	Skipped Status = "skipped" // not run (e.g. the matmul with Options.SkipMatMul)
)

// Check is one line of the report.
type Check struct {
	Name     string `json:"name"`          // short identifier: backend, matmul, models, jupyter, kernel, go, gonb, goimports, xla-cpu
	Status   Status `json:"status"`        // ok, missing or skipped
	Detail   string `json:"detail"`        // what was found, in words
	Fix      string `json:"fix,omitempty"` // what to do when it is missing
	Required bool   `json:"required"`      // the Quickstart needs it; a missing one makes `ifprobe doctor` exit 4
}

// Report is everything Run found.
type Report struct {
	Backend compute.Info          `json:"backend"`          // the backend compute.Open chose, and why
	Found   compute.Found         `json:"found"`            // the PJRT plugins and GPU compute.Discover saw
	CPU     string                `json:"cpu"`              // CPU model and core count
	MatMul  *compute.MatMulResult `json:"matmul,omitempty"` // the measured f32 matmul on Backend
	Home    string                `json:"ifprobe_home"`     // $IFPROBE_HOME
	Models  []string              `json:"models"`           // installed models (pkg/registry)
	Checks  []Check               `json:"checks"`
}

// Problems returns the required checks that are not OK.
func (r Report) Problems() []Check {
	var out []Check
	for _, c := range r.Checks {
		if c.Required && c.Status != OK {
			out = append(out, c)
		}
	}
	return out
}

// Options configures Run. The zero value checks everything on the automatic
// backend with a 512×512 matmul timed for about a second.
type Options struct {
	Root       string        // the ifprobe checkout (for .venv); "" means $IFPROBE_ROOT, else the working directory
	Backend    string        // backend choice passed to compute.Open; "" means automatic
	MatMulN    int           // matmul size; 0 means 512
	MatMulTime time.Duration // minimum timed duration; 0 means 1s
	SkipMatMul bool          // do not measure the matmul
}

const installFix = "run ./install.sh"

// Run performs every check. It never fails as a whole: each problem is a Check
// with Status Missing and a Fix.
func Run(ctx context.Context, opt Options) Report {
	if opt.Root == "" {
		opt.Root = os.Getenv("IFPROBE_ROOT")
	}
	if opt.Root == "" {
		opt.Root, _ = os.Getwd()
	}
	r := Report{Home: compute.HomeDir(), CPU: cpuModel(), Found: compute.Discover()}
	r.checkBackend(opt)
	r.checkModels()
	r.checkJupyter(ctx, opt.Root)
	r.checkTools()
	return r
}

func (r *Report) add(c Check) { r.Checks = append(r.Checks, c) }

func (r *Report) checkBackend(opt Options) {
	b, info, err := compute.Open(opt.Backend)
	r.Backend = info
	if err != nil {
		r.add(Check{Name: "backend", Status: Missing, Required: true, Detail: err.Error(),
			Fix: "unset " + compute.EnvBackend + " or " + installFix})
		r.add(Check{Name: "matmul", Status: Skipped, Detail: "no backend"})
	} else {
		r.add(Check{Name: "backend", Status: OK, Required: true,
			Detail: fmt.Sprintf("%s (%s) on %s: %s", info.Kind, info.Config, info.Device, info.Reason)})
		if opt.SkipMatMul {
			r.add(Check{Name: "matmul", Status: Skipped, Detail: "skipped (--no-bench)"})
		} else {
			r.checkMatMul(b, opt)
		}
	}
	if r.Found.CPUPlugin != "" {
		r.add(Check{Name: "xla-cpu", Status: OK, Detail: "XLA CPU PJRT plugin: " + r.Found.CPUPlugin})
	} else {
		r.add(Check{Name: "xla-cpu", Status: Missing, Detail: "no XLA CPU PJRT plugin (SimpleGo is 10-50x slower)",
			Fix: installFix + " (step xla)"})
	}
}

func (r *Report) checkMatMul(b backends.Backend, opt Options) {
	n, d := opt.MatMulN, opt.MatMulTime
	if n == 0 {
		n = 512
	}
	if d == 0 {
		d = time.Second
	}
	res, err := compute.MeasureMatMul(b, n, d)
	if err != nil {
		r.add(Check{Name: "matmul", Status: Missing, Required: true, Detail: err.Error(), Fix: "unset " + compute.EnvBackend})
		return
	}
	r.MatMul = &res
	r.add(Check{Name: "matmul", Status: OK, Detail: fmt.Sprintf("f32 %dx%d matmul: %.1f GFLOP/s (%d runs in %s)",
		n, n, res.GFLOPs, res.Runs, res.Elapsed.Round(time.Millisecond))})
}

func (r *Report) checkModels() {
	installed, err := registry.Installed()
	if err != nil {
		r.add(Check{Name: "models", Status: Missing, Required: true, Detail: err.Error(), Fix: installFix})
		return
	}
	have := map[string]bool{}
	for _, m := range installed {
		r.Models = append(r.Models, m.Name)
		have[m.Name] = true
	}
	var missing []string
	for _, e := range registry.Defaults() {
		if !have[e.Name] {
			missing = append(missing, e.Name)
		}
	}
	detail := fmt.Sprintf("%d installed in %s", len(installed), registry.ModelsDir())
	if len(r.Models) > 0 {
		detail += ": " + strings.Join(r.Models, ", ")
	}
	if len(missing) > 0 {
		r.add(Check{Name: "models", Status: Missing, Required: true,
			Detail: detail + "; default model(s) missing: " + strings.Join(missing, ", "),
			Fix:    installFix + " (or ifprobe models install " + missing[0] + ")"})
		return
	}
	r.add(Check{Name: "models", Status: OK, Required: true, Detail: detail})
}

// checkJupyter finds Jupyter (the checkout's .venv first, then PATH) and asks it
// for the "ifprobe" kernelspec.
func (r *Report) checkJupyter(ctx context.Context, root string) {
	jupyter := filepath.Join(root, ".venv", "bin", "jupyter")
	if _, err := os.Stat(jupyter); err != nil {
		if p, err := exec.LookPath("jupyter"); err == nil {
			jupyter = p
		} else {
			r.add(Check{Name: "jupyter", Status: Missing, Required: true,
				Detail: "no " + filepath.Join(root, ".venv", "bin", "jupyter") + " and no jupyter on PATH", Fix: installFix})
			r.add(Check{Name: "kernel", Status: Missing, Required: true, Detail: "no Jupyter to ask", Fix: installFix})
			return
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, jupyter, "kernelspec", "list", "--json").Output()
	if err != nil {
		r.add(Check{Name: "jupyter", Status: Missing, Required: true,
			Detail: fmt.Sprintf("%s kernelspec list --json: %v", jupyter, err), Fix: installFix})
		r.add(Check{Name: "kernel", Status: Missing, Required: true, Detail: "Jupyter does not run", Fix: installFix})
		return
	}
	r.add(Check{Name: "jupyter", Status: OK, Required: true, Detail: jupyter})
	dir, names, err := findKernel(out, "ifprobe")
	switch {
	case err != nil:
		r.add(Check{Name: "kernel", Status: Missing, Required: true, Detail: err.Error(), Fix: installFix})
	case dir == "":
		r.add(Check{Name: "kernel", Status: Missing, Required: true,
			Detail: "no \"ifprobe\" kernelspec (have: " + strings.Join(names, ", ") + ")", Fix: installFix + " (step gonb)"})
	default:
		r.add(Check{Name: "kernel", Status: OK, Required: true, Detail: "ifprobe kernelspec in " + dir})
	}
}

// findKernel reads `jupyter kernelspec list --json` output.
func findKernel(listJSON []byte, name string) (dir string, names []string, err error) {
	var list struct {
		Kernelspecs map[string]struct {
			ResourceDir string `json:"resource_dir"`
		} `json:"kernelspecs"`
	}
	if err := json.Unmarshal(listJSON, &list); err != nil {
		return "", nil, fmt.Errorf("doctor: jupyter kernelspec list --json: %w", err)
	}
	for n := range list.Kernelspecs {
		names = append(names, n)
	}
	sort.Strings(names)
	return list.Kernelspecs[name].ResourceDir, names, nil
}

// checkTools looks for go, gonb and goimports on PATH, then in Go's bin directory
// (where install.sh puts gonb and goimports, and which the kernel's PATH has).
func (r *Report) checkTools() {
	for _, tool := range []struct{ name, fix string }{
		{"go", "install Go 1.26 (./install.sh checks it)"},
		{"gonb", installFix + " (step gonb)"},
		{"goimports", installFix + " (step gonb)"},
	} {
		if p := lookTool(tool.name); p != "" {
			r.add(Check{Name: tool.name, Status: OK, Required: true, Detail: p})
		} else {
			r.add(Check{Name: tool.name, Status: Missing, Required: true, Detail: "not on PATH nor in Go's bin directory", Fix: tool.fix})
		}
	}
}

func lookTool(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	var dirs []string
	if d := os.Getenv("GOBIN"); d != "" {
		dirs = append(dirs, d)
	}
	if d := os.Getenv("GOPATH"); d != "" {
		dirs = append(dirs, filepath.Join(d, "bin"))
	}
	if h, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(h, "go", "bin"))
	}
	dirs = append(dirs, "/usr/local/go/bin")
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// cpuModel returns "model name (N cores)" from /proc/cpuinfo, or the core count.
func cpuModel() string {
	model := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	if model == "" {
		model = runtime.GOARCH
	}
	return fmt.Sprintf("%s (%d cores)", model, runtime.NumCPU())
}
