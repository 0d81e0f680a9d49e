package analyses_test

import (
	"strings"
	"testing"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/pkg/stats"
)

// What would settle an inconclusive verdict: the n that detects the observed
// effect when that effect is one the claim could mean, else the n that detects
// the smallest such effect, never the n that chases an effect of 0.000.
func TestSettleAdvice(t *testing.T) {
	for _, tc := range []struct {
		name     string
		est      stats.Interval
		smallest float64
		want     string
		not      string
	}{
		{"observed effect of interest", stats.Interval{Estimate: 0.08, Lo: -0.02, Hi: 0.18, Level: 0.95}, 0.05, "would detect the observed effect (0.080)", "smallest effect"},
		{"observed effect below interest", stats.Interval{Estimate: 0.004, Lo: -0.1, Hi: 0.108, Level: 0.95}, 0.05, "would detect the smallest effect the claim could mean (0.050)", "observed effect"},
		{"null's tiny effect", stats.Interval{Estimate: 1e-6, Lo: -1e-5, Hi: 1.2e-5, Level: 0.95}, 0.05, "more items per task", "would detect"},
	} {
		v := analyses.Verdict{Claim: "claim.", Status: analyses.Inconclusive,
			Primary: analyses.NewEvidence("effect", tc.est, 50, analyses.UnitItems, tc.smallest)}
		v.Finish()
		if !strings.Contains(v.Settle, tc.want) || strings.Contains(v.Settle, tc.not) {
			t.Errorf("%s: settle = %q, want %q and not %q", tc.name, v.Settle, tc.want, tc.not)
		}
	}
}
