package labelnoise

import "math"

// Ceiling is the highest AUROC that a probe can reach against a verifier's
// labels when the probe orders responses by their true outcome perfectly:
// sensitivity and specificity are the verifier's against the truth, passRate
// the share of responses the verifier passes on the run.
//
// The true pass rate follows from the observed one (Rogan and Gladen, Am J
// Epidemiol 107, 1978): π = (passRate + sp − 1) / (se + sp − 1). Of the
// responses the verifier passes, a share a = (1 − sp)(1 − π) / passRate truly
// failed; of those it fails, b = (1 − se) π / (1 − passRate) truly passed. A
// perfect probe ranks a true pass above a true fail, and ties within a class, so
// over the pairs (verifier-passed, verifier-failed):
//
//	AUROC = (1 − a)(1 − b) + ½ [(1 − a) b + a (1 − b)]
//
// The result is NaN when the verifier is no better than chance (se + sp ≤ 1) or
// passRate is 0 or 1; π and the shares are clamped into [0, 1] when sampling
// error in se and sp puts them outside.
func Ceiling(sensitivity, specificity, passRate float64) float64 {
	se, sp := sensitivity, specificity
	if se+sp <= 1 || passRate <= 0 || passRate >= 1 {
		return math.NaN()
	}
	pi := clamp01((passRate + sp - 1) / (se + sp - 1))
	a := clamp01((1 - sp) * (1 - pi) / passRate)
	b := clamp01((1 - se) * pi / (1 - passRate))
	return (1-a)*(1-b) + 0.5*((1-a)*b+a*(1-b))
}

func clamp01(x float64) float64 { return math.Max(0, math.Min(1, x)) }
