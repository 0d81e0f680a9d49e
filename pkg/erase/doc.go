// Package erase removes a concept from activations: linear concept erasure with
// INLP, LEACE and mean-difference directions, and random subspaces of matched rank
// as controls.
//
// # Erasers
//
// Every fitted eraser implements Eraser: Apply(X) returns an erased copy of the rows
// of X, Rank is the dimension of the subspace it acts on, Basis returns orthonormal
// rows [k, d] spanning that subspace, and Affine returns the exact map
// x' = A x + c (for a row-major batch, X' = X Aᵀ + c).
//
// INLP, MeanDiff and Random erasers are orthogonal projections: A = I − BᵀB with
// B = Basis(), c = 0, so "project out Basis()" is the whole intervention. LEACE is
// an oblique projection (Belrose et al. 2023): x' = x − P(x − μ) with
// P = W⁺ P_{WΣxz} W and W the whitening Σxx^{-1/2}. Projecting out the orthonormal
// basis of range(P) orthogonally is NOT LEACE; use Affine (A = I − P, c = Pμ) to
// apply it as an intervention, e.g. h' = h − (h − μ)Pᵀ on a residual stream batch.
//
// # Fitting
//
// LEACEParams fits from first and second moments (Moments), which can be
// accumulated shard by shard (Moments.Update, Moments.Merge) so that a concept is
// erased from a store larger than memory. INLPParams repeats: fit a probe on a
// training split of the projected data, record its held-out accuracy, remove its
// direction, until the held-out accuracy is within Margin of the majority-class
// rate or MaxIter directions are removed; INLPReport records every iteration.
// MeanDiffParams removes the difference of class means. RandomParams draws a
// uniformly random subspace of the given rank (seeded): the control for "any k
// directions would do as much damage".
//
// # Invariants
//
// Inputs are never modified. The same parameters and seed give the same eraser.
// Errors carry the prefix "erase:".
package erase
