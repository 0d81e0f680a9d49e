package runner

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testdata/executed.ipynb is a real gonb v0.11.4 execution (nbconvert 7.17.2,
// --allow-errors, kernel ifprobe) of four cells: an nb.Table and an nb.Plot (cell 0),
// a compile error (cell 1), a panic (cell 2). Regenerate: build the notebook with
// those cells and run `.venv/bin/python -m jupyter nbconvert --to notebook --execute
// --allow-errors --ExecutePreprocessor.kernel_name=ifprobe`.
func TestReadReport(t *testing.T) {
	rep, err := ReadReport("testdata/executed.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	if rep.CodeCells != 3 {
		t.Errorf("CodeCells = %d, want 3", rep.CodeCells)
	}
	// One figure message carrying both PNG and SVG counts as one image.
	if rep.Images != 1 || rep.ImageTypes["image/png"] != 1 || rep.ImageTypes["image/svg+xml"] != 1 {
		t.Errorf("Images = %d, types %v; want 1 image with PNG and SVG", rep.Images, rep.ImageTypes)
	}
	if len(rep.Errors) != 2 {
		t.Fatalf("Errors = %+v, want 2", rep.Errors)
	}
	for i, c := range []struct {
		cell   int
		detail string
	}{
		{1, "undefined: undefinedThing"}, // 0: compiler message from gonb's HTML error
		{2, "panic: boom"},               // 1: the panic, from the cell's stderr
	} {
		e := rep.Errors[i]
		if e.Cell != c.cell || !strings.Contains(e.Detail, c.detail) {
			t.Errorf("case %d: error %+v, want cell %d with detail containing %q", i, e, c.cell, c.detail)
		}
		if strings.Contains(e.Detail, "<style>") || strings.Contains(e.Detail, "gonb-err") {
			t.Errorf("case %d: detail still holds HTML: %q", i, e.Detail)
		}
	}
}

func TestReadReportRejectsNonNotebooks(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.ipynb")
	os.WriteFile(p, []byte("{not json"), 0o644)
	if _, err := ReadReport(p); err == nil || !strings.Contains(err.Error(), "not a notebook") {
		t.Errorf("err = %v, want 'not a notebook'", err)
	}
	if _, err := ReadReport(filepath.Join(dir, "missing.ipynb")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v, want os.ErrNotExist", err)
	}
}

func TestResultErr(t *testing.T) {
	for i, c := range []struct {
		res  Result
		want string // "" means no error
	}{
		{Result{Name: "a", Report: Report{Images: 1}}, ""},                         // 0
		{Result{Name: "b", Report: Report{}}, "no image output"},                   // 1
		{Result{Name: "c", Stopped: &CellError{Cell: 4, Name: "ERROR"}}, "cell 4"}, // 2: stopped: no image check
		{Result{Name: "d", Report: Report{Images: 2, Errors: []CellError{{Cell: 1, Name: "ERROR", Value: "exit status 2"}}}},
			"error output in cell 1"}, // 3
		{Result{Name: "e", Report: Report{Images: 1}, HTMLError: "ImportError: no latex2mathml"}, "HTML export failed: ImportError"}, // 4
	} {
		err := c.res.Err()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("case %d: err = %v, want nil", i, err)
		case c.want != "" && (err == nil || !errors.Is(err, ErrNotebookFailed) || !strings.Contains(err.Error(), c.want)):
			t.Errorf("case %d: err = %v, want ErrNotebookFailed mentioning %q", i, err, c.want)
		}
	}
}

func TestResolve(t *testing.T) {
	root := t.TempDir()
	nbdir := filepath.Join(root, "notebooks")
	os.MkdirAll(nbdir, 0o755)
	for _, n := range []string{"01-b.ipynb", "00-a.ipynb", "notes.txt"} {
		os.WriteFile(filepath.Join(nbdir, n), []byte("{}"), 0o644)
	}
	all, err := Resolve(root, nil)
	if err != nil || len(all) != 2 || filepath.Base(all[0]) != "00-a.ipynb" {
		t.Errorf("Resolve(all) = %v, %v; want the two notebooks in order", all, err)
	}
	got, err := Resolve(root, []string{"01-b", "00-a.ipynb", filepath.Join(nbdir, "01-b.ipynb")})
	if err != nil || len(got) != 3 {
		t.Fatalf("Resolve(names) = %v, %v", got, err)
	}
	if _, err := Resolve(root, []string{"99-nope"}); err == nil || !strings.Contains(err.Error(), "available: 00-a, 01-b") {
		t.Errorf("unknown name: err = %v, want the list of available notebooks", err)
	}
	if _, err := Resolve(t.TempDir(), nil); err == nil {
		t.Errorf("no notebooks: want an error")
	}
}

func TestFindRoot(t *testing.T) {
	t.Setenv("IFPROBE_ROOT", "")
	root, err := FindRoot() // the test runs in kernel/runner of the checkout
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "kernel", "runner", "runner.go")); err != nil {
		t.Errorf("FindRoot() = %q, not the checkout", root)
	}
	t.Setenv("IFPROBE_ROOT", "/somewhere")
	if r, _ := FindRoot(); r != "/somewhere" {
		t.Errorf("with IFPROBE_ROOT: %q", r)
	}
}

func TestCheckMissing(t *testing.T) {
	root := t.TempDir()
	err := Check(Options{Root: root})
	if !errors.Is(err, ErrNoJupyter) {
		t.Errorf("no venv: err = %v, want ErrNoJupyter", err)
	}
	py := filepath.Join(root, ".venv", "bin", "python")
	os.MkdirAll(filepath.Dir(py), 0o755)
	os.WriteFile(py, nil, 0o755)
	if err := Check(Options{Root: root}); !errors.Is(err, ErrNoKernel) {
		t.Errorf("venv without kernel: err = %v, want ErrNoKernel", err)
	}
	spec := filepath.Join(root, ".venv", "share", "jupyter", "kernels", KernelName, "kernel.json")
	os.MkdirAll(filepath.Dir(spec), 0o755)
	os.WriteFile(spec, []byte("{}"), 0o644)
	if err := Check(Options{Root: root}); err != nil {
		t.Errorf("venv with kernel: err = %v", err)
	}
	if _, err := Run(context.Background(), Options{Root: t.TempDir()}, nil); !errors.Is(err, ErrNoJupyter) {
		t.Errorf("Run without Jupyter: err = %v, want ErrNoJupyter", err)
	}
}
