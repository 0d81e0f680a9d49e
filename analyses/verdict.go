package analyses

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/ifprobe/ifprobe/pkg/stats"
)

// Status is a finding's outcome on one model. The five values are the only ones a
// result.json or report.json holds.
type Status string

// Statuses, from the strongest support for the paper's claim to the strongest
// evidence against it; Inconclusive is "this run cannot tell".
const (
	// Holds: positive evidence at 95% for every part of the claim.
	Holds Status = "holds"
	// Partly: positive evidence for part of the claim only (e.g. on raw AUROC but
	// not on the margin over what the text alone predicts).
	Partly Status = "partly"
	// NotSupported: the effect is reliably smaller than the smallest effect the
	// claim could mean (the whole CI lies below it).
	NotSupported Status = "not_supported"
	// Contradicted: the CI lies entirely on the other side of zero.
	Contradicted Status = "contradicted"
	// Inconclusive: the CI is too wide to tell, or a precondition (probes that
	// read the labels at all) is missing. Verdict.Settle says what would settle it.
	Inconclusive Status = "inconclusive"
)

// Statuses lists every Status, in the order above.
var Statuses = []Status{Holds, Partly, NotSupported, Contradicted, Inconclusive}

// Power constants: 80% power.
const (
	zPower = 0.8416212335729143 // z_{0.80}
	// maxNeededN caps NeededN: beyond it "needs more data" is all a number says.
	maxNeededN = 1_000_000
)

// Evidence is one statistic a verdict rests on, oriented so that the paper's
// direction is positive, with what the run's size could detect.
type Evidence struct {
	// Statistic names what was measured ("mean specialist − general AUROC").
	Statistic string `json:"statistic"`
	// Estimate is the statistic with its 95% CI.
	Estimate stats.Interval `json:"estimate"`
	// N is the sample size the CI rests on, in Unit ("items per task").
	N    int    `json:"n"`
	Unit string `json:"unit"`
	// Smallest is the smallest effect the claim could mean (a positive number in
	// the statistic's units): below it the claim is "not supported" even if the
	// effect is not zero.
	Smallest float64 `json:"smallest_effect"`
	// MDE is the minimum detectable effect at this n: the true effect a two-sided
	// test at the CI's level detects with 80% power, (z₀.₉₇₅ + z₀.₈) × SE at 95%,
	// with the SE read off the CI's width.
	MDE stats.Float `json:"mde"`
	// NeededN is the n (in Unit) at which the observed effect would be detected
	// with 80% power, assuming the SE shrinks as 1/√n; 0 when the observed effect
	// is zero, undefined, or already detectable. NeededNSmallest is the same for
	// the smallest effect of interest.
	NeededN         int `json:"needed_n"`
	NeededNSmallest int `json:"needed_n_smallest"`
}

// NewEvidence fills the power fields of an estimate measured on n units.
func NewEvidence(statistic string, est stats.Interval, n int, unit string, smallest float64) Evidence {
	e := Evidence{Statistic: statistic, Estimate: est, N: n, Unit: unit, Smallest: smallest}
	se := est.SE()
	if !(se > 0) || n <= 0 || math.IsInf(se, 0) {
		e.MDE = stats.Float(math.NaN())
		return e
	}
	level := est.Level
	if !(level > 0 && level < 1) {
		level = 0.95
	}
	mde := (stats.NormalQuantile((1+level)/2) + zPower) * se
	e.MDE = stats.Float(mde)
	e.NeededN = neededN(n, mde, est.Estimate)
	e.NeededNSmallest = neededN(n, mde, smallest)
	return e
}

// neededN is n·(mde/|effect|)², rounded up, when that exceeds n.
func neededN(n int, mde, effect float64) int {
	if !(math.Abs(effect) > 0) || math.IsNaN(mde) {
		return 0
	}
	ratio := mde / math.Abs(effect)
	if ratio <= 1 {
		return 0
	}
	need := float64(n) * ratio * ratio
	if need > maxNeededN {
		return maxNeededN
	}
	return int(math.Ceil(need))
}

// Judge is the status of one piece of evidence on its own: Holds when the CI lies
// above zero, Contradicted below zero, NotSupported when it straddles zero but lies
// below the smallest effect of interest, Inconclusive otherwise (or when the
// statistic could not be computed).
func (e Evidence) Judge() Status {
	lo, hi := e.Estimate.Lo, e.Estimate.Hi
	switch {
	case math.IsNaN(e.Estimate.Estimate) || math.IsNaN(lo) || math.IsNaN(hi):
		return Inconclusive
	case lo > 0:
		return Holds
	case hi < 0:
		return Contradicted
	case hi < e.Smallest:
		return NotSupported
	}
	return Inconclusive
}

// String is the evidence in one clause: "mean specialist − general AUROC =
// 0.048 [-0.040, 0.139] (95% CI, n = 40 items per task; minimum detectable
// effect at this n: 0.125)".
func (e Evidence) String() string {
	level := e.Estimate.Level
	if !(level > 0 && level < 1) {
		level = 0.95
	}
	s := fmt.Sprintf("%s = %s (%s CI, n = %d %s", e.Statistic, interval(e.Estimate), pct(level), e.N, e.Unit)
	if !math.IsNaN(float64(e.MDE)) {
		s += fmt.Sprintf("; minimum detectable effect at this n: %.3f", float64(e.MDE))
	}
	return s + ")"
}

