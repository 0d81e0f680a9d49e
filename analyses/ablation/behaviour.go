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
	// Every run in one call: the unedited baseline, then each source's INLP
	// erasure and a random erasure of the same rank.
	edits := []*Edit{nil}
	type pair struct {
		source string
		layer  int
		random *mat.Dense
	}
	var pairs []pair
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
		pairs = append(pairs, pair{name, r.Layers[a], rnd.Basis()})
		edits = append(edits, &Edit{Layer: r.Layers[a], Basis: basis}, &Edit{Layer: r.Layers[a], Basis: rnd.Basis()})
	}
	runs, err := runBehaviour(ctx, cfg.Behaviour, targets, edits)
	if err != nil {
		return fmt.Errorf("ablation: behaviour: %w", err)
	}
	baseline := runs[0]
	for i, pr := range pairs {
		erased, random := runs[1+2*i], runs[2+2*i]
		for _, t := range targets {
			cell, err := r.behaviourCell(cfg, pr.source, t, pr.layer, pr.random, baseline[t], erased[t], random[t])
			if err != nil {
				return err
			}
			r.Behaviour = append(r.Behaviour, cell)
		}
	}
	p := make([]float64, len(r.Behaviour))
	for i, c := range r.Behaviour {
		p[i] = c.Effect.PAbove()
	}
	for i, rej := range stats.Holm(p, familyAlpha) {
		r.Behaviour[i].Significant = rej && r.Behaviour[i].Effect.Estimate >= cfg.MinEffect
	}
	return nil
}

// runBehaviour calls b.Run and checks that it answered every edit for every
// target.
func runBehaviour(ctx context.Context, b Behaviour, targets []string, edits []*Edit) ([]map[string][]bool, error) {
	out, err := b.Run(ctx, targets, edits)
	if err != nil {
		return nil, err
	}
	if len(out) != len(edits) {
		return nil, fmt.Errorf("%d runs answered for %d edits", len(out), len(edits))
	}
	for i := range edits {
		for _, t := range targets {
			if len(out[i][t]) == 0 {
				return nil, fmt.Errorf("run %d: no responses for task %q", i, t)
			}
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

// Claim is the paper's claim, as reports quote it.
const Claim = "erasing one task's subspace hurts other tasks only for a few, asymmetric pairs (sparse and asymmetric dependencies)."

// maxDense is the largest share of significant pairs still called sparse.
const maxDense = 0.5

// Verdict implements analyses.Result. The claim has three parts, each needing
// positive evidence: dependencies exist (the strongest pair is above zero with a
// Bonferroni-corrected CI), they are sparse (at most half the pairs are
// significant after Holm's correction), and asymmetric (some significant pair
// reliably exceeds its reverse, Holm-corrected). No dependency at all is not evidence
// for sparse dependencies: it is inconclusive, or not supported when even the
// strongest pair is reliably below Config.MinEffect.
func (r *Result) Verdict() analyses.Verdict {
	v := analyses.Verdict{Finding: r.Name(), Claim: Claim, Decodability: r.Decodability,
		Primary: r.strongest()}
	v.Status = v.Primary.Judge()
	nSig, nAsym, pairs := 0, 0, 0
	for _, e := range r.Erasers {
		nSig += e.NSignificant
		nAsym += e.NAsymmetric
		pairs += len(e.Cells) * max(len(e.Cells)-1, 0)
	}
	density := stats.Interval{Estimate: share(nSig, pairs), Lo: math.NaN(), Hi: math.NaN()}
	v.Supporting = append(v.Supporting, analyses.Evidence{Statistic: "share of off-diagonal pairs significant (Benjamini–Hochberg)", Estimate: density, N: pairs, Unit: "pairs"})
	switch {
	case v.Status == analyses.Holds && nSig == 0:
		v.Status = analyses.Inconclusive
		v.Because("the strongest pair is above zero but below the minimum effect of %.2f AUROC", r.Config.MinEffect)
	case v.Status == analyses.Holds:
		v.Because("%d of %d off-diagonal pairs have a dependency beyond a random erasure (Benjamini–Hochberg at 5%%, at least %.2f AUROC), %d of them reliably larger than their reverse", nSig, pairs, r.Config.MinEffect, nAsym)
		if share(nSig, pairs) > maxDense {
			v.Cap(analyses.Partly, "but they are not sparse: more than half of the pairs depend on each other")
		}
		if nAsym == 0 {
			v.Cap(analyses.Partly, "but none is reliably larger than its reverse (no evidence of asymmetry)")
		}
	case v.Status == analyses.Contradicted:
		v.Status = analyses.Inconclusive // erasing a source's subspace helping a target is not the claim's opposite
		v.Because("no erasure hurts a target more than a random erasure; the strongest effect is negative")
	case v.Status == analyses.NotSupported:
		v.Because("even the strongest pair's dependency lies reliably below %.2f AUROC: no dependency was found, and none of the claimed size would have been missed", r.Config.MinEffect)
	default:
		v.Because("no pair has a dependency beyond a random erasure after correcting for %d tests; no dependency at all is not evidence of sparse and asymmetric dependencies", 2*pairs/max(len(r.Erasers), 1))
	}
	if len(r.Behaviour) > 0 {
		nb := 0
		for _, c := range r.Behaviour {
			if c.Significant {
				nb++
			}
		}
		v.Because("behaviour: %d/%d source→target pairs lose pass rate beyond the random control (Holm-corrected)", nb, len(r.Behaviour))
	}
	v.Finish()
	return v
}

// strongest is the evidence of the largest dependency over both erasers' pairs,
// its CI widened to the false-coverage-rate level of Benjamini and Yekutieli
// (2005), 1 − R·α/m for R discoveries among m tests (1 − α/m when there are
// none), so that it excludes zero exactly when the pair is a discovery.
func (r *Result) strongest() analyses.Evidence {
	nan := math.NaN()
	best := stats.Interval{Estimate: nan, Lo: nan, Hi: nan}
	bestZ, m, label := math.Inf(-1), 0, "strongest dependency"
	for _, e := range r.Erasers {
		for a, row := range e.Cells {
			for b, c := range row {
				if a == b {
					continue
				}
				m++
				d := analyses.CVCorrect(c.Dependency, r.Config.CV.Folds)
				if z := d.Estimate / d.SE(); z > bestZ {
					bestZ, best = z, d
					label = fmt.Sprintf("strongest dependency (%s of %s → %s), FCR-adjusted CI", e.Kind, r.Tasks[a].Name, r.Tasks[b].Name)
				}
			}
		}
	}
	discoveries := 0
	for _, e := range r.Erasers {
		discoveries += e.NSignificant
	}
	if m > 0 && !math.IsNaN(best.SE()) {
		best = best.Widen(1 - float64(max(discoveries, 1))*familyAlpha/float64(m))
	}
	return analyses.NewEvidence(label, best, r.N, analyses.UnitItems, r.Config.MinEffect)
}

func share(k, n int) float64 {
	if n == 0 {
		return math.NaN()
	}
	return float64(k) / float64(n)
}
