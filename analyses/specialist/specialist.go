package specialist

import (
	"context"
	"fmt"
	"math"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/plot"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/stats"
)

// Config configures Run. Zero fields take the documented defaults.
type Config struct {
	// Position of the activations; default "prompt_last" when the source has it,
	// else its first position.
	Position hook.Position `json:"position"`
	// Layers to compare at; default all of the source's.
	Layers []int `json:"layers,omitempty"`
	// CV configures folds, C and bootstrap (default 5 grouped folds, C = 1).
	CV probe.CVParams `json:"cv"`
}

// LayerComparison is specialist vs general for every task at one layer.
type LayerComparison struct {
	Layer int                    `json:"layer"`
	Tasks []probe.TaskComparison `json:"tasks"`
}

// TaskSummary is one task's comparison, each probe at its own best layer.
type TaskSummary struct {
	Task         string         `json:"task"`
	Kind         string         `json:"kind"`
	BestLayer    int            `json:"best_layer"`    // the specialist's best layer
	GeneralLayer int            `json:"general_layer"` // the general probe's best layer for this task
	Specialist   stats.Interval `json:"specialist"`
	General      stats.Interval `json:"general"`
	Diff         stats.Interval `json:"diff"` // specialist − general, paired bootstrap over base requests
}

// Result is the specialist-vs-general finding on one model.
type Result struct {
	Model     string            `json:"model"`
	Config    Config            `json:"config"`
	NumLayers int               `json:"num_layers"`
	ByLayer   []LayerComparison `json:"by_layer"`
	Tasks     []TaskSummary     `json:"tasks"`
	MeanDiff  stats.Interval    `json:"mean_diff"` // mean over tasks at their best layers
}

// Name implements analyses.Result.
func (r *Result) Name() string { return "specialist" }

// Run computes the finding on src.
func Run(ctx context.Context, src probeset.Source, cfg Config) (*Result, error) {
	if cfg.Position.IsZero() {
		cfg.Position = probeset.DefaultPosition(src.Positions())
	}
	if len(cfg.Layers) == 0 {
		cfg.Layers = src.Layers()
	}
	r := &Result{Model: src.Model(), Config: cfg, NumLayers: src.NumLayers()}
	ts := src.Tasks()
	data := map[int][]probe.Dataset{}
	for _, l := range cfg.Layers {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		dss, err := probeset.Datasets(src, ts, l, cfg.Position)
		if err != nil {
			return nil, err
		}
		for i, t := range ts {
			dss[i].Name = t.Name
		}
		sg, err := cfg.CV.SpecialistVsGeneral(dss)
		if err != nil {
			return nil, fmt.Errorf("specialist: layer %d: %w", l, err)
		}
		r.ByLayer = append(r.ByLayer, LayerComparison{Layer: l, Tasks: sg.Tasks})
		data[l] = dss
	}
	return r, r.summarise(ts, data)
}

