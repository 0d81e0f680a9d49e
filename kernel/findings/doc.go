// Package findings is what the five finding notebooks (notebooks/01-05) share: it
// finds the study a notebook reads — the run a user names, else saved results of
// `ifprobe reproduce`, else a reproduction run from the notebook, else the planted
// study — with every model in it, prints its summary, and shows each model's
// figures, tables and verdicts with notes generated from the results.
//
// # Usage
//
// The first code cell of each finding notebook prints the run summary (profile,
// each model's tasks with n and pass rates, tasks not probed and why, truncated
// responses):
//
//	must(findings.Setup("transfer"))
//
// Later cells show every model of the study, under a heading per model when there
// are several; the verdicts of all models stand in one table:
//
//	must(findings.Figures("transfer"))   // figures, then what they show on this run
//	must(findings.Tables("transfer"))    // what the table holds, then the table
//	must(findings.Verdicts("transfer"))  // status, statistic, CI, n, MDE per model; caveats
//	must(findings.Baselines("transfer")) // the probe beside the text and instruction baselines
//
// and explore cells look at one model:
//
//	var r transfer.Result
//	m, err := findings.LoadModel("transfer", model, &r) // model "": the first that has it
//
// # Choosing the study
//
// DefaultPolicy reads the environment, set before Jupyter starts or in a notebook
// cell with gonb's %env:
//
//   - IFPROBE_RUN (EnvRun): a run to read as it is, the --out directory of
//     `ifprobe reproduce` (relative to $IFPROBE_ROOT, the checkout). Nothing is
//     reproduced and nothing falls back to the planted study.
//   - IFPROBE_MODELS (EnvModels): the models shown, comma-separated; default every
//     model of the run (its report.json), or DefaultModel for a run to reproduce.
//   - IFPROBE_PROFILE: the profile reproduced when no run is named (quick, the
//     default, into $IFPROBE_ROOT/runs/quick; paper; ci, what tests run, into the
//     notebook cache).
//   - CI=true: a failed reproduction is an error, not the planted study.
//
// # Where the numbers come from
//
// Without IFPROBE_RUN, Policy.Locate takes the first of: the profile's run
// (Policy.Out) when it finished (report.json; a run stopped before is resumed)
// and every model asked for has the finding there, or when those
// without it have an error recorded by this code (pipeline.ReportVersion); the
// planted study an earlier notebook fell back to (so one failed reproduction is
// not retried by every notebook); a reproduction run now into Out, with a
// progress bar per model and stage (every stage resumes from disk); when that
// fails, the planted study (pipeline.Planted) into the notebook cache, after
// saying why, or an error under CI=true.
//
// Results written by older code are recomputed, not shown: a result.json of
// another analyses.ResultVersion counts as absent, and so does an error recorded
// in a report of another pipeline.ReportVersion; the notebook cache keeps its
// reproductions per ReportVersion (reproduce-ci-v2), so a cache of older code is
// reproduced anew. A run in runs/ that older code wrote is the user's: it is
// shown, with a warning that says so.
//
// # Texts from the data
//
// No count or claim in what the package prints is written in advance: Describe
// generates, from one model's result, the notes under its figures, above its
// table and under its verdict (tasks probed, which probes read their own task,
// how many pairs transfer or depend, what the erasers removed, which tasks are
// decodable, the time-line patterns, and the caveats of this run), and the
// verdict table shows each model's analyses.Verdict as the analyses package
// decided it.
//
// # Rules
//
//   - Nothing here panics: errors are returned, and the notebooks' must helper
//     stops the cell with them.
//   - Messages for the reader go through kernel/nb (Markdown, tables, progress
//     bars), so outside a notebook they print as text.
package findings
