package ablation

import (
	"context"

	"github.com/ifprobe/ifprobe/analyses"
)

func init() { analyses.Register(analysis{}) }

// analysis is finding 3 in the analyses registry.
type analysis struct{}

func (analysis) Name() string               { return "ablation" }
func (analysis) Number() int                { return 3 }
func (analysis) Title() string              { return "Causal ablation" }
func (analysis) Claim() string              { return Claim }
func (analysis) NewResult() analyses.Result { return &Result{} }

// Run erases each source at its best layer in the grid, at the study's read
// position, and measures behaviour when Inputs.Behaviour is set.
func (analysis) Run(ctx context.Context, in analyses.Inputs) (analyses.Result, error) {
	pos := in.ReadPosition()
	cfg := Config{Position: pos, CV: in.CV, Seed: in.Seed, Bootstrap: in.Bootstrap, BehaviourTop: in.BehaviourSources}
	if in.BehaviourSources > 0 {
		cfg.Behaviour = in.Behaviour
	}
	r, err := Run(ctx, in.Source, in.Grid, cfg)
	if err != nil {
		return nil, err
	}
	r.Decodability = analyses.Gate(in, pos)
	return r, nil
}
