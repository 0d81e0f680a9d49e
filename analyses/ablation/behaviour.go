package ablation

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/pkg/erase"
	"github.com/ifprobe/ifprobe/pkg/plot"
	"github.com/ifprobe/ifprobe/pkg/stats"
	"gonum.org/v1/gonum/mat"
)

// behaviour measures pass rates of every target under each chosen source's INLP
// erasure and under a random erasure of the same rank.
func (r *Result) behaviour(ctx context.Context, cfg Config, bases []*mat.Dense) error {
	inlp := r.Erasers[1]
	sources := cfg.BehaviourSources
	if len(sources) == 0 {
		sources = r.topSources(inlp, cfg.BehaviourTop)
	}
	targets := make([]string, len(r.Tasks))
	for i, t := range r.Tasks {
		targets[i] = t.Name
	}
	baseline, err := runBehaviour(ctx, cfg.Behaviour, targets, nil)
	if err != nil {
		return fmt.Errorf("ablation: behaviour baseline: %w", err)
	}
	for _, name := range sources {
		a := r.taskIndex(name)
		if a < 0 {
			return fmt.Errorf("ablation: behaviour source %q is not a task", name)
		}
		basis := bases[a]
		if basis == nil || inlp.Ranks[a] == 0 {
			continue // INLP removed nothing: no edit to apply
		}
		_, d := basis.Dims()
		rnd, err := erase.RandomParams{Rank: inlp.Ranks[a], Seed: cfg.Seed + 1000 + uint64(a)}.ForDim(d)
		if err != nil {
			return err
		}
		erased, err := runBehaviour(ctx, cfg.Behaviour, targets, &Edit{Layer: r.Layers[a], Basis: basis})
		if err != nil {
			return fmt.Errorf("ablation: behaviour, %s erased: %w", name, err)
		}
		random, err := runBehaviour(ctx, cfg.Behaviour, targets, &Edit{Layer: r.Layers[a], Basis: rnd.Basis()})
		if err != nil {
			return fmt.Errorf("ablation: behaviour, random erasure for %s: %w", name, err)
		}
		for _, t := range targets {
			cell, err := r.behaviourCell(cfg, name, t, r.Layers[a], rnd.Basis(), baseline[t], erased[t], random[t])
			if err != nil {
				return err
			}
			r.Behaviour = append(r.Behaviour, cell)
		}
	}
	return nil
}

// runBehaviour calls b.Run and checks that it answered for every target.
func runBehaviour(ctx context.Context, b Behaviour, targets []string, e *Edit) (map[string][]bool, error) {
	out, err := b.Run(ctx, targets, e)
	if err != nil {
		return nil, err
	}
	for _, t := range targets {
		if len(out[t]) == 0 {
			return nil, fmt.Errorf("no responses for task %q", t)
		}
	}
	return out, nil
}

// behaviourCell compares target's pass rates with no edit (base), with source's
// erasure (er) and with a random erasure of the same rank (rn), prompt by prompt.
func (r *Result) behaviourCell(cfg Config, source, target string, layer int, random *mat.Dense, base, er, rn []bool) (BehaviourCell, error) {
	if len(er) != len(base) || len(rn) != len(base) {
		return BehaviourCell{}, fmt.Errorf("ablation: behaviour %s: runs returned %d, %d and %d prompts; they must pair", target, len(base), len(er), len(rn))
	}
	rate := func(v []bool) stats.Statistic {
		return func(idx []int) float64 {
			s := 0.0
			for _, i := range idx {
				if v[i] {
					s++
				}
			}
			return s / float64(len(idx))
		}
	}
	all := make([]int, len(base))
	for i := range all {
		all[i] = i
	}
	c := BehaviourCell{Source: source, Target: target, Layer: layer, N: len(base), Baseline: rate(base)(all), Erased: rate(er)(all), Random: rate(rn)(all)}
	r0, _ := random.Dims()
	c.Rank = r0
	var err error
	if _, c.Effect, err = stats.PairedBootstrap(len(base), rate(rn), rate(er), cfg.Bootstrap); err != nil {
		nan := math.NaN()
		c.Effect = stats.Interval{Estimate: c.Random - c.Erased, Lo: nan, Hi: nan}
	}
	return c, nil
}

func (r *Result) taskIndex(name string) int {
	for i, t := range r.Tasks {
		if t.Name == name {
			return i
		}
	}
	return -1
}

// topSources are the k sources with the largest mean off-diagonal dependency among
// those the eraser removed at least one direction of (a rank-0 source has no edit
// to rerun the model with, and choosing it would spend the behavioural budget on
// nothing).
func (r *Result) topSources(e Eraser, k int) []string {
	type sc struct {
		name string
		v    float64
	}
	var s []sc
	for a, row := range e.Cells {
		if a < len(e.Ranks) && e.Ranks[a] == 0 {
			continue
		}
		var v []float64
		for b, c := range row {
			if a != b {
				v = append(v, c.Dependency.Estimate)
			}
		}
		s = append(s, sc{r.Tasks[a].Name, stats.Mean(v)})
	}
	sort.SliceStable(s, func(i, j int) bool { return s[i].v > s[j].v })
	var out []string
	for i := 0; i < k && i < len(s); i++ {
		out = append(out, s[i].name)
	}
	return out
}

