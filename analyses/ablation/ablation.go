package ablation

import (
	"context"
	"fmt"
	"math"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/pkg/erase"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/stats"
	"gonum.org/v1/gonum/mat"
)

// Edit and Behaviour are the analyses contract's: the pipeline supplies a
// Behaviour that reruns the model under several Edits at once.
type (
	Edit      = analyses.Edit
	Behaviour = analyses.Behaviour
)

// Eraser kinds measured.
const (
	LEACE = "leace"
	INLP  = "inlp"
)

// Config configures Run. Zero fields take the documented defaults.
type Config struct {
	// Position of the activations; default "prompt_last" when present.
	Position hook.Position `json:"position"`
	// Layer used for every source when no grid is given (or UseLayer is set);
	// otherwise each source is erased at its best layer in the grid.
	Layer    int  `json:"layer"`
	UseLayer bool `json:"use_layer"`
	// CV evaluates the target probes on erased states (default 5 grouped folds).
	CV probe.CVParams `json:"cv"`
	// INLP configures the iterative eraser (default: probe.DefaultParams, at most 20 directions).
	INLP erase.INLPParams `json:"inlp"`
	// Seed draws the random control subspaces; RandomDraws of them (default 3)
	// are averaged, since one draw can happen to spare or hit a target's direction.
	Seed        uint64 `json:"seed"`
	RandomDraws int    `json:"random_draws"`
	// MinEffect is the smallest dependency (AUROC drop) counted as significant,
	// on top of a Holm-corrected test above zero; default 0.05. Refitting probes on erased
	// states of ~100 examples moves AUROC by a few hundredths even for planted
	// independent tasks, which the bootstrap over examples does not see.
	MinEffect float64 `json:"min_effect"`
	// Behaviour, when set, measures behavioural dependencies for the
	// BehaviourSources sources (default: the BehaviourTop, default 3, with the
	// largest mean representational INLP dependency) on every target.
	Behaviour        Behaviour `json:"-"`
	BehaviourSources []string  `json:"behaviour_sources,omitempty"`
	BehaviourTop     int       `json:"behaviour_top"`
	// Bootstrap configures the intervals (default 1000 resamples, 95%).
	Bootstrap stats.BootstrapParams `json:"bootstrap"`
}

// Cell is the effect of erasing source A on target B.
type Cell struct {
	Source, Target string         `json:"-"`
	Original       stats.Float    `json:"original"` // AUROC_B on unerased states
	Erased         stats.Float    `json:"erased"`   // AUROC_B after A's erasure
	Random         stats.Float    `json:"random"`   // AUROC_B after a random erasure of equal rank
	Dependency     stats.Interval `json:"dependency"`
	// Significant: the dependency is above zero after a Benjamini–Hochberg
	// correction over every off-diagonal pair of both erasers, and at least
	// Config.MinEffect.
	Significant bool `json:"significant"`
}

// Eraser is one eraser kind's full result.
type Eraser struct {
	Kind  string   `json:"kind"`
	Ranks []int    `json:"ranks"` // per source
	Cells [][]Cell `json:"cells"` // [source][target]
	// Significant is the share of off-diagonal pairs with a significant
	// dependency (Cell.Significant; a sparse dependency structure has a small,
	// non-zero share), and NSignificant their number.
	Significant  float64 `json:"significant"`
	NSignificant int     `json:"n_significant"`
	// NAsymmetric counts the significant pairs whose dependency exceeds its
	// reverse's (D[A][B] − D[B][A] above zero, Holm-corrected over the
	// significant pairs, normal approximation from the two CIs), Asymmetric
	// their share; MeanAsymmetry is the mean |D[A][B] − D[B][A]| over pairs.
	NAsymmetric   int         `json:"n_asymmetric"`
	Asymmetric    float64     `json:"asymmetric"`
	MeanAsymmetry stats.Float `json:"mean_asymmetry"`
}

// BehaviourCell is the behavioural effect of erasing A on B's pass rate.
type BehaviourCell struct {
	Source   string         `json:"source"`
	Target   string         `json:"target"`
	Layer    int            `json:"layer"`
	Rank     int            `json:"rank"`
	N        int            `json:"n"`
	Baseline float64        `json:"baseline"` // pass rate with no edit
	Erased   float64        `json:"erased"`
	Random   float64        `json:"random"`
	Effect   stats.Interval `json:"effect"` // Random − Erased, paired bootstrap over prompts
	// Significant: Effect above zero after a Holm correction over the
	// behavioural pairs, and at least Config.MinEffect.
	Significant bool `json:"significant"`
}

