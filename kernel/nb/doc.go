// Package nb shows ifprobe results inside a Jupyter notebook running the gonb Go
// kernel: figures (PNG and real image/svg+xml), HTML tables, progress bars that update
// in place, and a disk cache that carries expensive results from one cell to the next.
//
// # Why a cache
//
// gonb runs every cell as a fresh Go program: a model loaded or a dataset generated
// in one cell is gone in the next. Cache stores a result on disk the first time and
// decodes it on every later call with the same key, so a notebook pays for a slow
// step once:
//
//	labels, err := nb.Cache("tour-labels-v1", func() ([]int, error) {
//		return expensiveLabels() // runs only when the key is not on disk yet
//	})
//
// Entries live under $IFPROBE_HOME/nbcache (default ~/.cache/ifprobe/nbcache, or
// $IFPROBE_NBCACHE_DIR when set), one
// gob file per key, written to a temporary name and renamed, so a cell interrupted
// half-way never leaves a torn entry. Put a version in the key ("-v2") when the code
// that computes it changes; CacheClear forgets one key, and IFPROBE_NBCACHE=off
// recomputes everything without reading or writing the cache.
//
// # Showing things
//
//	nb.Figure(fig)                    // anything with PNG() and SVG(): *plot.Figure
//	nb.Plot(p, 12*vg.Centimeter, 8*vg.Centimeter) // a gonum *plot.Plot
//	nb.Table([]string{"task", "AUROC"}, rows)     // an HTML table
//	p := nb.NewProgress("generating", n)          // p.Add(1) ... p.Done()
//
// A figure goes out as one display message carrying image/png, image/svg+xml and a
// text/plain description: JupyterLab draws the SVG, exporters that drop SVG (Debian's
// nbconvert 6.5) fall back to the PNG.
//
// # Outside a notebook
//
// Every function also works in a plain program or test, where there is no notebook to
// draw in: tables and markdown print as text on standard output, figures print a
// one-line description and, when $IFPROBE_NB_OUT names a directory, are saved there
// as fig-NNN.png / fig-NNN.svg, and progress prints a line every 10%. So a notebook's
// code can be moved into a command or a test unchanged.
//
// # Profiles
//
// Profile reads $IFPROBE_PROFILE: "ci" asks notebooks for their small, fast variant
// (the headless runner in kernel/runner sets it in tests), anything else means
// "full". Notebooks branch on nb.Small().
//
// # Rules
//
//   - Display functions return an error only for bad input (an image that does not
//     encode, a ragged table); a notebook that went away is not an error.
//   - Cache never caches an error, never panics on a corrupt or foreign entry (it
//     recomputes and overwrites it), and rejects keys that are not plain file names.
//   - Nothing here reads model files or knows about models: it is display and storage.
package nb
