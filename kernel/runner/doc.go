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
// The HTML export embeds figures. nbconvert 7 (the venv's) keeps image/svg+xml;
// Debian's nbconvert 6.5 drops SVG, which is why kernel/nb always sends a PNG too.
package runner
