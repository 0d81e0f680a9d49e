package runner

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"regexp"
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

// externalRE finds what would make a browser fetch from the network: a script,
// style sheet or module loaded from an http(s) or protocol-relative URL, a CSS
// url(...) or @import of one, a dynamic import of one, and the CDNs nbconvert's
// templates use.
var externalRE = regexp.MustCompile(`(?i)<script[^>]*\ssrc\s*=\s*["']?(https?:)?//|<link[^>]*\shref\s*=\s*["']?(https?:)?//|url\(\s*["']?(https?:)?//|@import\s+["']?(url\()?["']?(https?:)?//|import\(\s*["'](https?:)?//|cdnjs\.|unpkg\.com|jsdelivr`)

// checkOfflineHTML fails the test when the exported page would load anything from
// the network, or when it has maths that was not rendered to MathML (wantMaths:
// the notebook has maths, so the page must have at least one <math> element).
func checkOfflineHTML(t *testing.T, name, page string, wantMaths bool) {
	t.Helper()
	if m := externalRE.FindString(page); m != "" {
		t.Errorf("%s: the HTML export loads from the network: %q", name, m)
	}
	if strings.Contains(page, "MathJax") {
		t.Errorf("%s: the HTML export still refers to MathJax", name)
	}
	if strings.Contains(page, `class="ifprobe-tex-failed"`) {
		i := strings.Index(page, `class="ifprobe-tex-failed"`)
		t.Errorf("%s: TeX that could not be rendered: %s", name, page[i:min(len(page), i+300)])
	}
	if wantMaths && !strings.Contains(page, "<math") {
		t.Errorf("%s: the notebook has maths but the HTML export has no MathML", name)
	}
}

// hasMaths reports whether a notebook's markdown cells hold TeX ($...$).
func hasMaths(t *testing.T, path string) bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var nbk struct {
		Cells []struct {
			CellType string    `json:"cell_type"`
			Source   multiline `json:"source"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(b, &nbk); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for _, c := range nbk.Cells {
		if c.CellType == "markdown" && regexp.MustCompile(`\$[^$\s][^$]*\$`).MatchString(string(c.Source)) {
			return true
		}
	}
	return false
}

// The HTML export needs no network: maths (in markdown cells and in a cell's
// Markdown output) is MathML with its TeX kept, a `$VAR` in code is left alone, the
// long table shows its first rows with a CSV link, text left and numbers right,
// and the figure is its PNG.
func TestRunHTMLOffline(t *testing.T) {
	opts := requireKernel(t)
	opts.HTML = true
	res, err := Run(context.Background(), opts, []string{"testdata/export.ipynb"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(res[0].HTML)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	t.Logf("HTML export: %d bytes", len(page))
	checkOfflineHTML(t, "export.ipynb", page, true)
	for _, want := range []string{
		`<mi>ℝ</mi>`, // \mathbb{R}
		`<mfrac>`,    // the display formula
		`<math display="block">`,
		`<annotation encoding="application/x-tex">h \in \mathbb{R}^d</annotation>`,
		`<mtext>prompt_last</mtext>`,                               // \_ inside \text
		`<msub><mi>T</mi><mrow><mi>A</mi><mi>B</mi></mrow></msub>`, // from nb.Markdown's output
		`<code>$IFPROBE_HOME</code>`,
		"10 of 40 rows shown: the first ten",
		`download="tasks.csv"`,
		`<td class="num" style="text-align:right;font-variant-numeric:tabular-nums">0.50 [0.45, 0.60]</td>`,
		`<td style="text-align:left">task 0</td>`,
		`class="ifprobe-table-wrap"`,
		`.jp-RenderedHTMLCommon table.ifprobe-table .num`, // ifprobe.css is in the page
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the HTML export lacks %q", want)
		}
	}
	// The figure is its exact PNG (gonum's own fonts), not the SVG a browser would
	// draw with substitute fonts; shown at its pixel size, 1.5 times the SVG's.
	if !regexp.MustCompile(`<img[^>]*\ssrc="data:image/png;base64,`).MatchString(page) ||
		regexp.MustCompile(`<img[^>]*\ssrc="data:image/svg`).MatchString(page) {
		t.Errorf("the figure is not shown as its PNG alone")
	}
	// Go code is highlighted as Go (gonb's language_info names no Pygments lexer).
	if !strings.Contains(page, `<span class="kn">import</span>`) {
		t.Errorf("code cells not highlighted as Go")
	}
}
