// Package pipeline is the main job of ifprobe, what `ifprobe reproduce` runs: for
// each model, the dataset stage (package build: the model answers, verifiers
// label, states are stored), the probe grid over every task × layer × position,
// the baseline grids, every registered finding (package analyses), and a report
// with figures, tables and machine-readable verdicts, side by side across models.
//
// Every stage is resumable from disk: the dataset build skips answered items, the
// probe grid keeps one file per layer and position, and an analysis whose
// result.json exists is loaded instead of recomputed (delete it to recompute).
//
// Config.NullSeed runs the label-permutation null on the same dataset: labels
// are shuffled within each task before probing and erasure, and no finding may
// hold on it. Planted writes the layout of one model for the planted synthetic
// study (planted.PaperConfig), whose findings hold by construction; its results
// carry the profile name PlantedProfile. The notebooks show it when a model's
// study cannot be reproduced.
//
// Output layout under Config.Out:
//
//	report.md, report.html, report.json   the report (HTML is self-contained)
//	<model>/data/                         build.Build output (dataset.jsonl, acts/)
//	<model>/grid.json, grid.csv           probe evaluations, task × layer × position
//	<model>/baseline-{text,instruction}.{json,csv}  baseline grids (same rows and folds, one layer)
//	<model>/baselines/, <model>/controls/ probes beside their baselines; uninstructed controls
//	                                      projected on the probe directions (result.json,
//	                                      table.csv, figures/)
//	<model>/<analysis>/                   result.json, table.csv, verdict.txt, figures/
//	null-<K>/report.*, <model>/null-<K>/  the permutation null with seed K
package pipeline
