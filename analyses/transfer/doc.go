// Package transfer is the second finding, cross-task transfer: does a probe trained
// to read success on task A read success on task B?
//
// The paper reports weak transfer overall, with successes clustering by skill
// similarity (structural with structural, and so on). Run builds the 9×9 matrix of
// AUROC(train A → test B) at one layer and position, and a best-layer version where
// each row uses the layer at which A's own probe is best. Folds are shared across
// tasks and grouped by base request, so the probe trained on A's training folds is
// scored on B's rows of held-out base requests only: the diagonal is ordinary grouped
// cross-validation. From the matrix it clusters tasks (average linkage on the
// distance 1 − s, s = 2·max(0, mean(T_AB, T_BA) − 0.5)), and contrasts mean transfer
// within a kind with mean transfer across kinds, with a cluster-bootstrap CI and an
// exact permutation p-value over kind labellings.
package transfer
