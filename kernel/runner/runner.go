package runner

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// KernelName is the Jupyter kernel that scripts/install/30-gonb.sh installs.
const KernelName = "ifprobe"

// EnvProfile is the variable notebooks read for their profile (kernel/nb.Profile).
const EnvProfile = "IFPROBE_PROFILE"

// Sentinel errors, tested with errors.Is.
var (
	// ErrNoJupyter: the venv's Python, or nbclient/nbconvert in it, is missing.
	ErrNoJupyter = errors.New("runner: Jupyter is not installed (run ./install.sh, step 20-python)")
	// ErrNoKernel: the ifprobe Jupyter kernel is not installed in the venv.
	ErrNoKernel = errors.New("runner: the ifprobe Jupyter kernel is not installed (run ./install.sh, step 30-gonb)")
	// ErrNotebookFailed: a notebook ran but a cell failed or a check did not pass.
	ErrNotebookFailed = errors.New("runner: notebook failed")
)

//go:embed driver.py
var driverPy []byte

// htmlExport is the HTML exporter driver.py imports (htmlexport/export.py) and its
// nbconvert template: an export that loads nothing from the network.
//
//go:embed htmlexport
var htmlExport embed.FS

// Options says how to run notebooks. The zero value runs with the checkout's venv,
// the ifprobe kernel, the full profile and no HTML, writing under Root/runs/notebooks.
type Options struct {
	Root    string        // the ifprobe checkout; "" means FindRoot()
	Python  string        // the interpreter with nbclient; "" means Root/.venv/bin/python
	Kernel  string        // Jupyter kernel name; "" means KernelName
	OutDir  string        // executed notebooks (and HTML) go here; "" means Root/runs/notebooks
	HTML    bool          // also export each executed notebook as HTML
	Profile string        // exported as $IFPROBE_PROFILE to the kernel ("ci" for tests); "" leaves the environment as is
	Timeout time.Duration // per cell; 0 means 10 minutes
	Env     []string      // extra KEY=VALUE entries for the kernel's environment
	Log     io.Writer     // progress lines ("run 00-tour ... ok 12.3s"); nil means silent
}

// Result is what running one notebook produced.
type Result struct {
	Name     string        `json:"name"`     // notebook name without .ipynb
	Source   string        `json:"source"`   // the notebook that was run
	Executed string        `json:"executed"` // the executed copy, with outputs
	HTML     string        `json:"html,omitempty"`
	Duration time.Duration `json:"duration_ns"`
	Report   Report        `json:"report"`
	Stopped  *CellError    `json:"stopped,omitempty"` // the cell where execution stopped, if it did
	Cells    []CellTime    `json:"cells"`             // code cells that ran, in order, with their time
	// HTMLError says why the HTML export failed (HTML is then ""); a failure.
	HTMLError string `json:"html_error,omitempty"`
}

// CellTime is how long one code cell took, compilation included (gonb builds each
// cell as a program).
type CellTime struct {
	Cell    int     `json:"cell"` // index in the notebook's cells
	Seconds float64 `json:"seconds"`
}