// summarise picks each task's best layer and bootstraps the mean difference.
func (r *Result) summarise(ts []probeset.Task, data map[int][]probe.Dataset) error {
	var members [][][]int
	var diffs []func([]int) float64
	for i, t := range ts {
		// Each probe is read at its own best layer: choosing the layer by the
		// specialist alone would hand it the selection bias and not the general probe.
		bs, bg := r.bestLayer(i, func(tc probe.TaskComparison) float64 { return tc.Specialist.Estimate }),
			r.bestLayer(i, func(tc probe.TaskComparison) float64 { return tc.General.Estimate })
		spec, gen := r.ByLayer[bs].Tasks[i], r.ByLayer[bg].Tasks[i]
		ds := data[r.ByLayer[bs].Layer][i] // same rows, labels and groups at every layer
		mem := stats.Members(ds.Groups)
		at := func(oof []float64) stats.Statistic {
			return stats.GroupedStatistic(mem, func(rows []int) float64 { return stats.AUROCOn(oof, ds.Y, rows) })
		}
		_, d, err := stats.PairedBootstrap(len(mem), at(spec.SpecialistOOF), at(gen.GeneralOOF), r.Config.CV.Bootstrap)
		if err != nil {
			nan := math.NaN()
			d = stats.Interval{Estimate: spec.Specialist.Estimate - gen.General.Estimate, Lo: nan, Hi: nan}
		}
		r.Tasks = append(r.Tasks, TaskSummary{Task: t.Name, Kind: t.Kind, BestLayer: r.ByLayer[bs].Layer,
			GeneralLayer: r.ByLayer[bg].Layer, Specialist: spec.Specialist, General: gen.General, Diff: d})
		members = append(members, mem)
		diffs = append(diffs, func(rows []int) float64 {
			return stats.AUROCOn(spec.SpecialistOOF, ds.Y, rows) - stats.AUROCOn(gen.GeneralOOF, ds.Y, rows)
		})
	}
	var err error
	r.MeanDiff, err = stats.MultiBootstrap(members, func(rows [][]int) float64 {
		v := make([]float64, len(diffs))
		for i, f := range diffs {
			v[i] = f(rows[i])
		}
		return stats.Mean(v)
	}, r.Config.CV.Bootstrap)
	if err != nil {
		return fmt.Errorf("specialist: mean difference: %w", err)
	}
	return nil
}

// bestLayer returns the index in ByLayer where score of task i is highest.
func (r *Result) bestLayer(i int, score func(probe.TaskComparison) float64) int {
	best := 0
	for li, lc := range r.ByLayer {
		if score(lc.Tasks[i]) > score(r.ByLayer[best].Tasks[i]) {
			best = li
		}
	}
	return best
}

// Figures implements analyses.Result: grouped bars at each task's best layer, and
// both probe kinds' AUROC by depth (see depthFigure).
func (r *Result) Figures() ([]*plot.Figure, error) {
	var cats []string
	spec := plot.BarGroup{Label: "specialist (one task)", Color: plot.KindColor("structural")}
	gen := plot.BarGroup{Label: "general (all tasks pooled)", Color: plot.KindColor("control")}
	for _, t := range r.Tasks {
		cats = append(cats, t.Task)
		spec.Values, spec.Lo, spec.Hi = append(spec.Values, t.Specialist.Estimate), append(spec.Lo, t.Specialist.Lo), append(spec.Hi, t.Specialist.Hi)
		gen.Values, gen.Lo, gen.Hi = append(gen.Values, t.General.Estimate), append(gen.Lo, t.General.Lo), append(gen.Hi, t.General.Hi)
	}
	bars, err := plot.Bars(plot.BarsSpec{Name: "specialist_vs_general",
		Title:  fmt.Sprintf("%s: specialist vs general probe, each at its best layer (%s)", r.Model, r.Config.Position),
		YLabel: "AUROC (out-of-fold, 95% CI)", Categories: cats, Groups: []plot.BarGroup{spec, gen},
		HLines: []float64{0.5}, YMin: 0, YMax: 1.08, Width: 720, Height: 380})
	if err != nil {
		return nil, err
	}
	lines, err := r.depthFigure(spec, gen)
	if err != nil {
		return nil, err
	}
	return []*plot.Figure{bars, lines}, nil
}

