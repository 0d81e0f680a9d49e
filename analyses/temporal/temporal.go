package temporal

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/plot"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/stats"
)

// Config configures Run.
type Config struct {
	// Layer to read; -1 or unset (0 is a valid layer, so use UseLayer) means each
	// task's best layer over all positions.
	Layer    int  `json:"layer"`
	UseLayer bool `json:"use_layer"`
	// Bootstrap configures the intervals (default 1000 resamples, 95%, seed 0).
	Bootstrap stats.BootstrapParams `json:"bootstrap"`
}

// TaskCurve is one task's AUROC over generation positions.
type TaskCurve struct {
	Task      string           `json:"task"`
	Kind      string           `json:"kind"`
	Layer     int              `json:"layer"`
	AUROC     []stats.Interval `json:"auroc"` // one per Result.Positions entry
	Peak      hook.Position    `json:"peak"`  // position with the highest AUROC
	PromptEnd stats.Interval   `json:"prompt_end"`
	Rise      stats.Interval   `json:"rise"` // AUROC(late) − AUROC(prompt_last)
	Pattern   string           `json:"pattern"`
}

// Patterns of a task's curve.
const (
	Monitoring = "monitoring"
	Planning   = "planning"
	Neither    = "neither"
)

// Result is the temporal finding on one model.
type Result struct {
	Model     string          `json:"model"`
	Config    Config          `json:"config"`
	Positions []hook.Position `json:"positions"` // in generation order
	Late      hook.Position   `json:"late"`
	Tasks     []TaskCurve     `json:"tasks"`
	// MeanRise is the mean rise over tasks with a multi-sample bootstrap interval.
	MeanRise stats.Interval `json:"mean_rise"`
}

// Name implements analyses.Result.
func (r *Result) Name() string { return "temporal" }

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

// Run computes the finding from a grid of probe evaluations.
func Run(ctx context.Context, g *probeset.Grid, cfg Config) (*Result, error) {
	ps := Positions(g)
	if !slices.Contains(ps, hook.PromptLast) || len(ps) < 2 {
		return nil, fmt.Errorf("temporal: grid needs prompt_last and a later position (has %v)", g.Positions)
	}
	r := &Result{Model: g.Model, Config: cfg, Positions: ps, Late: ps[len(ps)-1]}
	var members [][][]int
	var rises []func([]int) float64
	for _, t := range g.Tasks {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		tc, rise, mem, err := taskCurve(g, t, r, cfg)
		if err != nil {
			return nil, err
		}
		r.Tasks = append(r.Tasks, tc)
		rises, members = append(rises, rise), append(members, mem)
	}
	mean, err := stats.MultiBootstrap(members, func(rows [][]int) float64 {
		v := make([]float64, len(rises))
		for i, f := range rises {
			v[i] = f(rows[i])
		}
		return stats.Mean(v)
	}, cfg.Bootstrap)
	if err != nil {
		return nil, fmt.Errorf("temporal: mean rise: %w", err)
	}
	r.MeanRise = mean
	return r, nil
}

// bestLayerAnyPosition is the layer with the highest AUROC at any position.
func bestLayerAnyPosition(g *probeset.Grid, task string, ps []hook.Position) int {
	best, bestAUC := g.Layers[0], math.Inf(-1)
	for _, l := range g.Layers {
		for _, p := range ps {
			if a := g.AUROC(task, l, p).Estimate; a > bestAUC {
				best, bestAUC = l, a
			}
		}
	}
	return best
}

func taskCurve(g *probeset.Grid, t probeset.Task, r *Result, cfg Config) (TaskCurve, func([]int) float64, [][]int, error) {
	layer := cfg.Layer
	if !cfg.UseLayer {
		layer = bestLayerAnyPosition(g, t.Name, r.Positions)
	}
	tc := TaskCurve{Task: t.Name, Kind: t.Kind, Layer: layer}
	best := math.Inf(-1)
	for _, p := range r.Positions {
		a := g.AUROC(t.Name, layer, p)
		tc.AUROC = append(tc.AUROC, a)
		if a.Estimate > best {
			best, tc.Peak = a.Estimate, p
		}
	}
	first, ok1 := g.Cell(t.Name, layer, hook.PromptLast)
	last, ok2 := g.Cell(t.Name, layer, r.Late)
	if !ok1 || !ok2 {
		return tc, nil, nil, fmt.Errorf("temporal: grid lacks %s at layer %d", t.Name, layer)
	}
	if !slices.Equal(first.Y, last.Y) || !slices.Equal(first.Groups, last.Groups) {
		return tc, nil, nil, fmt.Errorf("temporal: %s: prompt_last and %s hold different examples; cannot pair them", t.Name, r.Late)
	}
	mem := stats.Members(first.Groups)
	at := func(c *probeset.Cell) stats.Statistic {
		return func(rows []int) float64 { return stats.AUROCOn(c.OOF, c.Y, rows) }
	}
	var err error
	if tc.PromptEnd, err = stats.Bootstrap(len(mem), stats.GroupedStatistic(mem, at(first)), cfg.Bootstrap); err != nil {
		return tc, nil, nil, fmt.Errorf("temporal: %s: %w", t.Name, err)
	}
	if _, tc.Rise, err = stats.PairedBootstrap(len(mem), stats.GroupedStatistic(mem, at(last)), stats.GroupedStatistic(mem, at(first)), cfg.Bootstrap); err != nil {
		return tc, nil, nil, fmt.Errorf("temporal: %s: %w", t.Name, err)
	}
	switch {
	case tc.Rise.Lo > 0:
		tc.Pattern = Monitoring
	case tc.PromptEnd.Lo > 0.5:
		tc.Pattern = Planning
	default:
		tc.Pattern = Neither
	}
	rise := func(rows []int) float64 { return at(last)(rows) - at(first)(rows) }
	return tc, rise, mem, nil
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

// Verdict implements analyses.Result.
func (r *Result) Verdict() string {
	count := map[string]int{}
	late := 0
	for _, tc := range r.Tasks {
		count[tc.Pattern]++
		if o, _ := tc.Peak.Timeline(); o >= 0.6 {
			late++
		}
	}
	n := len(r.Tasks)
	m := r.MeanRise
	measured := fmt.Sprintf("Mean rise AUROC(%s) − AUROC(prompt_last) = %.3f [%.3f, %.3f]; %d/%d tasks monitoring, %d/%d planning, %d/%d peak in the last 40%% of the response.",
		r.Late, m.Estimate, m.Lo, m.Hi, count[Monitoring], n, count[Planning], n, late, n)
	var holds string
	switch {
	case m.Lo > 0 && count[Monitoring]*2 > n:
		holds = "Holds on this model: decodability grows during generation for most tasks."
	case m.Lo > 0:
		holds = "Partly holds: decodability grows on average, but only for a minority of tasks individually."
	case m.Hi < 0:
		holds = "Reversed on this model: decodability falls during generation."
	default:
		holds = "Not supported on this model: the 95% CI of the mean rise includes zero."
	}
	return "Paper: satisfaction is weakly decodable at the end of the prompt and grows while the response is written (monitoring, not planning). " + measured + " " + holds
}

// names returns the positions' names.
func names(ps []hook.Position) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}
