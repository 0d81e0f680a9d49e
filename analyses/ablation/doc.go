// Package ablation is the third finding, causal ablation: if the subspace from which
// task A's success is decodable is erased, which other tasks suffer?
//
// The paper reports sparse and asymmetric dependencies: erasing A hurts B for only a
// few pairs, and A→B differs from B→A. For every source task A, Run fits an eraser on
// A's activations at A's best layer (LEACE, rank 1, and INLP, iterated to chance) and
// measures, for every task B,
//
//	(a) representational dependency D[A][B] = AUROC_B(random erasure of the same
//	    rank) − AUROC_B(A's erasure), cross-validated probes of B on erased states,
//	    with a paired cluster-bootstrap CI over B's base requests (positive: erasing
//	    A hurts B's decodability more than erasing random directions);
//	(b) behavioural dependency (when Config.Behaviour is set): B's pass rate when the
//	    model generates with A's INLP subspace projected out of the residual stream at
//	    that layer, against the same with a random subspace of the same rank, paired
//	    over prompts.
//
// The dependency matrix is summarised by its density (share of off-diagonal pairs
// whose CI lies above zero) and asymmetry (share of significant pairs whose reverse
// is not significant, and the mean |D[A][B] − D[B][A]|).
package ablation