// Err returns nil when the notebook ran to the end with no error output and at least
// one image, and otherwise an error wrapping ErrNotebookFailed that says which cell
// failed and how.
func (r *Result) Err() error {
	var problems []string
	if r.Stopped != nil {
		problems = append(problems, "execution stopped at "+r.Stopped.String())
	}
	for _, e := range r.Report.Errors {
		if r.Stopped != nil && e.Cell == r.Stopped.Cell {
			continue // already said
		}
		problems = append(problems, "error output in "+e.String())
	}
	if r.Stopped == nil && r.Report.Images == 0 {
		problems = append(problems, "no image output (image/png or image/svg+xml) in any cell")
	}
	if r.HTMLError != "" {
		problems = append(problems, "HTML export failed: "+r.HTMLError)
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s: %s", ErrNotebookFailed, r.Name, strings.Join(problems, "; "))
}

// status is driver.py's STATUS.json.
type status struct {
	OK      bool   `json:"ok"`
	Missing string `json:"missing"`
	Error   *struct {
		Cell    int    `json:"cell"`
		EName   string `json:"ename"`
		EValue  string `json:"evalue"`
		Message string `json:"message"`
	} `json:"error"`
	HTMLError string `json:"html_error"`
	Cells     []struct {
		Index   int     `json:"index"`
		Seconds float64 `json:"seconds"`
	} `json:"cells"`
}

// FindRoot returns the ifprobe checkout: $IFPROBE_ROOT if set, else the first
// directory, going up from the working directory and then from the executable's
// directory, whose go.mod declares module github.com/ifprobe/ifprobe.
func FindRoot() (string, error) {
	if r := os.Getenv("IFPROBE_ROOT"); r != "" {
		return filepath.Abs(r)
	}
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(exe))
	}
	for _, dir := range starts {
		for d := dir; ; d = filepath.Dir(d) {
			if isRoot(d) {
				return d, nil
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return "", errors.New("runner: cannot find the ifprobe checkout: set IFPROBE_ROOT or run inside it")
}

func isRoot(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil || len(b) > 1<<20 {
		return false
	}
	first, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(first) == "module github.com/ifprobe/ifprobe"
}

// List returns the notebooks (*.ipynb) directly in dir, sorted by name.
func List(dir string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.ipynb"))
	if err != nil {
		return nil, fmt.Errorf("runner: list %s: %w", dir, err)
	}
	sort.Strings(paths)
	return paths, nil
}

// Resolve turns notebook names as a user types them ("00-tour", "00-tour.ipynb", a
// path) into paths under Root/notebooks or as given. No names means every notebook
// in Root/notebooks.
func Resolve(root string, names []string) ([]string, error) {
	dir := filepath.Join(root, "notebooks")
	if len(names) == 0 {
		paths, err := List(dir)
		if err == nil && len(paths) == 0 {
			err = fmt.Errorf("runner: no notebooks in %s", dir)
		}
		return paths, err
	}
	var out []string
	for _, n := range names {
		cands := []string{n, n + ".ipynb", filepath.Join(dir, n), filepath.Join(dir, n+".ipynb")}
		found := ""
		for _, c := range cands {
			if strings.HasSuffix(c, ".ipynb") {
				if st, err := os.Stat(c); err == nil && st.Mode().IsRegular() {
					found = c
					break
				}
			}
		}
		if found == "" {
			avail, _ := List(dir)
			for i := range avail {
				avail[i] = strings.TrimSuffix(filepath.Base(avail[i]), ".ipynb")
			}
			return nil, fmt.Errorf("runner: no notebook %q (available: %s)", n, strings.Join(avail, ", "))
		}
		out = append(out, found)
	}
	return out, nil
}

// Check reports whether Jupyter (nbclient, nbconvert) and the kernel are installed for
// opts, returning ErrNoJupyter or ErrNoKernel (wrapped, with the path looked at).
func Check(opts Options) error {
	o, err := opts.withDefaults()
	if err != nil {
		return err
	}
	return o.check()
}

func (o Options) check() error {
	if _, err := os.Stat(o.Python); err != nil {
		return fmt.Errorf("%w: no interpreter at %s", ErrNoJupyter, o.Python)
	}
	// The kernel spec is a file the install step writes into the venv; looking for it
	// directly avoids starting Jupyter (seconds) just to list kernels.
	prefix := filepath.Dir(filepath.Dir(o.Python))
	spec := filepath.Join(prefix, "share", "jupyter", "kernels", o.Kernel, "kernel.json")
	if _, err := os.Stat(spec); err != nil {
		return fmt.Errorf("%w: no %s", ErrNoKernel, spec)
	}
	return nil
}

func (o Options) withDefaults() (Options, error) {
	if o.Root == "" {
		r, err := FindRoot()
		if err != nil {
			return o, err
		}
		o.Root = r
	}
	if o.Python == "" {
		o.Python = filepath.Join(o.Root, ".venv", "bin", "python")
	}
	if o.Kernel == "" {
		o.Kernel = KernelName
	}
	if o.OutDir == "" {
		o.OutDir = filepath.Join(o.Root, "runs", "notebooks")
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Minute
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	return o, nil
}

// Run executes each notebook in a fresh kernel, in order, and checks its outputs. It
// returns one Result per notebook it ran. The error is ErrNoJupyter or ErrNoKernel
// (wrapped) when nothing could run, or, when notebooks ran and some failed, an error
// wrapping ErrNotebookFailed that lists every failure. Run stops early only when ctx
// is cancelled.
func Run(ctx context.Context, opts Options, notebooks []string) ([]Result, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := o.check(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("runner: %w", err)
	}
	tmp, err := os.MkdirTemp("", "ifprobe-runner")
	if err != nil {
		return nil, fmt.Errorf("runner: %w", err)
	}
	defer os.RemoveAll(tmp)
	driver := filepath.Join(tmp, "driver.py")
	if err := os.WriteFile(driver, driverPy, 0o644); err != nil {
		return nil, fmt.Errorf("runner: %w", err)
	}
	if err := os.CopyFS(tmp, htmlExport); err != nil {
		return nil, fmt.Errorf("runner: %w", err)
	}
	var results []Result
	var failures []error
	for _, path := range notebooks {
		if err := ctx.Err(); err != nil {
			return results, err
		}
		res, err := o.runOne(ctx, driver, tmp, path)
		if err != nil {
			return results, err
		}
		results = append(results, res)
		verdict := "ok"
		if err := res.Err(); err != nil {
			failures = append(failures, err)
			verdict = "FAILED"
		}
		fmt.Fprintf(o.Log, "%-28s %-6s %6.1fs  %d cells, %d images\n", res.Name, verdict, res.Duration.Seconds(), res.Report.CodeCells, res.Report.Images)
	}
	if len(failures) > 0 {
		return results, errors.Join(failures...)
	}
	return results, nil
}

// runOne executes one notebook through driver.py. Its error is for failures to run at
// all (missing Jupyter or kernel, unreadable output); cell failures are in the Result.
func (o Options) runOne(ctx context.Context, driver, tmp, path string) (Result, error) {
	name := strings.TrimSuffix(filepath.Base(path), ".ipynb")
	res := Result{Name: name, Source: path, Executed: filepath.Join(o.OutDir, name+".ipynb")}
	statusPath := filepath.Join(tmp, name+".status.json")
	args := []string{driver, path, res.Executed, statusPath,
		"--kernel", o.Kernel, "--timeout", fmt.Sprint(int(o.Timeout.Seconds())),
		"--cwd", filepath.Dir(path)}
	if o.HTML {
		res.HTML = filepath.Join(o.OutDir, name+".html")
		args = append(args, "--html", res.HTML)
	}
	cmd := exec.CommandContext(ctx, o.Python, args...)
	// On cancellation interrupt the driver first: nbclient then shuts its kernel down
	// instead of leaving it running; it is killed if it takes longer.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 15 * time.Second
	cmd.Env = append(os.Environ(), "IFPROBE_ROOT="+o.Root, "PYDEVD_DISABLE_FILE_VALIDATION=1")
	if o.Profile != "" {
		cmd.Env = append(cmd.Env, EnvProfile+"="+o.Profile)
	}
	cmd.Env = append(cmd.Env, o.Env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	res.Duration = time.Since(start)
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	raw, rerr := os.ReadFile(statusPath)
	if rerr != nil {
		return res, fmt.Errorf("runner: %s: the driver wrote no status (%v): %v\n%s", name, rerr, err, tail(stderr.String(), 3000))
	}
	var st status
	if err := json.Unmarshal(raw, &st); err != nil {
		return res, fmt.Errorf("runner: %s: status %s: %w", name, statusPath, err)
	}
	switch st.Missing {
	case "nbclient":
		return res, fmt.Errorf("%w: %s", ErrNoJupyter, st.Error.EValue)
	case "kernel":
		return res, fmt.Errorf("%w: %s", ErrNoKernel, st.Error.EValue)
	}
	for _, c := range st.Cells {
		res.Cells = append(res.Cells, CellTime{c.Index, c.Seconds})
	}
	if st.HTMLError != "" {
		res.HTML, res.HTMLError = "", st.HTMLError
	}
	if st.Error != nil {
		res.Stopped = &CellError{Cell: st.Error.Cell, Name: st.Error.EName, Value: st.Error.EValue, Detail: st.Error.Message}
	}
	rep, err := ReadReport(res.Executed)
	if err != nil {
		return res, err
	}
	res.Report = rep
	if res.Stopped != nil {
		// The report's detail (stderr, compiler messages) explains more than nbclient's
		// message, which repeats the cell's source.
		res.Stopped.Detail = tail(res.Stopped.Detail, 2000)
		for _, e := range rep.Errors {
			if e.Cell == res.Stopped.Cell && e.Detail != "" {
				res.Stopped.Detail = e.Detail
			}
		}
	}
	return res, nil
}

// tail returns at most the last n bytes of s.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
