package pipeline

import (
	"math"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/pkg/stats"
	"gonum.org/v1/gonum/stat/distuv"
)

// CrossModel is one finding across the models of a run: each model's status and
// primary estimate, how many agree on the sign, and a pooled estimate.
type CrossModel struct {
	Finding  string            `json:"finding"`
	Models   []string          `json:"models"`
	Statuses []analyses.Status `json:"statuses"`
	// Estimates are the primary statistic per model (paper's direction positive).
	Estimates []stats.Interval `json:"estimates"`
	// Positive and Negative count the models whose estimate is above or below
	// zero; SignAgreement is the larger share of the two.
	Positive      int     `json:"positive"`
	Negative      int     `json:"negative"`
	SignAgreement float64 `json:"sign_agreement"`
	// Pooled is the fixed-effect (inverse-variance) mean of the estimates, each
	// SE read off its CI, with a 95% CI. It answers "is there an effect on
	// average over these models"; Heterogeneity (Cochran's Q p-value) says
	// whether the models disagree more than their CIs allow.
	Pooled        stats.Interval `json:"pooled"`
	Heterogeneity stats.Float    `json:"heterogeneity_p"`
}

// crossModel pools one finding's verdicts over the models that computed it.
func crossModel(finding string, models []string, verdicts []analyses.Verdict) CrossModel {
	c := CrossModel{Finding: finding, Models: models}
	var w, wx []float64
	for _, v := range verdicts {
		est := v.Primary.Estimate
		c.Statuses, c.Estimates = append(c.Statuses, v.Status), append(c.Estimates, est)
		switch {
		case est.Estimate > 0:
			c.Positive++
		case est.Estimate < 0:
			c.Negative++
		}
		if se := est.SE(); se > 0 && !math.IsNaN(est.Estimate) {
			w, wx = append(w, 1/(se*se)), append(wx, est.Estimate/(se*se))
		}
	}
	if n := len(verdicts); n > 0 {
		c.SignAgreement = float64(max(c.Positive, c.Negative)) / float64(n)
	}
	c.Pooled, c.Heterogeneity = pool(w, wx, c.Estimates)
	return c
}

// pool is the inverse-variance mean with its 95% CI, and Cochran's Q test of
// heterogeneity.
func pool(w, wx []float64, est []stats.Interval) (stats.Interval, stats.Float) {
	nan := math.NaN()
	sw, swx := 0.0, 0.0
	for i := range w {
		sw, swx = sw+w[i], swx+wx[i]
	}
	if sw == 0 {
		return stats.Interval{Estimate: nan, Lo: nan, Hi: nan}, stats.Float(nan)
	}
	mean, se := swx/sw, math.Sqrt(1/sw)
	z := stats.NormalQuantile(0.975)
	q, k := 0.0, 0
	for _, e := range est {
		if s := e.SE(); s > 0 && !math.IsNaN(e.Estimate) {
			q += (e.Estimate - mean) * (e.Estimate - mean) / (s * s)
			k++
		}
	}
	p := nan
	if k > 1 {
		p = distuv.ChiSquared{K: float64(k - 1)}.Survival(q)
	}
	return stats.Interval{Estimate: mean, Lo: mean - z*se, Hi: mean + z*se, Level: 0.95}, stats.Float(p)
}
