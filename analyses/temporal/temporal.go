package temporal

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/plot"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/stats"
)

// Config configures Run.
type Config struct {
	// Layer to read; unless UseLayer is set, each task's layer is chosen per
	// outer fold on the other folds (the best mean AUROC over positions), so the
	// curve is not inflated by the choice.
	Layer    int  `json:"layer"`
	UseLayer bool `json:"use_layer"`
	// Bootstrap configures the intervals (default 1000 resamples, 95%, seed 0).
	Bootstrap stats.BootstrapParams `json:"bootstrap"`
	// Tasks to read; default every task of the grid with probe scores at
	// prompt_last.
	Tasks []string `json:"tasks,omitempty"`
}

// TaskCurve is one task's AUROC over generation positions.
type TaskCurve struct {
	Task      string           `json:"task"`
	Kind      string           `json:"kind"`
	Layer     int              `json:"layer"`  // the most chosen layer
	Layers    []int            `json:"layers"` // the layer of each outer fold
	N         int              `json:"n"`
	AUROC     []stats.Interval `json:"auroc"` // one per Result.Positions entry
	Peak      hook.Position    `json:"peak"`  // position with the highest AUROC
	PromptEnd stats.Interval   `json:"prompt_end"`
	Rise      stats.Interval   `json:"rise"` // AUROC(late) − AUROC(prompt_last)
	Pattern   string           `json:"pattern"`
	// OverInstruction is AUROC(prompt_last) − the instruction baseline's, when
	// the run has one: a task is "planning" only when it is above zero, since
	// what the instruction asks (a polarity, a length) can predict success alone.
	OverInstruction *stats.Interval `json:"over_instruction,omitempty"`
}

// Patterns of a task's curve.
const (
	Monitoring = "monitoring"
	Planning   = "planning"
	// Instructed: decodable at the prompt's end, but no more than from the
	// instruction's parameters alone.
	Instructed = "instruction_predicts"
	Neither    = "neither"
)

// Result is the temporal finding on one model.
type Result struct {
	Model     string          `json:"model"`
	Config    Config          `json:"config"`
	Positions []hook.Position `json:"positions"` // in generation order
	Late      hook.Position   `json:"late"`
	// LeftOut names the grid's time-line positions that the curves leave out,
	// with the reason: a curve pairs the same rows at every position, and eos
	// holds fewer when responses were truncated.
	LeftOut []string    `json:"left_out,omitempty"`
	Tasks   []TaskCurve `json:"tasks"`
	// MeanRise is the mean rise over tasks with a multi-sample bootstrap interval.
	MeanRise stats.Interval `json:"mean_rise"`
	Folds    int            `json:"folds"` // of the grid's cross-validation
	// Decodability and TextMargin are filled by Analysis.Run: the precondition
	// that the probes read the labels at the late position, and the mean rise of
	// the probes' margin over the text baseline (what the text written so far
	// gives away grows during generation too).
	Decodability *analyses.Evidence `json:"decodability,omitempty"`
	TextMargin   *analyses.Evidence `json:"text_margin,omitempty"`
	selected     map[string]map[hook.Position]*probeset.Selected
}

// Positions returns the grid's positions that lie on the generation time line, in
// order.
func Positions(g *probeset.Grid) []hook.Position {
	var ps []hook.Position
	for _, p := range g.Positions {
		if _, ok := p.Timeline(); ok {
			ps = append(ps, p)
		}
	}
	sort.SliceStable(ps, func(i, j int) bool { a, _ := ps[i].Timeline(); b, _ := ps[j].Timeline(); return a < b })
	return ps
}

