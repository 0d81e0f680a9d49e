// Package labelnoise makes the semantic verifiers' errors visible: how often a
// verifier's verdict on a model's own response disagrees with a careful human
// reading of it, and what that disagreement costs every probe of the study.
//
// A probe is scored against the verifier's labels. When the verifier errs, even a
// probe that reads the model's true success perfectly cannot reach AUROC 1: the
// verifier's "passed" set holds some responses that truly failed and its
// "failed" set some that truly passed. Ceiling gives that attainable AUROC from
// the verifier's sensitivity and specificity (measured on a labelled sample) and
// the pass rate the verifier reports on the run. A finding that compares probe
// scores on a semantic task should be read against it: 0.80 under a ceiling of
// 0.85 is near perfect.
//
// The labelled samples are committed under data/ with how they were labelled
// (data/README.md): responses the models wrote in a quick reproduction, read
// against their instruction by a labeller who did not see the verifier's
// verdict. Samples returns them; Measure compares them with the verifiers.
// TestSampleMatchesVerifiers recomputes each verdict, so a verifier that changes
// cannot silently keep an agreement measured on its predecessor.
package labelnoise
