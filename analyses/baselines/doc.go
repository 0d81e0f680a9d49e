// Package baselines sets every probe score beside what a probe could read
// without the model's states: a probe on the text the model has seen at that
// position (probeset.NewTextBaseline), a probe on the instruction alone
// (probeset.NewInstructionBaseline), and the control task of the probe itself
// (random labels per base request, probe.CVParams.Control).
//
// Compare reads, per task and position, the activation probe's
// selection-corrected out-of-fold scores and the baselines' out-of-fold scores
// on the same rows and folds, and reports each AUROC and balanced accuracy with
// a cluster-bootstrap CI over base requests, and the probe's margin over each
// baseline with a paired CI (one resample serves both scores). A margin whose CI
// excludes 0 says the model's states hold more than that baseline gives away; a
// margin near 0 at eos on a structural task is expected, since there the text
// alone decides the label.
package baselines
