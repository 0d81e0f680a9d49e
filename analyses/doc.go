// Package analyses is the contract every finding of the study implements, and
// the rules by which a finding's verdict is reached.
//
// # The contract
//
// A finding is an Analysis: a name, its number in the paper, a title, the
// paper's claim, and Run, which computes a Result from one model's Inputs (the
// probing data, the probe grid, the baseline grids, the read position, probe and
// bootstrap settings, and optionally a Behaviour that reruns the model under an
// edit). Each finding lives in its own package under analyses/ and registers
// itself in an init function; the pipeline, the report, the notebooks and the
// CLI iterate All, so adding a finding is one package and one import line in
// analyses/all.
//
// A Result draws its figures, gives its main table, and states its Verdict.
// Save writes result.json (the verdict beside the result), table.csv,
// verdict.txt and the figures; Load reads them back.
//
// # Verdicts
//
// A Verdict is a Status — holds, partly, not_supported, contradicted or
// inconclusive — with the Evidence it rests on: the statistic, its 95% CI, the
// sample size n, and the minimum detectable effect at that n (power 0.8); the
// prose is generated from these fields. The rules every finding shares:
//
//   - holds needs positive evidence: the CI of the statistic, oriented so that
//     the paper's direction is positive, lies above zero (Evidence.Judge);
//   - a CI that straddles zero is not_supported only when it also lies below
//     the smallest effect the claim could mean; otherwise the run was too small
//     to tell, and the verdict is inconclusive and says what n would settle it;
//   - no probe finding holds unless the probes read the labels at all
//     (Decodability: the mean selection-corrected AUROC over tasks, each task's
//     layer chosen on folds other than those it is scored on, above chance);
//     on permuted labels this gate fails, and nothing holds;
//   - a finding that holds on raw AUROC but not on the margin over what a probe
//     on the text alone reaches (the text baseline) holds only partly.
//
// Findings add their own parts: the ablation, for example, needs some
// dependency that survives a Holm correction, sparse and asymmetric, before it
// holds.
package analyses
