// Package controls uses the study's uninstructed controls: each base request
// answered with no instruction at all. It projects those control states on each
// task's probe direction, fit on the instructed rows only, and asks how far
// apart instructed and uninstructed states lie along it.
//
// For each task and position Run takes the probe at the grid's best layer,
// cross-fitted as in the grid (grouped folds over base requests), scores every
// instructed row out of fold and every control with the probe of the fold that
// holds its base request (so no probe has seen that request), and reports with
// cluster-bootstrap CIs over base requests:
//
//   - the separation: AUROC of the projection for instructed (1) against
//     uninstructed (0), 0.5 when the direction ignores whether an instruction was
//     given;
//   - the mean projection of satisfied, failed and control responses, and the
//     shift instructed − control;
//   - on the controls, the AUROC of the projection against whether the
//     uninstructed response meets the constraint anyway (dataset.Baseline's
//     verdict under the paired item's parameters): above 0.5 when the direction
//     reads "the constraint holds" even with no instruction.
//
// A direction that reads success but places every control with the failures
// encodes the instruction's presence as much as its satisfaction.
package controls
