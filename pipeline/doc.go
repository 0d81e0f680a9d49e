// Package reproduce runs the whole study for one or more models — dataset, probe
// grid, the five findings — and writes a report with figures, tables and verdicts
// side by side. It is what `ifprobe reproduce` runs.
//
// Every stage is resumable from disk: the dataset build skips answered items, the
// probe grid keeps one file per layer and position, and an analysis whose
// result.json exists is loaded instead of recomputed (delete it to recompute).
//
// Planted writes the same layout for the planted synthetic study
// (planted.PaperConfig), whose findings hold by construction; its results carry the
// profile name PlantedProfile. The notebooks show it when a model's study cannot be
// reproduced.
//
// Output layout under Config.Out:
//
//	report.md, report.html, report.json   the report (HTML is self-contained)
//	<model>/data/                         build.Build output (dataset.jsonl, acts/)
//	<model>/grid.json                     probe evaluations, task × layer × position
//	<model>/<analysis>/                   result.json, table.csv, verdict.txt, figures/
package pipeline
