// Package findings is what the five finding notebooks (notebooks/01-05) share: it
// finds the study a notebook reads — saved results of `ifprobe reproduce`, else a
// reproduction run from the notebook, else the planted study — then loads one
// finding's result and shows its figures and table.
//
// # Usage
//
// The first code cell of each finding notebook:
//
//	must(findings.Setup("specialist")) // says where the numbers come from
//
// and every later cell:
//
//	var r specialist.Result
//	loc, err := findings.Load("specialist", &r) // loc.Dir, loc.Profile
//	must(err)
//	must(findings.ShowFigures(&r))
//	must(findings.ShowTable(&r))
//
// # Where the numbers come from
//
// Policy.Locate tries, in order, and takes the first that holds the finding's
// <analysis>/result.json:
//
//  1. Policy.Saved/<model>: an earlier quick reproduction (by default
//     $IFPROBE_ROOT/runs/quick, what `ifprobe reproduce` writes); its profile is
//     the one its report.json names.
//  2. Policy.Out/<model>: what an earlier notebook reproduced with Policy.Profile.
//  3. Policy.Planted: the planted study, when an earlier notebook fell back to it
//     (so one failed reproduction is not retried by every notebook).
//  4. A reproduction run now, with Policy.Profile into Policy.Out, with a progress
//     bar per stage. Every stage resumes from disk, so the first notebook pays and
//     the others reuse its files.
//  5. When that fails: under Policy.Strict (CI=true) an error; otherwise the
//     notebook says why and computes the planted study into Policy.Planted
//     (pipeline.Planted), whose profile is pipeline.PlantedProfile.
//
// DefaultPolicy reads the environment: $IFPROBE_ROOT (set by the kernel to the
// checkout), $IFPROBE_PROFILE=ci (the small ci profile into the notebook cache, what
// tests run), CI=true, and the notebook cache directory (nb.CacheDir).
//
// # Rules
//
//   - Nothing here panics: errors are returned, and the notebooks' must helper
//     stops the cell with them.
//   - Messages for the reader go through kernel/nb (Markdown, progress bars), so
//     outside a notebook they print as text.
package findings
