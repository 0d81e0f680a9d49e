package temporal

import (
	"context"
	"fmt"
	"slices"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/stats"
)

func init() { analyses.Register(analysis{}) }

// analysis is finding 5 in the analyses registry.
type analysis struct{}

func (analysis) Name() string               { return "temporal" }
func (analysis) Number() int                { return 5 }
func (analysis) Title() string              { return "Temporal monitoring" }
func (analysis) Claim() string              { return Claim }
func (analysis) NewResult() analyses.Result { return &Result{} }

// Run reads every position of the grid (not Inputs.Position), with the
// instruction baseline at prompt_last and the text baseline's rise when the run
// has them.
func (analysis) Run(ctx context.Context, in analyses.Inputs) (analyses.Result, error) {
	var tasks []string
	for _, t := range in.Source.Tasks() {
		tasks = append(tasks, t.Name)
	}
	r, err := Run(ctx, in.Grid, in.Baseline(probeset.InstructionBaseline), Config{Bootstrap: in.Bootstrap, Tasks: tasks})
	if err != nil {
		return nil, err
	}
	r.Decodability = analyses.Gate(in, r.Late)
	if text := in.Baseline(probeset.TextBaseline); text != nil {
		if r.TextMargin, err = r.marginRise(text, in.Bootstrap); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// marginRise is the mean over tasks of the rise of the probes' margin over the
// text baseline: [AUROC(late) − text(late)] − [AUROC(prompt_last) − text(prompt_last)].
func (r *Result) marginRise(text *probeset.Grid, bp stats.BootstrapParams) (*analyses.Evidence, error) {
	var ts []analyses.TaskStat
	n := 0
	for _, tc := range r.Tasks {
		pl, late := r.selected[tc.Task][hook.PromptLast], r.selected[tc.Task][r.Late]
		tpl, err1 := text.Select(tc.Task, hook.PromptLast)
		tlate, err2 := text.Select(tc.Task, r.Late)
		if err1 != nil || err2 != nil {
			continue
		}
		if !slices.Equal(tpl.Y, pl.Y) || !slices.Equal(tlate.Y, late.Y) {
			return nil, fmt.Errorf("temporal: %s: the text baseline holds other rows than the probes", tc.Task)
		}
		auc := func(s *probeset.Selected, rows []int) float64 { return stats.AUROCOn(s.Scores, s.Y, rows) }
		ts = append(ts, analyses.TaskStat{Groups: pl.Groups, F: func(rows []int) float64 {
			return auc(late, rows) - auc(tlate, rows) - auc(pl, rows) + auc(tpl, rows)
		}})
		n += len(pl.Y)
	}
	if len(ts) == 0 {
		return nil, nil
	}
	iv, err := analyses.MeanOverTasks(ts, bp)
	if err != nil {
		return nil, fmt.Errorf("temporal: margin rise: %w", err)
	}
	e := analyses.NewEvidence(fmt.Sprintf("mean rise of AUROC − text-baseline AUROC from prompt_last to %s", r.Late), analyses.CVCorrect(iv, r.Folds), n/len(ts), analyses.UnitItems, smallestRise)
	return &e, nil
}