// Result is the ablation finding on one model.
type Result struct {
	Model     string          `json:"model"`
	Config    Config          `json:"config"`
	Tasks     []probeset.Task `json:"tasks"`
	Layers    []int           `json:"layers"` // erasure layer per source
	Erasers   []Eraser        `json:"erasers"`
	Behaviour []BehaviourCell `json:"behaviour,omitempty"`
	N         int             `json:"n"` // mean items per task
	// Decodability is filled by Analysis.Run: the probes must read the labels
	// for their erasure to mean anything.
	Decodability *analyses.Evidence `json:"decodability,omitempty"`
}

// Name implements analyses.Result.
func (r *Result) Name() string { return "ablation" }

func (c Config) withDefaults(src probeset.Source) Config {
	if c.Position.IsZero() {
		c.Position = probeset.DefaultPosition(src.Positions())
	}
	if c.BehaviourTop == 0 {
		c.BehaviourTop = 3
	}
	if c.RandomDraws == 0 {
		c.RandomDraws = 3
	}
	if c.MinEffect == 0 {
		c.MinEffect = 0.05
	}
	if c.INLP.Probe == (probe.Params{}) {
		c.INLP.Probe = probe.DefaultParams()
	}
	return c
}

// Run computes the finding. grid, when not nil, gives each source's best layer at
// cfg.Position.
func Run(ctx context.Context, src probeset.Source, grid *probeset.Grid, cfg Config) (*Result, error) {
	cfg = cfg.withDefaults(src)
	ts := src.Tasks()
	r := &Result{Model: src.Model(), Config: cfg, Tasks: ts}
	for _, t := range ts {
		l := cfg.Layer
		if grid != nil && !cfg.UseLayer {
			l = grid.BestLayer(t.Name, cfg.Position)
		}
		r.Layers = append(r.Layers, l)
	}
	leace := Eraser{Kind: LEACE}
	inlp := Eraser{Kind: INLP}
	bases := make([]*mat.Dense, len(ts)) // INLP bases, for behaviour
	for a := range ts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		row, err := r.sourceRow(src, a, cfg, &leace, &inlp)
		if err != nil {
			return nil, err
		}
		bases[a] = row
	}
	r.N /= max(len(ts), 1)
	markSignificant([]*Eraser{&leace, &inlp}, cfg.MinEffect, cfg.CV.Folds)
	for _, e := range []*Eraser{&leace, &inlp} {
		e.summarise(cfg.CV.Folds)
		r.Erasers = append(r.Erasers, *e)
	}
	if cfg.Behaviour != nil {
		if err := r.behaviour(ctx, cfg, bases); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// sourceRow erases source a at its layer and scores every target; it returns the
// INLP basis.
func (r *Result) sourceRow(src probeset.Source, a int, cfg Config, leace, inlp *Eraser) (*mat.Dense, error) {
	layer, ts := r.Layers[a], r.Tasks
	dsA, err := src.Dataset(ts[a].Name, layer, cfg.Position)
	if err != nil {
		return nil, err
	}
	r.N += len(dsA.Y) // summed here, divided by the task count in Run
	le, err := erase.LEACEParams{}.Fit(dsA.X, dsA.Y)
	if err != nil {
		return nil, fmt.Errorf("ablation: LEACE on %s at layer %d: %w", ts[a].Name, layer, err)
	}
	in, err := cfg.INLP.Fit(dsA.X, dsA.Y)
	if err != nil {
		return nil, fmt.Errorf("ablation: INLP on %s at layer %d: %w", ts[a].Name, layer, err)
	}
	_, d := dsA.X.Dims()
	targets, err := probeset.Datasets(src, ts, layer, cfg.Position)
	if err != nil {
		return nil, err
	}
	for _, job := range []struct {
		e  erase.Eraser
		to *Eraser
	}{{le, leace}, {in, inlp}} {
		var rnd []erase.Eraser
		for k := 0; k < cfg.RandomDraws; k++ {
			p, err := erase.RandomParams{Rank: max(job.e.Rank(), 1), Seed: cfg.Seed + uint64(1000*k+a)}.ForDim(d)
			if err != nil {
				return nil, err
			}
			rnd = append(rnd, p)
		}
		cells, err := r.targetCells(targets, job.e, rnd, cfg, a)
		if err != nil {
			return nil, fmt.Errorf("ablation: %s of %s: %w", job.to.Kind, ts[a].Name, err)
		}
		job.to.Ranks = append(job.to.Ranks, job.e.Rank())
		job.to.Cells = append(job.to.Cells, cells)
	}
	return in.Basis(), nil
}

// targetCells evaluates every target's probe on original, erased and randomly erased
// states (one per random draw), and bootstraps the paired difference.
func (r *Result) targetCells(targets []probe.Dataset, er erase.Eraser, rnd []erase.Eraser, cfg Config, a int) ([]Cell, error) {
	var dss []probe.Dataset
	per := 2 + len(rnd)
	for _, ds := range targets {
		dss = append(dss, ds)
		for _, e := range append([]erase.Eraser{er}, rnd...) {
			x, err := e.Apply(ds.X)
			if err != nil {
				return nil, err
			}
			dss = append(dss, probe.Dataset{Name: ds.Name + "/erased", X: x, Y: ds.Y, Groups: ds.Groups})
		}
	}
	cv := cfg.CV
	cv.SkipCI, cv.Control = true, false
	evs, err := cv.EvaluateMany(dss)
	if err != nil {
		return nil, err
	}
	cells := make([]Cell, len(targets))
	for b, ds := range targets {
		orig, erased, random := evs[per*b], evs[per*b+1], evs[per*b+2:per*(b+1)]
		mem := stats.Members(ds.Groups)
		meanAUROC := func(evs []*probe.Evaluation) stats.Statistic {
			return stats.GroupedStatistic(mem, func(rows []int) float64 {
				v := make([]float64, len(evs))
				for i, ev := range evs {
					v[i] = stats.AUROCOn(ev.OOF, ds.Y, rows)
				}
				return stats.Mean(v)
			})
		}
		rn, dep, err := stats.PairedBootstrap(len(mem), meanAUROC(random), meanAUROC([]*probe.Evaluation{erased}), cfg.Bootstrap)
		if err != nil {
			nan := math.NaN()
			dep = stats.Interval{Estimate: nan, Lo: nan, Hi: nan}
		}
		cells[b] = Cell{Source: r.Tasks[a].Name, Target: r.Tasks[b].Name, Original: stats.Float(orig.Pooled.AUROC.Estimate),
			Erased: stats.Float(erased.Pooled.AUROC.Estimate), Random: stats.Float(rn.Estimate), Dependency: dep}
	}
	return cells, nil
}

// familyAlpha is the false discovery rate of the dependency tests (and, under
// the global null of no dependency at all, the chance of any false one).
const familyAlpha = 0.05

// markSignificant tests every off-diagonal dependency of the erasers as one
// family: with k tasks there are 2·k(k−1) tests, and at 95% per test a few would
// pass on labels with no information at all. The Benjamini–Hochberg procedure
// keeps the expected share of false discoveries at 5%, and the chance of any
// discovery when there is no dependency at all at 5%.
func markSignificant(es []*Eraser, minEffect float64, folds int) {
	var p []float64
	var cells []*Cell
	for _, e := range es {
		for a := range e.Cells {
			for b := range e.Cells[a] {
				if a != b {
					p = append(p, analyses.CVCorrect(e.Cells[a][b].Dependency, folds).PAbove())
					cells = append(cells, &e.Cells[a][b])
				}
			}
		}
	}
	for i, rej := range stats.BenjaminiHochberg(p, familyAlpha) {
		cells[i].Significant = rej && cells[i].Dependency.Estimate >= minEffect
	}
}

// summarise computes density and asymmetry of the dependency matrix.
func (e *Eraser) summarise(folds int) {
	n := len(e.Cells)
	var pairs int
	var asym, pAsym []float64
	for a := 0; a < n; a++ {
		for b := 0; b < n; b++ {
			if a == b {
				continue
			}
			pairs++
			if e.Cells[a][b].Significant {
				e.NSignificant++
				pAsym = append(pAsym, asymmetryP(analyses.CVCorrect(e.Cells[a][b].Dependency, folds), analyses.CVCorrect(e.Cells[b][a].Dependency, folds)))
			}
			if a < b {
				asym = append(asym, math.Abs(e.Cells[a][b].Dependency.Estimate-e.Cells[b][a].Dependency.Estimate))
			}
		}
	}
	if pairs > 0 {
		e.Significant = float64(e.NSignificant) / float64(pairs)
	}
	for _, rej := range stats.Holm(pAsym, familyAlpha) {
		if rej {
			e.NAsymmetric++
		}
	}
	if e.NSignificant > 0 {
		e.Asymmetric = float64(e.NAsymmetric) / float64(e.NSignificant)
	}
	e.MeanAsymmetry = stats.Float(stats.Mean(asym))
}

// asymmetryP is the one-sided p-value of D[A][B] − D[B][A] > 0, from the two
// CIs (the two dependencies are measured on different targets' rows, so their
// errors are taken as independent).
func asymmetryP(ab, ba stats.Interval) float64 {
	d := stats.Interval{Estimate: ab.Estimate - ba.Estimate, Level: 0.95}
	se := math.Hypot(ab.SE(), ba.SE())
	z := stats.NormalQuantile(0.975)
	d.Lo, d.Hi = d.Estimate-z*se, d.Estimate+z*se
	return d.PAbove()
}