// Run computes the finding from a grid of probe evaluations. instruction, when
// not nil, is the instruction-baseline grid that separates planning from what the
// instruction alone predicts.
func Run(ctx context.Context, g *probeset.Grid, instruction *probeset.Grid, cfg Config) (*Result, error) {
	tasks, _ := g.Probeable(hook.PromptLast)
	if len(cfg.Tasks) > 0 {
		tasks = slices.DeleteFunc(tasks, func(t string) bool { return !slices.Contains(cfg.Tasks, t) })
	}
	ps, left := pairedPositions(g, tasks)
	if !slices.Contains(ps, hook.PromptLast) || len(ps) < 2 {
		return nil, fmt.Errorf("temporal: grid needs prompt_last and a later position with the same rows (has %v; %s)", g.Positions, strings.Join(left, "; "))
	}
	r := &Result{Model: g.Model, Config: cfg, Positions: ps, Late: ps[len(ps)-1], LeftOut: left, Folds: g.CV.Folds,
		selected: map[string]map[hook.Position]*probeset.Selected{}}
	var rises []analyses.TaskStat
	for _, t := range g.Tasks {
		if !slices.Contains(tasks, t.Name) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sel, err := r.selectTask(g, t.Name)
		if err != nil {
			return nil, err
		}
		r.selected[t.Name] = sel
		tc, rise, err := r.taskCurve(t, sel, instruction)
		if err != nil {
			return nil, err
		}
		r.Tasks = append(r.Tasks, tc)
		rises = append(rises, rise)
	}
	var err error
	if r.MeanRise, err = analyses.MeanOverTasks(rises, cfg.Bootstrap); err != nil {
		return nil, fmt.Errorf("temporal: mean rise: %w", err)
	}
	return r, nil
}

// pairedPositions returns the grid's time-line positions at which every one of
// tasks has usable probe scores on the same rows as at prompt_last, and the
// others with the reason.
func pairedPositions(g *probeset.Grid, tasks []string) (kept []hook.Position, left []string) {
	for _, p := range Positions(g) {
		if why := unpaired(g, tasks, p); why != "" {
			left = append(left, fmt.Sprintf("%s (%s)", p, why))
			continue
		}
		kept = append(kept, p)
	}
	return kept, left
}

// unpaired says why position p cannot join prompt_last on one curve, or "".
func unpaired(g *probeset.Grid, tasks []string, p hook.Position) string {
	for _, t := range tasks {
		a, err1 := g.Select(t, hook.PromptLast)
		b, err2 := g.Select(t, p)
		switch {
		case err1 != nil || err2 != nil:
			return t + " has no probe scores there"
		case !slices.Equal(a.Y, b.Y) || !slices.Equal(a.Groups, b.Groups) || !slices.Equal(a.FoldOf, b.FoldOf):
			return fmt.Sprintf("%s holds %d rows there, %d at prompt_last", t, len(b.Y), len(a.Y))
		}
	}
	return ""
}

// selectTask returns the task's scores at every position, read at one layer per
// outer fold: Config.Layer, or the layer with the best mean AUROC over the
// positions on the other folds.
func (r *Result) selectTask(g *probeset.Grid, task string) (map[hook.Position]*probeset.Selected, error) {
	layers := g.Layers
	if r.Config.UseLayer {
		layers = []int{r.Config.Layer}
	}
	cells := make([][]*probeset.Cell, len(layers)) // [layer][position]
	var first *probeset.Cell
	for li, l := range layers {
		for _, p := range r.Positions {
			c, ok := g.Cell(task, l, p)
			if !ok {
				return nil, fmt.Errorf("temporal: grid lacks %s at layer %d, %s", task, l, p)
			}
			if first == nil {
				first = c
			} else if !slices.Equal(c.Y, first.Y) || !slices.Equal(c.Groups, first.Groups) || !slices.Equal(c.FoldOf, first.FoldOf) {
				return nil, fmt.Errorf("temporal: %s: layer %d at %s holds other examples or folds than layer %d at %s; cannot pair them", task, l, p, first.Layer, first.Position)
			}
			cells[li] = append(cells[li], c)
		}
	}
	chosen := probe.CrossSelectBy(len(layers), first.FoldOf, func(li int, rows []int) float64 {
		var v []float64
		for _, c := range cells[li] {
			v = append(v, stats.AUROCOn(c.OOF, c.Y, rows))
		}
		return stats.Mean(v)
	})
	out := map[hook.Position]*probeset.Selected{}
	for pi, p := range r.Positions {
		sel := &probeset.Selected{Task: task, Position: p, Scores: make([]float64, len(first.Y)),
			Y: first.Y, Groups: first.Groups, FoldOf: first.FoldOf}
		for i, f := range first.FoldOf {
			sel.Scores[i] = cells[chosen[f]][pi].OOF[i]
		}
		for _, c := range chosen {
			sel.Layers = append(sel.Layers, layers[c])
		}
		out[p] = sel
	}
	return out, nil
}

