// Package stats holds the small statistics ifprobe's analyses need on probe scores and
// representations: AUROC with ties, seeded bootstrap intervals, linear CKA, PWCCA and
// average-linkage hierarchical clustering.
//
// # AUROC
//
// AUROC computes the area under the ROC curve as the Mann–Whitney U statistic
// divided by n₀·n₁, giving tied scores their average rank, so a tie between a
// positive and a negative counts one half. It equals sklearn.metrics.roc_auc_score.
//
// # Bootstrap
//
// Bootstrap resamples units (examples, or groups of examples) with replacement
// from a seeded PCG stream and returns a percentile interval. PairedBootstrap
// resamples the same indices for two statistics and gives the interval of their
// difference, which is what a comparison of two probes scored on the same held-out
// examples needs. The same seed gives the same interval.
//
// # Representational similarity
//
// LinearCKA (Kornblith et al. 2019) and PWCCA (Morcos et al. 2018) compare two
// activation matrices whose rows are the same n examples; columns (neurons) may
// differ in number. Both centre the columns first.
//
// # Clustering
//
// AverageLinkage clusters items from a symmetric distance matrix (UPGMA). The
// result, a Dendrogram, numbers its merges like scipy.cluster.hierarchy.linkage
// (leaves 0..n-1, the cluster made by merge i is n+i) and Leaves gives the
// left-to-right leaf order of scipy's dendrogram (leaves_list).
//
// # Invariants
//
// Inputs are never modified. Errors carry the prefix "stats:"; data that is too
// small or degenerate for a statistic gives an error wrapping ErrDegenerate.
package stats
