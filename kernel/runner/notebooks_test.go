package runner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNotebooks executes every notebook in notebooks/ headlessly, in the small
// profile (IFPROBE_PROFILE=ci), and requires each to run every cell with no error
// output and to show at least one image, and its HTML export to load nothing from
// the network and to render its maths. Under CI=true a missing Jupyter or kernel
// fails the test (install.sh installs both). Every notebook compiles its cells and
// runs real models, so this takes minutes per notebook: test.sh runs it with
// -timeout 75m; alone, use `go test -timeout 60m -run TestNotebooks ./kernel/runner`.
func TestNotebooks(t *testing.T) {
	opts := requireKernel(t)
	opts.Profile = "ci"
	opts.HTML = true
	// The first finding notebook's set-up cell reproduces the ci study (a cold
	// cache, below): minutes on a quiet machine, more than the default 10 per cell
	// on a loaded one. A hang still ends, within test.sh's 75 minutes.
	opts.Timeout = 30 * time.Minute
	// A cold notebook cache: every notebook must compute what it caches.
	opts.Env = []string{"IFPROBE_NBCACHE_DIR=" + t.TempDir()}
	paths, err := List(filepath.Join(opts.Root, "notebooks"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no notebooks in %s", filepath.Join(opts.Root, "notebooks"))
	}
	for _, p := range paths {
		name := filepath.Base(p)
		t.Run(name, func(t *testing.T) {
			res, err := Run(context.Background(), opts, []string{p})
			if err != nil {
				t.Fatal(err)
			}
			r := res[0]
			t.Logf("%s: %d code cells, %d images %v, %.1fs; per cell: %v", name, r.Report.CodeCells, r.Report.Images, r.Report.ImageTypes, r.Duration.Seconds(), r.Cells)
			if r.Report.ImageTypes["image/png"] == 0 {
				t.Errorf("%s: no PNG image: HTML exports without SVG support would show no figure", name)
			}
			// The HTML export embeds the figures as data URIs.
			html, err := os.ReadFile(r.HTML)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(html), "data:image/png;base64") && !strings.Contains(string(html), "data:image/svg+xml;base64") {
				t.Errorf("%s: the HTML export %s embeds no figure", name, r.HTML)
			}
			// It works offline: no script or style from the network, maths as MathML.
			checkOfflineHTML(t, name, string(html), hasMaths(t, p))
			t.Logf("%s: HTML export %d KiB", name, len(html)>>10)
		})
	}
}