// depthFigure draws specialist and general AUROC by depth as small multiples: a
// first panel with the means over tasks, then one panel per task with both
// probes' cluster-bootstrap bands. The result holds no interval for the mean
// over tasks at each layer (it keeps no labels to resample), so the mean panel
// has no band and says so; the bootstrapped mean difference at the best layers
// is in the table and the verdict.
func (r *Result) depthFigure(spec, gen plot.BarGroup) (*plot.Figure, error) {
	depth := make([]float64, len(r.ByLayer))
	mean := []plot.Series{{Label: spec.Label, X: depth, Color: spec.Color}, {Label: gen.Label, X: depth, Color: gen.Color, Dashed: true}}
	per := make([][2]plot.Series, len(r.Tasks))
	for i := range per {
		per[i] = [2]plot.Series{mean[0], mean[1]}
	}
	level := 0.0
	for li, lc := range r.ByLayer {
		depth[li] = probeset.Depth(lc.Layer, r.NumLayers)
		var s, g []float64
		for i, tc := range lc.Tasks {
			s, g = append(s, tc.Specialist.Estimate), append(g, tc.General.Estimate)
			if i >= len(per) {
				continue
			}
			for k, iv := range []stats.Interval{tc.Specialist, tc.General} {
				p := &per[i][k]
				p.Y, p.Lo, p.Hi = append(p.Y, iv.Estimate), append(p.Lo, iv.Lo), append(p.Hi, iv.Hi)
				level = max(level, iv.Level)
			}
		}
		mean[0].Y, mean[1].Y = append(mean[0].Y, stats.Mean(s)), append(mean[1].Y, stats.Mean(g))
	}
	base := plot.LinesSpec{XLabel: "normalised depth (layer+1)/L", YLabel: "AUROC (out-of-fold)", HLines: []float64{0.5}, YMin: 0.3, YMax: 1.02}
	panels := []plot.LinesSpec{base}
	panels[0].Title, panels[0].Series = "mean over tasks (no CI: see table)", mean
	for i, t := range r.Tasks {
		p := base
		p.Title, p.Series = fmt.Sprintf("%s (%s)", t.Task, t.Kind), per[i][:]
		panels = append(panels, p)
	}
	band := "no CI computed"
	if level > 0 {
		band = fmt.Sprintf("%.0f%% cluster-bootstrap CI per task", 100*level)
	}
	return plot.Panels(plot.PanelsSpec{Name: "specialist_vs_general_by_depth", Panels: panels,
		Title: fmt.Sprintf("%s: specialist vs general probe AUROC by depth (%s); shaded: %s", r.Model, r.Config.Position, band)})
}

// Table implements analyses.Result.
func (r *Result) Table() [][]string {
	rows := [][]string{{"task", "kind", "best_layer", "general_layer", "specialist", "specialist_lo", "specialist_hi", "general", "general_lo", "general_hi", "diff", "diff_lo", "diff_hi"}}
	for _, t := range r.Tasks {
		rows = append(rows, []string{t.Task, t.Kind, fmt.Sprint(t.BestLayer), fmt.Sprint(t.GeneralLayer),
			analyses.F(t.Specialist.Estimate), analyses.F(t.Specialist.Lo), analyses.F(t.Specialist.Hi),
			analyses.F(t.General.Estimate), analyses.F(t.General.Lo), analyses.F(t.General.Hi),
			analyses.F(t.Diff.Estimate), analyses.F(t.Diff.Lo), analyses.F(t.Diff.Hi)})
	}
	return rows
}

// Verdict implements analyses.Result.
func (r *Result) Verdict() string {
	wins, losses := 0, 0
	for _, t := range r.Tasks {
		if t.Diff.Lo > 0 {
			wins++
		}
		if t.Diff.Hi < 0 {
			losses++
		}
	}
	m := r.MeanDiff
	measured := fmt.Sprintf("Mean AUROC difference specialist − general, each at its own best layer = %.3f [%.3f, %.3f]; specialists significantly better on %d/%d tasks, worse on %d.",
		m.Estimate, m.Lo, m.Hi, wins, len(r.Tasks), losses)
	var holds string
	switch {
	case math.IsNaN(m.Estimate):
		holds = "Not testable on this model."
	case m.Lo > 0:
		holds = "Holds on this model: the 95% CI of the mean difference lies above zero."
	case m.Hi < 0:
		holds = "Reversed on this model: the general probe is better."
	default:
		holds = "Not supported on this model: the 95% CI of the mean difference includes zero."
	}
	return "Paper: a probe trained on one task reads that task's success better than a general probe trained on all tasks. " + measured + " " + holds
}
