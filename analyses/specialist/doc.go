// Package specialist is the first finding, specialist versus general probes: does a
// probe trained on one task read that task's success better than one probe trained
// on all nine tasks pooled?
//
// The paper reports that specialists win: there is no single "will follow the
// instruction" direction shared by all tasks. At every layer (one position), Run trains
// per-task specialists and one general probe on the union of the tasks' training
// folds (probe.CVParams.SpecialistVsGeneral), scores both on each task's held-out
// folds, and reports per task the difference specialist − general, each probe read at
// its own best layer (so both get the same selection), with a paired cluster-bootstrap
// CI over base requests,
// plus the mean difference over tasks with a multi-sample bootstrap CI.
//
// Caveat: a base request appears in several tasks, and the general probe's training
// rows of task B may share a base request with task A's held-out rows. That can only
// help the general probe, so it biases the comparison against the paper's claim.
package specialist
