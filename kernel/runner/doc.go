// Package runner executes Jupyter notebooks headlessly with the ifprobe kernel and
// checks what they produced: it is what `ifprobe notebooks run` and the notebook
// tests use.
//
// # Running
//
//	results, err := runner.Run(ctx, runner.Options{Profile: "ci", HTML: true}, paths)
//
// Each notebook runs top to bottom in a fresh kernel, through nbclient in the
// checkout's venv (.venv/bin/python, installed by scripts/install/20-python.sh) and
// the kernel "ifprobe" (scripts/install/30-gonb.sh). A small Python driver, embedded
// in this package, stops at the first failing cell and writes the executed notebook
// (to Options.OutDir, default runs/notebooks), a status saying which cell stopped
// execution and why, and optionally an HTML export. Options.Profile is passed to the
// kernel as $IFPROBE_PROFILE: notebooks read it through kernel/nb to pick their small
// variant.
//
// # Checks
//
// A notebook passes (Result.Err returns nil) when every code cell ran, no output is an
// error, and at least one output carries an image (image/png or image/svg+xml): every
// ifprobe notebook draws a figure, and a notebook that silently drew nothing is
// broken. A failed cell is reported by its index in the notebook (markdown cells
// count, as in Jupyter), with gonb's error and the cell's standard error, which is
// where a Go panic's message and a compiler's messages are.
//
// # Errors
//
// ErrNoJupyter and ErrNoKernel (test with errors.Is) mean nothing could run, and say
// which install step fixes it. A notebook that ran and failed gives an error wrapping
// ErrNotebookFailed; Run still returns every Result.
//
// # HTML
//
// The HTML export (htmlexport/export.py, embedded, run by the driver) is one page
// that loads nothing from the network: nbconvert's lab template without its MathJax,
// require.js and mermaid loaders, maths rendered to MathML at export time
// (latex2mathml), figures embedded as their PNG (exact text, shown larger than the
// SVG), and a style sheet for kernel/nb's tables. A failed export is a failure of
// the notebook (Result.HTMLError).
//
// # Tests with a live kernel
//
// Besides the headless runs, the tests start the kernelspec through jupyter_client
// as JupyterLab does (testdata/live.py) to check outputs, errors, completion and
// documentation, start JupyterLab to check the default kernel, and check that the
// committed notebooks are in the form JupyterLab saves (scripts/notebooks-canonical.py).
package runner
