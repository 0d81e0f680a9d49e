package transfer

import (
	"context"

	"github.com/ifprobe/ifprobe/analyses"
)

func init() { analyses.Register(analysis{}) }

// analysis is finding 2 in the analyses registry.
type analysis struct{}

func (analysis) Name() string               { return "transfer" }
func (analysis) Number() int                { return 2 }
func (analysis) Title() string              { return "Cross-task transfer" }
func (analysis) Claim() string              { return Claim }
func (analysis) NewResult() analyses.Result { return &Result{} }

// Run computes the transfer matrices at the study's read position, with the
// decodability gate and the within-task margin over the text baseline.
func (analysis) Run(ctx context.Context, in analyses.Inputs) (analyses.Result, error) {
	pos := in.ReadPosition()
	r, err := Run(ctx, in.Source, Config{Position: pos, Folds: in.CV.Folds, Probe: in.CV.Probe, Bootstrap: in.Bootstrap})
	if err != nil {
		return nil, err
	}
	r.Decodability = analyses.Gate(in, pos)
	r.TextMargin, err = analyses.TextMargin(in, "mean within-task transfer AUROC − text-baseline AUROC", r.diag, pos)
	if err != nil {
		return nil, err
	}
	return r, nil
}
