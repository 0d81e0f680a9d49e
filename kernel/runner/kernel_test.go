package runner

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
)

// requireKernel returns Options for the checkout's Jupyter and ifprobe kernel. When
// they are missing it fails under CI=true (the Quickstart installs them) and skips
// otherwise, saying how to install them.
func requireKernel(t *testing.T) Options {
	t.Helper()
	root, err := FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Root: root, OutDir: t.TempDir()}
	if err := Check(opts); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v\nfix: ./install.sh (steps 20-python and 30-gonb)", err)
		}
		t.Skipf("%v\nfix: ./install.sh, or bash scripts/install/20-python.sh && bash scripts/install/30-gonb.sh", err)
	}
	return opts
}

// A panic in a cell stops the notebook there and is reported with the cell's index
// (markdown cells count) and the panic message; later cells do not run.
func TestRunStopsAtFailingCell(t *testing.T) {
	opts := requireKernel(t)
	res, err := Run(context.Background(), opts, []string{"testdata/fail.ipynb"})
	if !errors.Is(err, ErrNotebookFailed) {
		t.Fatalf("err = %v, want ErrNotebookFailed", err)
	}
	if len(res) != 1 || res[0].Stopped == nil {
		t.Fatalf("results %+v: want one result stopped at a cell", res)
	}
	s := res[0].Stopped
	if s.Cell != 2 || !strings.Contains(s.Detail, "panic: boom from cell 2") {
		t.Errorf("stopped at %+v, want cell 2 with the panic message", s)
	}
	if !strings.Contains(err.Error(), "cell 2") || !strings.Contains(err.Error(), "boom from cell 2") {
		t.Errorf("error message does not name the cell and the panic:\n%v", err)
	}
	if res[0].Report.CodeCells != 3 {
		t.Errorf("CodeCells = %d, want 3", res[0].Report.CodeCells)
	}
	if len(res[0].Cells) != 2 || res[0].Cells[0].Cell != 1 || res[0].Cells[1].Cell != 2 {
		t.Errorf("cell timings %+v, want cells 1 and 2 (the failing one included)", res[0].Cells)
	}
	raw, _ := os.ReadFile(res[0].Executed)
	if strings.Contains(string(raw), "never runs\\n") {
		t.Errorf("the cell after the failure ran")
	}
}

// A compile error is reported with the compiler's message, not just "exit status 1".
func TestRunReportsCompileError(t *testing.T) {
	opts := requireKernel(t)
	_, err := Run(context.Background(), opts, []string{"testdata/compile-error.ipynb"})
	if !errors.Is(err, ErrNotebookFailed) || !strings.Contains(err.Error(), "undefined: undefinedThing") {
		t.Errorf("err = %v, want ErrNotebookFailed with the compiler message", err)
	}
}

// A notebook that runs cleanly but shows no image fails the image check; the HTML
// export is written all the same.
func TestRunRequiresAnImage(t *testing.T) {
	opts := requireKernel(t)
	opts.HTML = true
	res, err := Run(context.Background(), opts, []string{"testdata/noimage.ipynb"})
	if !errors.Is(err, ErrNotebookFailed) || !strings.Contains(err.Error(), "no image output") {
		t.Errorf("err = %v, want the no-image failure", err)
	}
	if len(res) != 1 || res[0].Stopped != nil {
		t.Fatalf("results %+v: want one result that ran to the end", res)
	}
	html, err := os.ReadFile(res[0].HTML)
	if err != nil || !strings.Contains(string(html), "text only") {
		t.Errorf("HTML export missing or without the cell output: %v", err)
	}
}

// An unknown kernel name is ErrNoKernel, not a notebook failure.
func TestRunUnknownKernel(t *testing.T) {
	opts := requireKernel(t)
	opts.Kernel = "no-such-kernel-ifprobe"
	_, err := Run(context.Background(), opts, []string{"testdata/noimage.ipynb"})
	if !errors.Is(err, ErrNoKernel) {
		t.Errorf("err = %v, want ErrNoKernel", err)
	}
}
