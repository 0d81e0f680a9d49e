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

// TaskSummary is one task's comparison. Each probe's scores take, for every
// outer fold, the layer where that probe did best on the other folds
// (probe.CrossSelect), so neither probe's score is inflated by choosing its
// layer on the rows it is scored on.
type TaskSummary struct {
	Task         string         `json:"task"`
	Kind         string         `json:"kind"`
	BestLayer    int            `json:"best_layer"`    // the specialist's most chosen layer
	GeneralLayer int            `json:"general_layer"` // the general probe's most chosen layer
	Specialist   stats.Interval `json:"specialist"`
	General      stats.Interval `json:"general"`
	Diff         stats.Interval `json:"diff"` // specialist − general, paired bootstrap over base requests
	N            int            `json:"n"`
}

// Result is the specialist-vs-general finding on one model.
type Result struct {
	Model     string            `json:"model"`
	Config    Config            `json:"config"`
	NumLayers int               `json:"num_layers"`
	ByLayer   []LayerComparison `json:"by_layer"`
	Tasks     []TaskSummary     `json:"tasks"`
	MeanDiff  stats.Interval    `json:"mean_diff"` // mean over tasks of Diff
	// Decodability and TextMargin are filled when the study's grid and text
	// baseline are at hand (Analysis.Run): the precondition that the probes read
	// the labels, and the mean specialist AUROC over the text baseline's.
	Decodability *analyses.Evidence `json:"decodability,omitempty"`
	TextMargin   *analyses.Evidence `json:"text_margin,omitempty"`
	selected     []*probeset.Selected
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
	return r, r.summarise(ts, data[cfg.Layers[0]])
}

// summarise selects each probe's layers on inner folds and bootstraps the
// differences. dss are the tasks' datasets at any layer (rows, labels and groups
// are the same at every layer).
func (r *Result) summarise(ts []probeset.Task, dss []probe.Dataset) error {
	var diffs []analyses.TaskStat
	for i, t := range ts {
		ds := dss[i]
		spec, err := r.selectAcross(i, ds, func(tc probe.TaskComparison) []float64 { return tc.SpecialistOOF })
		if err != nil {
			return err
		}
		gen, err := r.selectAcross(i, ds, func(tc probe.TaskComparison) []float64 { return tc.GeneralOOF })
		if err != nil {
			return err
		}
		mem := stats.Members(ds.Groups)
		at := func(scores []float64) stats.Statistic {
			return stats.GroupedStatistic(mem, func(rows []int) float64 { return stats.AUROCOn(scores, ds.Y, rows) })
		}
		sIv, d, err := stats.PairedBootstrap(len(mem), at(spec.Scores), at(gen.Scores), r.Config.CV.Bootstrap)
		gIv, err2 := stats.Bootstrap(len(mem), at(gen.Scores), r.Config.CV.Bootstrap)
		if err != nil || err2 != nil {
			sIv, gIv = pointOnly(spec.AUROC()), pointOnly(gen.AUROC())
			d = pointOnly(sIv.Estimate - gIv.Estimate)
		}
		r.Tasks = append(r.Tasks, TaskSummary{Task: t.Name, Kind: t.Kind, BestLayer: stats.Mode(spec.Layers),
			GeneralLayer: stats.Mode(gen.Layers), Specialist: sIv, General: gIv, Diff: d, N: len(ds.Y)})
		r.selected = append(r.selected, spec)
		diffs = append(diffs, analyses.TaskStat{Groups: ds.Groups, F: func(rows []int) float64 {
			return stats.AUROCOn(spec.Scores, ds.Y, rows) - stats.AUROCOn(gen.Scores, ds.Y, rows)
		}})
	}
	var err error
	r.MeanDiff, err = analyses.MeanOverTasks(diffs, r.Config.CV.Bootstrap)
	if err != nil {
		return fmt.Errorf("specialist: mean difference: %w", err)
	}
	return nil
}

// selectAcross cross-selects task i's scores of one probe kind over the layers.
func (r *Result) selectAcross(i int, ds probe.Dataset, oof func(probe.TaskComparison) []float64) (*probeset.Selected, error) {
	var cands [][]float64
	for _, lc := range r.ByLayer {
		cands = append(cands, oof(lc.Tasks[i]))
	}
	foldOf := r.ByLayer[0].Tasks[i].FoldOf
	scores, chosen, err := probe.CrossSelect(cands, ds.Y, foldOf)
	if err != nil {
		return nil, fmt.Errorf("specialist: %s: %w", ds.Name, err)
	}
	layers := make([]int, len(chosen))
	for k, c := range chosen {
		layers[k] = r.ByLayer[c].Layer
	}
	return &probeset.Selected{Task: ds.Name, Position: r.Config.Position, Scores: scores, Layers: layers,
		Y: ds.Y, Groups: ds.Groups, FoldOf: foldOf}, nil
}

func pointOnly(v float64) stats.Interval {
	return stats.Interval{Estimate: v, Lo: math.NaN(), Hi: math.NaN()}
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

// smallestDiff is the smallest mean AUROC advantage of the specialists that
// the claim could mean.
const smallestDiff = 0.02

// Verdict implements analyses.Result. The claim holds when the mean specialist
// advantage has a CI above zero, the probes read the labels at all, and (where
// the run has a text baseline) the specialists beat a probe on the text alone.
func (r *Result) Verdict() analyses.Verdict {
	wins, losses := 0, 0
	for _, t := range r.Tasks {
		if t.Diff.Lo > 0 {
			wins++
		}
		if t.Diff.Hi < 0 {
			losses++
		}
	}
	v := analyses.Verdict{Finding: r.Name(), Claim: Claim, Decodability: r.Decodability, Margin: r.TextMargin,
		Primary: analyses.NewEvidence("mean AUROC difference specialist − general (layers chosen on other folds)",
			analyses.CVCorrect(r.MeanDiff, r.Config.CV.Folds), r.itemsPerTask(), analyses.UnitItems, smallestDiff)}
	v.Status = v.Primary.Judge()
	switch v.Status {
	case analyses.Holds:
		v.Because("the mean specialist advantage is above zero; specialists are significantly better on %d/%d tasks, worse on %d", wins, len(r.Tasks), losses)
	case analyses.Contradicted:
		v.Because("the general probe is better on average; specialists worse on %d/%d tasks", losses, len(r.Tasks))
	case analyses.NotSupported:
		v.Because("the CI lies below the smallest advantage the claim could mean (%.2f AUROC)", smallestDiff)
	default:
		v.Because("the CI includes both zero and advantages the claim could mean")
	}
	v.Finish()
	return v
}

func (r *Result) itemsPerTask() int {
	if len(r.Tasks) == 0 {
		return 0
	}
	sum := 0
	for _, t := range r.Tasks {
		sum += t.N
	}
	return sum / len(r.Tasks)
}