// Short is the evidence in a table cell: "0.048 [-0.040, 0.139], n = 40, MDE
// 0.125"; an undefined statistic reads "undefined" (no task could give it).
func (e Evidence) Short() string {
	if math.IsNaN(e.Estimate.Estimate) {
		return fmt.Sprintf("undefined, n = %d", e.N)
	}
	s := fmt.Sprintf("%s, n = %d", interval(e.Estimate), e.N)
	if !math.IsNaN(float64(e.MDE)) {
		s += fmt.Sprintf(", MDE %.3f", float64(e.MDE))
	}
	return s
}

func interval(iv stats.Interval) string { return iv.Format(3) }

// Verdict is a finding's machine-readable outcome on one model: its status, the
// evidence it rests on, and the reasons, with the prose generated from them.
type Verdict struct {
	Finding string `json:"finding"` // the analysis name
	Claim   string `json:"claim"`   // the paper's claim
	Status  Status `json:"status"`
	// Primary is the finding's main statistic, on raw probe scores.
	Primary Evidence `json:"primary"`
	// Margin is the same statistic on probe scores minus what a probe on the text
	// seen at that position reaches, when the run computed text baselines.
	Margin *Evidence `json:"margin,omitempty"`
	// Decodability is the precondition every probe finding shares: the probes read
	// the labels at all (mean selection-corrected AUROC − 0.5 over tasks).
	Decodability *Evidence `json:"decodability,omitempty"`
	// Supporting holds further statistics the status used (e.g. asymmetry).
	Supporting []Evidence `json:"supporting,omitempty"`
	// Reasons says, in order, why the status is what it is.
	Reasons []string `json:"reasons"`
	// Settle says what would settle an inconclusive or partial verdict.
	Settle string `json:"settle,omitempty"`
	// Text is the verdict in prose, generated from the fields above.
	Text string `json:"text"`
}

// Because appends a reason.
func (v *Verdict) Because(format string, args ...any) {
	v.Reasons = append(v.Reasons, fmt.Sprintf(format, args...))
}

// Cap lowers the status to at most ceiling (in the order Holds > Partly >
// everything else), recording why; statuses already below it are kept.
func (v *Verdict) Cap(ceiling Status, format string, args ...any) {
	rank := func(s Status) int {
		switch s {
		case Holds:
			return 2
		case Partly:
			return 1
		}
		return 0
	}
	if rank(v.Status) > rank(ceiling) {
		v.Status = ceiling
		v.Because(format, args...)
	}
}

// Finish applies the rules every finding shares, then writes Settle and Text:
//
//   - no probe finding holds (or holds partly) unless the probes read the labels
//     at all: Decodability must hold, else the verdict is inconclusive;
//   - a claim that holds on raw AUROC but not on the margin over the text
//     baseline holds only partly.
func (v *Verdict) Finish() {
	if d := v.Decodability; d != nil && d.Judge() != Holds {
		if v.Status != Inconclusive {
			v.Status = Inconclusive
			v.Because("the probes do not read the labels reliably (%s), so there is nothing to compare", d)
		}
	}
	if m := v.Margin; m != nil && v.Status == Holds && m.Judge() != Holds {
		v.Status = Partly
		v.Because("it holds on raw AUROC but not on the margin over the text baseline (%s): a probe on the text alone explains part of it", m)
	}
	v.Settle = v.settle()
	v.Text = v.text()
}

// settle says what would settle the verdict.
func (v *Verdict) settle() string {
	switch v.Status {
	case Holds, Contradicted, NotSupported:
		return ""
	}
	p := v.Primary
	var parts []string
	// Chasing an observed effect smaller than any the claim could mean (a null's
	// 0.000, say) is no advice: then the smallest effect of interest sets the n.
	switch {
	case p.NeededN > 0 && p.NeededN < maxNeededN && math.Abs(p.Estimate.Estimate) >= p.Smallest:
		parts = append(parts, fmt.Sprintf("about %d %s would detect the observed effect (%.3f) with 80%% power", p.NeededN, p.Unit, p.Estimate.Estimate))
	case p.NeededNSmallest > 0 && p.NeededNSmallest < maxNeededN:
		parts = append(parts, fmt.Sprintf("about %d %s would detect the smallest effect the claim could mean (%.3f)", p.NeededNSmallest, p.Unit, p.Smallest))
	}
	if d := v.Decodability; d != nil && d.Judge() != Holds {
		parts = append(parts, "a model that follows these instructions often enough for its probes to read success (a larger model, or tasks calibrated to a 50% pass rate)")
	}
	if len(parts) == 0 {
		parts = append(parts, "more items per task (a bigger profile) or another model")
	}
	return strings.Join(parts, "; ")
}

// text renders the verdict: claim, measurement, status and reasons.
func (v *Verdict) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Paper: %s Measured: %s.", v.Claim, v.Primary)
	if v.Margin != nil {
		fmt.Fprintf(&b, " Over the text baseline: %s.", v.Margin)
	}
	fmt.Fprintf(&b, " Status: %s", v.Status)
	if len(v.Reasons) > 0 {
		fmt.Fprintf(&b, ": %s", strings.Join(v.Reasons, "; "))
	}
	b.WriteString(".")
	if v.Settle != "" {
		fmt.Fprintf(&b, " To settle it: %s.", v.Settle)
	}
	return b.String()
}

// pct formats a level: "95%", "99.94%".
func pct(level float64) string {
	return strconv.FormatFloat(100*level, 'g', 4, 64) + "%"
}
