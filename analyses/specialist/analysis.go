package specialist

import (
	"context"

	"github.com/ifprobe/ifprobe/analyses"
)

// Claim is the paper's claim, as reports quote it.
const Claim = "a probe trained on one task reads that task's success better than a general probe trained on all tasks pooled."

func init() { analyses.Register(analysis{}) }

// analysis is finding 1 in the analyses registry.
type analysis struct{}

func (analysis) Name() string               { return "specialist" }
func (analysis) Number() int                { return 1 }
func (analysis) Title() string              { return "Specialist vs general probes" }
func (analysis) Claim() string              { return Claim }
func (analysis) NewResult() analyses.Result { return &Result{} }

// Run computes the finding at the study's read position, with the decodability
// gate from the grid and the margin over the text baseline when the run has one.
func (analysis) Run(ctx context.Context, in analyses.Inputs) (analyses.Result, error) {
	pos := in.ReadPosition()
	r, err := Run(ctx, in.Source, Config{Position: pos, CV: in.CV})
	if err != nil {
		return nil, err
	}
	r.Decodability = analyses.Gate(in, pos)
	r.TextMargin, err = analyses.TextMargin(in, "mean specialist AUROC − text-baseline AUROC", r.selected, pos)
	if err != nil {
		return nil, err
	}
	return r, nil
}