// taskCurve bootstraps one task's curve, prompt-end AUROC and rise, and returns
// the rise as a statistic of the task's rows for the mean over tasks.
func (r *Result) taskCurve(t probeset.Task, sel map[hook.Position]*probeset.Selected, instruction *probeset.Grid) (TaskCurve, analyses.TaskStat, error) {
	first, last := sel[hook.PromptLast], sel[r.Late]
	tc := TaskCurve{Task: t.Name, Kind: t.Kind, Layers: first.Layers, Layer: stats.Mode(first.Layers), N: len(first.Y)}
	mem := stats.Members(first.Groups)
	at := func(s *probeset.Selected) stats.Statistic {
		return stats.GroupedStatistic(mem, func(rows []int) float64 { return stats.AUROCOn(s.Scores, s.Y, rows) })
	}
	best := math.Inf(-1)
	for _, p := range r.Positions {
		a, err := stats.Bootstrap(len(mem), at(sel[p]), r.Config.Bootstrap)
		if err != nil {
			a = stats.Interval{Estimate: sel[p].AUROC(), Lo: math.NaN(), Hi: math.NaN()}
		}
		tc.AUROC = append(tc.AUROC, a)
		if a.Estimate > best {
			best, tc.Peak = a.Estimate, p
		}
	}
	tc.PromptEnd = tc.AUROC[0]
	var err error
	if _, tc.Rise, err = stats.PairedBootstrap(len(mem), at(last), at(first), r.Config.Bootstrap); err != nil {
		return tc, analyses.TaskStat{}, fmt.Errorf("temporal: %s: %w", t.Name, err)
	}
	if instruction != nil {
		if ib, err := instruction.Select(t.Name, hook.PromptLast); err == nil && slices.Equal(ib.Y, first.Y) {
			_, d, err := stats.PairedBootstrap(len(mem), at(first), at(ib), r.Config.Bootstrap)
			if err == nil {
				tc.OverInstruction = &d
			}
		}
	}
	tc.Pattern = pattern(tc)
	rise := func(rows []int) float64 {
		return stats.AUROCOn(last.Scores, last.Y, rows) - stats.AUROCOn(first.Scores, first.Y, rows)
	}
	return tc, analyses.TaskStat{Groups: first.Groups, F: rise}, nil
}

// pattern classifies a curve: monitoring when it rises, planning when it is
// already decodable at the prompt's end beyond what the instruction predicts.
func pattern(tc TaskCurve) string {
	switch {
	case tc.Rise.Lo > 0:
		return Monitoring
	case tc.PromptEnd.Lo > 0.5 && tc.OverInstruction != nil && !(tc.OverInstruction.Lo > 0):
		return Instructed
	case tc.PromptEnd.Lo > 0.5:
		return Planning
	}
	return Neither
}

// Figures implements analyses.Result: AUROC against generation position per task
// with its confidence band, one panel per task kind so the bands stay legible.
func (r *Result) Figures() ([]*plot.Figure, error) {
	x := make([]float64, len(r.Positions))
	for i := range x {
		x[i] = float64(i)
	}
	var series []plot.Series
	var kinds []string
	shade := map[string]int{}
	level := 0.0
	for _, tc := range r.Tasks {
		s := plot.Series{Label: fmt.Sprintf("%s (L%d)", tc.Task, tc.Layer), X: x, Color: plot.KindShade(tc.Kind, shade[tc.Kind])}
		shade[tc.Kind]++
		for _, a := range tc.AUROC {
			s.Y, s.Lo, s.Hi = append(s.Y, a.Estimate), append(s.Lo, a.Lo), append(s.Hi, a.Hi)
			level = max(level, a.Level)
		}
		series = append(series, s)
		kinds = append(kinds, tc.Kind)
	}
	base := plot.LinesSpec{Name: "temporal_auroc_by_position", XLabel: "position (prompt end, then fraction of the response)",
		YLabel: "AUROC (out-of-fold)", XTicks: names(r.Positions), HLines: []float64{0.5}, YMin: 0, YMax: 1.02}
	panels, err := plot.PanelsByKind(base, series, kinds)
	if err != nil {
		return nil, err
	}
	band := "no CI computed"
	if level > 0 {
		band = fmt.Sprintf("%.0f%% cluster-bootstrap CI", 100*level)
	}
	fig, err := plot.Panels(plot.PanelsSpec{Name: base.Name, Panels: panels, PanelWidth: 260,
		Title: fmt.Sprintf("%s: probe AUROC while the response is written; shaded: %s", r.Model, band)})
	if err != nil {
		return nil, err
	}
	return []*plot.Figure{fig}, nil
}