// Figures implements analyses.Result: one dependency heatmap per eraser, and the
// behavioural effects against their random controls.
func (r *Result) Figures() ([]*plot.Figure, error) {
	names := make([]string, len(r.Tasks))
	for i, t := range r.Tasks {
		names[i] = t.Name
	}
	var figs []*plot.Figure
	for _, e := range r.Erasers {
		v, lo, hi := make([][]float64, len(e.Cells)), make([][]float64, len(e.Cells)), make([][]float64, len(e.Cells))
		level := 0.0
		for a, row := range e.Cells {
			for _, c := range row {
				v[a], lo[a], hi[a] = append(v[a], c.Dependency.Estimate), append(lo[a], c.Dependency.Lo), append(hi[a], c.Dependency.Hi)
				level = max(level, c.Dependency.Level)
			}
		}
		ci := "no CI computed"
		if level > 0 {
			ci = fmt.Sprintf("%.0f%% bootstrap CI", 100*level)
		} else {
			lo, hi = nil, nil
		}
		f, err := plot.Heatmap(plot.HeatmapSpec{Name: "ablation_dependency_" + e.Kind,
			Title:  fmt.Sprintf("%s: %s erasure of row task → AUROC drop of column task vs random; brackets: %s", r.Model, e.Kind, ci),
			XLabel: "target task (probe re-trained on erased states)", YLabel: "erased task",
			RowLabels: names, ColLabels: names, Values: v, Lo: lo, Hi: hi, Annotate: true, Diverging: true, Center: 0, Min: -0.5, Max: 0.5})
		if err != nil {
			return nil, err
		}
		figs = append(figs, f)
	}
	if len(r.Behaviour) > 0 {
		f, err := r.behaviourFigure()
		if err != nil {
			return nil, err
		}
		figs = append(figs, f)
	}
	return figs, nil
}

func (r *Result) behaviourFigure() (*plot.Figure, error) {
	cells := append([]BehaviourCell(nil), r.Behaviour...)
	sort.SliceStable(cells, func(i, j int) bool { return cells[i].Effect.Estimate > cells[j].Effect.Estimate })
	if len(cells) > 12 {
		cells = cells[:12]
	}
	var cats []string
	base := plot.BarGroup{Label: "no edit", Color: plot.KindColor("control")}
	rnd := plot.BarGroup{Label: "random subspace (same rank)", Color: plot.Color("random")}
	er := plot.BarGroup{Label: "source's INLP subspace erased", Color: plot.KindColor("semantic")}
	for _, c := range cells {
		cats = append(cats, c.Source+"→"+c.Target)
		base.Values = append(base.Values, c.Baseline)
		rnd.Values = append(rnd.Values, c.Random)
		er.Values = append(er.Values, c.Erased)
	}
	return plot.Bars(plot.BarsSpec{Name: "ablation_behaviour",
		Title:  fmt.Sprintf("%s: target pass rate when the source's subspace is erased (largest effects; effect CIs in the table)", r.Model),
		YLabel: "pass rate", Categories: cats, Groups: []plot.BarGroup{base, rnd, er}, YMin: 0, YMax: 1.1, Width: 760, Height: 400})
}

// Table implements analyses.Result: one row per eraser, source and target.
func (r *Result) Table() [][]string {
	rows := [][]string{{"eraser", "source", "target", "layer", "rank", "original_auroc", "erased_auroc", "random_auroc", "dependency", "dependency_lo", "dependency_hi", "behaviour_effect", "behaviour_lo", "behaviour_hi"}}
	beh := map[[2]string]BehaviourCell{}
	for _, c := range r.Behaviour {
		beh[[2]string{c.Source, c.Target}] = c
	}
	for _, e := range r.Erasers {
		for a, row := range e.Cells {
			for b, c := range row {
				be, bl, bh := "", "", ""
				if bc, ok := beh[[2]string{r.Tasks[a].Name, r.Tasks[b].Name}]; ok && e.Kind == INLP {
					be, bl, bh = analyses.F(bc.Effect.Estimate), analyses.F(bc.Effect.Lo), analyses.F(bc.Effect.Hi)
				}
				rows = append(rows, []string{e.Kind, r.Tasks[a].Name, r.Tasks[b].Name, fmt.Sprint(r.Layers[a]), fmt.Sprint(e.Ranks[a]),
					analyses.F(float64(c.Original)), analyses.F(float64(c.Erased)), analyses.F(float64(c.Random)), analyses.F(c.Dependency.Estimate), analyses.F(c.Dependency.Lo), analyses.F(c.Dependency.Hi), be, bl, bh})
			}
		}
	}
	return rows
}

// Verdict implements analyses.Result.
func (r *Result) Verdict() string {
	var parts []string
	sparse := true
	for _, e := range r.Erasers {
		parts = append(parts, fmt.Sprintf("%s: %.0f%% of off-diagonal pairs significant, %.0f%% of those one-directional, mean |D(A→B) − D(B→A)| = %.3f",
			e.Kind, 100*e.Significant, 100*e.Asymmetric, e.MeanAsymmetry))
		if e.Significant > 0.5 {
			sparse = false
		}
	}
	nb, sig := len(r.Behaviour), 0
	for _, c := range r.Behaviour {
		if significant(c.Effect, r.Config.MinEffect) {
			sig++
		}
	}
	measured := "Representational dependency (AUROC drop beyond a random erasure of equal rank) — " + parts[0]
	if len(parts) > 1 {
		measured += "; " + parts[1]
	}
	measured += "."
	if nb > 0 {
		measured += fmt.Sprintf(" Behaviour: %d/%d source→target pairs lose pass rate beyond the random control (95%% CI).", sig, nb)
	} else {
		measured += " Behaviour was not measured."
	}
	holds := "Not supported on this model: most pairs depend on each other."
	if sparse {
		holds = "Holds on this model: dependencies are sparse (at most half of the pairs)."
	}
	return "Paper: erasing one task's subspace hurts other tasks only for a few, asymmetric pairs. " + measured + " " + holds
}
