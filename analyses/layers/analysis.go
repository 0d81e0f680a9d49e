package layers

import (
	"context"
	"fmt"
	"slices"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/stats"
)

func init() { analyses.Register(analysis{}) }

// analysis is finding 4 in the analyses registry.
type analysis struct{}

func (analysis) Name() string               { return "layers" }
func (analysis) Number() int                { return 4 }
func (analysis) Title() string              { return "Layer stratification" }
func (analysis) Claim() string              { return Claim }
func (analysis) NewResult() analyses.Result { return &Result{} }

// Run reads the grid at the study's read position, with the cross-layer
// alignment of the activations and, when the run has a text baseline, the
// contrast with each task's rise measured from the baseline instead of chance.
func (analysis) Run(ctx context.Context, in analyses.Inputs) (analyses.Result, error) {
	pos := in.ReadPosition()
	r, err := Run(ctx, in.Grid, Config{Position: pos, Bootstrap: in.Bootstrap, Source: in.Source})
	if err != nil {
		return nil, err
	}
	r.Decodability = analyses.Gate(in, pos)
	if text := in.Baseline(probeset.TextBaseline); text != nil {
		if r.TextMargin, err = r.marginContrast(text); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// marginContrast is the primary contrast with each task's rise measured from
// the text baseline's AUROC on the same rows: onsets of what the states add to
// the text.
func (r *Result) marginContrast(text *probeset.Grid) (*analyses.Evidence, error) {
	floor := map[string]func([]int) float64{}
	for name, c := range r.curves {
		b, err := text.Select(name, r.Config.Position)
		if err != nil {
			continue
		}
		if !slices.Equal(b.Y, c.cells[0].Y) {
			return nil, fmt.Errorf("layers: %s: the text baseline holds other rows than the probes", name)
		}
		floor[name] = func(rows []int) float64 { return stats.AUROCOn(b.Scores, b.Y, rows) }
	}
	if len(floor) == 0 {
		return nil, nil
	}
	iv := r.contrast("semantic", "structural", r.Config.Fraction, floor)
	n := 0
	for _, tl := range r.Tasks {
		n += tl.N
	}
	e := analyses.NewEvidence("mean onset semantic − structural, rise measured from the text baseline", analyses.CVCorrect(iv, r.Folds), n/max(len(r.Tasks), 1), analyses.UnitItems, smallestShift)
	return &e, nil
}