// Table implements analyses.Result.
func (r *Result) Table() [][]string {
	head := []string{"task", "kind", "layer", "pattern", "peak", "prompt_end", "prompt_end_lo", "prompt_end_hi", "rise", "rise_lo", "rise_hi"}
	head = append(head, names(r.Positions)...)
	rows := [][]string{head}
	for _, tc := range r.Tasks {
		row := []string{tc.Task, tc.Kind, fmt.Sprint(tc.Layer), tc.Pattern, tc.Peak.String(),
			analyses.F(tc.PromptEnd.Estimate), analyses.F(tc.PromptEnd.Lo), analyses.F(tc.PromptEnd.Hi),
			analyses.F(tc.Rise.Estimate), analyses.F(tc.Rise.Lo), analyses.F(tc.Rise.Hi)}
		for _, a := range tc.AUROC {
			row = append(row, analyses.F(a.Estimate))
		}
		rows = append(rows, row)
	}
	return rows
}

// Claim is the paper's claim, as reports quote it.
const Claim = "satisfaction is weakly decodable at the end of the prompt and grows while the response is written (monitoring, not planning)."

// smallestRise is the smallest mean rise in AUROC the claim could mean.
const smallestRise = 0.05

// Verdict implements analyses.Result. The claim holds when the mean rise has a CI
// above zero and most tasks rise individually (monitoring); partly when the mean
// rises but only a minority of tasks do.
func (r *Result) Verdict() analyses.Verdict {
	count := map[string]int{}
	late := 0
	n := 0
	for _, tc := range r.Tasks {
		count[tc.Pattern]++
		if o, _ := tc.Peak.Timeline(); o >= 0.6 {
			late++
		}
		n += tc.N
	}
	if len(r.Tasks) > 0 {
		n /= len(r.Tasks)
	}
	v := analyses.Verdict{Finding: r.Name(), Claim: Claim, Decodability: r.Decodability, Margin: r.TextMargin,
		Primary: analyses.NewEvidence(fmt.Sprintf("mean rise AUROC(%s) − AUROC(prompt_last)", r.Late), analyses.CVCorrect(r.MeanRise, r.Folds), n, analyses.UnitItems, smallestRise)}
	v.Status = v.Primary.Judge()
	k := len(r.Tasks)
	detail := fmt.Sprintf("%d/%d tasks monitoring, %d/%d planning, %d/%d predictable from the instruction alone, %d/%d peak in the last 40%% of the response",
		count[Monitoring], k, count[Planning], k, count[Instructed], k, late, k)
	switch v.Status {
	case analyses.Holds:
		v.Because("decodability grows during generation on average; %s", detail)
		if count[Monitoring]*2 <= k {
			v.Cap(analyses.Partly, "only a minority of tasks rise individually")
		}
	case analyses.Contradicted:
		v.Because("decodability falls during generation; %s", detail)
	case analyses.NotSupported:
		v.Because("the CI lies below the smallest rise the claim could mean (%.2f AUROC); %s", smallestRise, detail)
	default:
		v.Because("the CI includes both zero and rises the claim could mean; %s", detail)
	}
	if len(r.LeftOut) > 0 {
		v.Because("positions left out of the curves: %s", strings.Join(r.LeftOut, "; "))
	}
	v.Finish()
	return v
}

// names returns the positions' names.
func names(ps []hook.Position) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

// Name implements analyses.Result.
func (r *Result) Name() string { return "temporal" }
