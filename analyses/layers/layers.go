package layers

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/plot"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/stats"
)

// Config configures Run. Zero fields take the documented defaults.
type Config struct {
	// Position whose probes are read; default prompt_last if the grid has it,
	// else its first position.
	Position hook.Position `json:"position"`
	// Fraction defines onset: the first depth at which a task's AUROC reaches
	// chance + Fraction × (its peak − chance); default 0.5, "half of its own
	// rise". A threshold on AUROC itself (0.7, say) confuses how decodable a task
	// is with how early: a task that peaks at 0.68 would never "start".
	Fraction float64 `json:"fraction"`
	// Sensitivity lists further fractions at which the kind contrast is
	// recomputed; default 0.25 and 0.75.
	Sensitivity []float64 `json:"sensitivity"`
	// Bootstrap configures the intervals (default 1000 resamples, 95%, seed 0).
	Bootstrap stats.BootstrapParams `json:"bootstrap"`
	// Source, when set, adds the cross-layer alignment of probe subspaces, which
	// needs the activations and not only the grid.
	Source probeset.Source `json:"-"`
}

// TaskLayers is one task's AUROC by layer and its onset and peak.
type TaskLayers struct {
	Task  string           `json:"task"`
	Kind  string           `json:"kind"`
	N     int              `json:"n"`
	Depth []float64        `json:"depth"` // normalised depth of each grid layer
	AUROC []stats.Interval `json:"auroc"`
	// Decodable is the selection-corrected AUROC (layer chosen on other folds)
	// with its CI; a task whose CI does not lie above 0.5 never rises, has no
	// onset, and is left out of the kind contrasts.
	Decodable stats.Interval `json:"decodable"`
	// Onset is the first layer reaching Config.Fraction of the rise (-1: none),
	// OnsetDepth its normalised depth with a bootstrap interval (resamples with no
	// rise are dropped).
	Onset      int            `json:"onset"`
	OnsetDepth stats.Interval `json:"onset_depth"`
	Peak       int            `json:"peak"`
	PeakDepth  stats.Interval `json:"peak_depth"`
}

// Contrast is the difference in mean onset depth between two task kinds.
type Contrast struct {
	Later    string         `json:"later"`   // the kind the claim says starts later
	Earlier  string         `json:"earlier"` //
	Fraction float64        `json:"fraction"`
	Diff     stats.Interval `json:"diff"` // mean onset(Later) − mean onset(Earlier)
}

// Result is the layer-stratification finding on one model.
type Result struct {
	Model     string       `json:"model"`
	Config    Config       `json:"config"`
	NumLayers int          `json:"num_layers"`
	Layers    []int        `json:"layers"`
	Tasks     []TaskLayers `json:"tasks"`
	// KindOnset is the mean normalised onset depth per kind, with a CI.
	KindOnset map[string]stats.Interval `json:"kind_onset"`
	// SemanticMinusStructural is the primary contrast at Config.Fraction (> 0:
	// semantic later, as the paper claims); Contrasts holds every pair of kinds at
	// every fraction (lexical included).
	SemanticMinusStructural stats.Interval `json:"semantic_minus_structural"`
	Contrasts               []Contrast     `json:"contrasts"`
	Folds                   int            `json:"folds"` // of the grid's cross-validation
	// Alignment is the cross-layer alignment of probe subspaces (nil when Run
	// had no Source).
	Alignment *Alignment `json:"alignment,omitempty"`
	// Decodability and TextMargin are filled by Analysis.Run: the probes must read
	// the labels; and the primary contrast with the text baseline's AUROC as the
	// floor of each task's rise instead of chance.
	Decodability *analyses.Evidence `json:"decodability,omitempty"`
	TextMargin   *analyses.Evidence `json:"text_margin,omitempty"`
	curves       map[string]*curve
}

// Name implements analyses.Result.
func (r *Result) Name() string { return "layers" }

func (c Config) withDefaults(g *probeset.Grid) Config {
	if c.Position.IsZero() {
		c.Position = probeset.DefaultPosition(g.Positions)
	}
	if c.Fraction == 0 {
		c.Fraction = 0.5
	}
	if c.Sensitivity == nil {
		c.Sensitivity = []float64{0.25, 0.75}
	}
	return c
}

// kinds in the order of the claim: structural earliest, semantic latest.
var kinds = []string{"structural", "lexical", "semantic"}

// Run computes the finding from a grid of probe evaluations. With cfg.Source it also
// computes the cross-layer alignment of probe subspaces (Align).
func Run(ctx context.Context, g *probeset.Grid, cfg Config) (*Result, error) {
	cfg = cfg.withDefaults(g)
	if !slices.Contains(g.Positions, cfg.Position) {
		return nil, fmt.Errorf("layers: position %q not in grid (positions %v)", cfg.Position, g.Positions)
	}
	r := &Result{Model: g.Model, Config: cfg, NumLayers: g.NumLayers, Layers: g.Layers, Folds: g.CV.Folds,
		KindOnset: map[string]stats.Interval{}, curves: map[string]*curve{}}
	for _, t := range g.Tasks {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c, err := newCurve(g, t, cfg.Position)
		if err != nil {
			return nil, err
		}
		tl, err := c.summarise(g, cfg)
		if err != nil {
			return nil, err
		}
		r.Tasks = append(r.Tasks, tl)
		if tl.Decodable.Lo > 0.5 {
			r.curves[t.Name] = c
		}
	}
	for _, k := range kinds {
		r.KindOnset[k] = r.meanOnset(k, cfg.Fraction, nil)
	}
	for _, f := range append([]float64{cfg.Fraction}, cfg.Sensitivity...) {
		for i, earlier := range kinds {
			for _, later := range kinds[i+1:] {
				r.Contrasts = append(r.Contrasts, Contrast{Later: later, Earlier: earlier, Fraction: f,
					Diff: r.contrast(later, earlier, f, nil)})
			}
		}
	}
	r.SemanticMinusStructural = r.contrast("semantic", "structural", cfg.Fraction, nil)
	if cfg.Source != nil {
		a, err := Align(ctx, cfg.Source, cfg.Position, probe.DefaultParams())
		if err != nil {
			return nil, err
		}
		r.Alignment = a
	}
	return r, nil
}

// curve is one task's cells across layers at the read position.
type curve struct {
	cells []*probeset.Cell
	depth []float64
}

func newCurve(g *probeset.Grid, t probeset.Task, pos hook.Position) (*curve, error) {
	c := &curve{}
	for _, l := range g.Layers {
		cell, ok := g.Cell(t.Name, l, pos)
		if !ok {
			return nil, fmt.Errorf("layers: grid lacks %s at layer %d, %s", t.Name, l, pos)
		}
		c.cells = append(c.cells, cell)
		c.depth = append(c.depth, probeset.Depth(l, g.NumLayers))
	}
	return c, nil
}

// onset is the first depth where the AUROC on rows reaches floor + f·(peak −
// floor), NaN when the curve never rises above the floor. floor is chance (0.5),
// or a baseline's AUROC on the same rows.
func (c *curve) onset(rows []int, f float64, floor func(rows []int) float64) float64 {
	auc := make([]float64, len(c.cells))
	peak := math.Inf(-1)
	for i, cell := range c.cells {
		auc[i] = stats.AUROCOn(cell.OOF, cell.Y, rows)
		peak = max(peak, auc[i])
	}
	lo := 0.5
	if floor != nil {
		lo = max(lo, floor(rows))
	}
	if !(peak > lo) {
		return math.NaN()
	}
	for i, a := range auc {
		if a >= lo+f*(peak-lo) {
			return c.depth[i]
		}
	}
	return math.NaN()
}

func (c *curve) peakDepth(rows []int) float64 {
	best, depth := math.Inf(-1), math.NaN()
	for i, cell := range c.cells {
		if a := stats.AUROCOn(cell.OOF, cell.Y, rows); a > best {
			best, depth = a, c.depth[i]
		}
	}
	return depth
}

// summarise bootstraps one task's decodability, onset and peak.
func (c *curve) summarise(g *probeset.Grid, cfg Config) (TaskLayers, error) {
	first := c.cells[0]
	tl := TaskLayers{Task: first.Task, Kind: g.Kind(first.Task), N: len(first.Y), Depth: c.depth, Onset: -1,
		Peak: g.BestLayer(first.Task, cfg.Position)}
	for _, cell := range c.cells {
		tl.AUROC = append(tl.AUROC, cell.AUROC)
	}
	mem := stats.Members(first.Groups)
	boot := func(f func(rows []int) float64) stats.Interval {
		iv, err := stats.Bootstrap(len(mem), stats.GroupedStatistic(mem, f), cfg.Bootstrap)
		if err != nil {
			all := make([]int, len(first.Y))
			for i := range all {
				all[i] = i
			}
			return stats.Interval{Estimate: f(all), Lo: math.NaN(), Hi: math.NaN()}
		}
		return iv
	}
	if sel, err := g.Select(first.Task, cfg.Position); err == nil {
		tl.Decodable = boot(func(rows []int) float64 { return stats.AUROCOn(sel.Scores, sel.Y, rows) })
	} else {
		tl.Decodable = stats.Interval{Estimate: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	}
	tl.OnsetDepth = boot(func(rows []int) float64 { return c.onset(rows, cfg.Fraction, nil) })
	tl.PeakDepth = boot(c.peakDepth)
	for i, d := range c.depth {
		if d == tl.OnsetDepth.Estimate {
			tl.Onset = g.Layers[i]
		}
	}
	return tl, nil
}

// meanOnset bootstraps the mean onset of a kind's decodable tasks.
func (r *Result) meanOnset(kind string, f float64, floor map[string]func([]int) float64) stats.Interval {
	return r.contrastOf([]string{kind}, nil, f, floor)
}

// contrast bootstraps mean onset of later's tasks minus earlier's.
func (r *Result) contrast(later, earlier string, f float64, floor map[string]func([]int) float64) stats.Interval {
	return r.contrastOf([]string{later}, []string{earlier}, f, floor)
}

// contrastOf is the bootstrap of mean onset over the plus kinds' tasks minus
// that over the minus kinds' (nothing subtracted when minus is empty),
// resampling every task's base requests independently.
func (r *Result) contrastOf(plus, minus []string, f float64, floor map[string]func([]int) float64) stats.Interval {
	nan := math.NaN()
	var names []string
	var sign []float64
	for _, side := range []struct {
		kinds []string
		s     float64
	}{{plus, 1}, {minus, -1}} {
		found := false
		for _, tl := range r.Tasks {
			if slices.Contains(side.kinds, tl.Kind) && r.curves[tl.Task] != nil {
				names, sign, found = append(names, tl.Task), append(sign, side.s), true
			}
		}
		if !found && len(side.kinds) > 0 {
			return stats.Interval{Estimate: nan, Lo: nan, Hi: nan}
		}
	}
	mem := make([][][]int, len(names))
	for i, n := range names {
		mem[i] = stats.Members(r.curves[n].cells[0].Groups)
	}
	stat := func(rows [][]int) float64 {
		var pos, neg []float64
		for i, n := range names {
			v := r.curves[n].onset(rows[i], f, floor[n])
			if sign[i] > 0 {
				pos = append(pos, v)
			} else {
				neg = append(neg, v)
			}
		}
		if len(minus) == 0 {
			return stats.Mean(pos)
		}
		return stats.Mean(pos) - stats.Mean(neg)
	}
	iv, err := stats.MultiBootstrap(mem, stat, r.Config.Bootstrap)
	if err != nil {
		return stats.Interval{Estimate: nan, Lo: nan, Hi: nan}
	}
	return iv
}

// Figures implements analyses.Result: AUROC by normalised depth per task with its
// confidence band and onset marker, one panel per task kind (nine bands in one
// plot overlap into an unreadable mass; three or four per panel stay legible).
func (r *Result) Figures() ([]*plot.Figure, error) {
	var series []plot.Series
	var kinds []string
	shade := map[string]int{}
	level := 0.0
	for _, tl := range r.Tasks {
		s := plot.Series{Label: fmt.Sprintf("%s (%s)", tl.Task, tl.Kind), X: tl.Depth, Color: plot.KindShade(tl.Kind, shade[tl.Kind])}
		shade[tl.Kind]++
		for _, a := range tl.AUROC {
			s.Y, s.Lo, s.Hi = append(s.Y, a.Estimate), append(s.Lo, a.Lo), append(s.Hi, a.Hi)
			level = max(level, a.Level)
		}
		if tl.Onset >= 0 {
			s.Markers = []float64{probeset.Depth(tl.Onset, r.NumLayers)}
		}
		series = append(series, s)
		kinds = append(kinds, tl.Kind)
	}
	base := plot.LinesSpec{Name: "layers_auroc_by_depth", XLabel: "normalised depth (layer+1)/L", YLabel: "AUROC (out-of-fold)",
		HLines: []float64{0.5}, YMin: 0.3, YMax: 1.02}
	panels, err := plot.PanelsByKind(base, series, kinds)
	if err != nil {
		return nil, err
	}
	fig, err := plot.Panels(plot.PanelsSpec{Name: base.Name, Panels: panels,
		Title: fmt.Sprintf("%s: probe AUROC by depth at %s; shaded: %s; dots: onset (%.0f%% of the task's rise from chance to its peak)",
			r.Model, r.Config.Position, ciCaption(level), 100*r.Config.Fraction)})
	if err != nil {
		return nil, err
	}
	figs := []*plot.Figure{fig}
	if r.Alignment != nil {
		af, err := r.alignmentFigures()
		if err != nil {
			return nil, err
		}
		figs = append(figs, af...)
	}
	return figs, nil
}

// ciCaption names the bands of a figure: the bootstrap level when the result
// holds intervals, else that none were computed.
func ciCaption(level float64) string {
	if level <= 0 {
		return "no CI computed"
	}
	return fmt.Sprintf("%.0f%% cluster-bootstrap CI", 100*level)
}

// Table implements analyses.Result: one row per task, then the kind contrasts.
func (r *Result) Table() [][]string {
	rows := [][]string{{"task", "kind", "decodable_auroc", "decodable_lo", "decodable_hi", "onset_layer", "onset_depth", "onset_lo", "onset_hi", "peak_layer", "peak_depth", "peak_auroc", "peak_lo", "peak_hi"}}
	for _, tl := range r.Tasks {
		peak := stats.Interval{Estimate: math.NaN()}
		if i := slices.Index(r.Layers, tl.Peak); i >= 0 {
			peak = tl.AUROC[i]
		}
		rows = append(rows, []string{tl.Task, tl.Kind, analyses.F(tl.Decodable.Estimate), analyses.F(tl.Decodable.Lo), analyses.F(tl.Decodable.Hi),
			fmt.Sprint(tl.Onset), analyses.F(tl.OnsetDepth.Estimate), analyses.F(tl.OnsetDepth.Lo), analyses.F(tl.OnsetDepth.Hi),
			fmt.Sprint(tl.Peak), analyses.F(tl.PeakDepth.Estimate), analyses.F(peak.Estimate), analyses.F(peak.Lo), analyses.F(peak.Hi)})
	}
	for _, c := range r.Contrasts {
		rows = append(rows, []string{fmt.Sprintf("%s − %s onset (fraction %.2f)", c.Later, c.Earlier, c.Fraction), "contrast", "", "", "",
			"", analyses.F(c.Diff.Estimate), analyses.F(c.Diff.Lo), analyses.F(c.Diff.Hi), "", "", "", "", ""})
	}
	return rows
}

// Claim is the paper's claim, as reports quote it.
const Claim = "structural constraints become decodable in earlier layers than semantic ones."

// smallestShift is the smallest difference in mean onset depth (as a fraction of
// the model's depth) the claim could mean.
const smallestShift = 0.1

// Verdict implements analyses.Result. The claim holds when semantic onsets are
// later than structural ones with a CI above zero; partly when that is true at
// the primary onset definition but another fraction of the sensitivity
// analysis reverses it or rules the shift out.
func (r *Result) Verdict() analyses.Verdict {
	var parts []string
	for _, k := range kinds {
		if iv, ok := r.KindOnset[k]; ok && !math.IsNaN(iv.Estimate) {
			parts = append(parts, fmt.Sprintf("%s %.2f", k, iv.Estimate))
		}
	}
	n := 0
	dropped := []string{}
	for _, tl := range r.Tasks {
		n += tl.N
		if !(tl.Decodable.Lo > 0.5) {
			dropped = append(dropped, tl.Task)
		}
	}
	if len(r.Tasks) > 0 {
		n /= len(r.Tasks)
	}
	v := analyses.Verdict{Finding: r.Name(), Claim: Claim, Decodability: r.Decodability, Margin: r.TextMargin,
		Primary: analyses.NewEvidence(fmt.Sprintf("mean onset depth semantic − structural (onset at %.0f%% of each task's rise)", 100*r.Config.Fraction),
			analyses.CVCorrect(r.SemanticMinusStructural, r.Folds), n, analyses.UnitItems, smallestShift)}
	for _, c := range r.Contrasts {
		if c.Fraction != r.Config.Fraction && c.Later == "semantic" && c.Earlier == "structural" {
			v.Supporting = append(v.Supporting, analyses.NewEvidence(fmt.Sprintf("semantic − structural onset at %.0f%% of the rise", 100*c.Fraction), analyses.CVCorrect(c.Diff, r.Folds), n, analyses.UnitItems, smallestShift))
		}
	}
	v.Status = v.Primary.Judge()
	if len(parts) > 0 {
		v.Because("mean onset depth by kind: %s", strings.Join(parts, ", "))
	}
	if len(dropped) > 0 {
		v.Because("not decodable at any layer, so without an onset and left out: %s", strings.Join(dropped, ", "))
	}
	switch v.Status {
	case analyses.Holds:
		for _, e := range v.Supporting {
			if st := e.Judge(); st == analyses.Contradicted || st == analyses.NotSupported {
				v.Cap(analyses.Partly, "the ordering changes with the onset definition (%s)", e)
			}
		}
	case analyses.Contradicted:
		v.Because("semantic onsets are earlier than structural ones")
	case analyses.NotSupported:
		v.Because("the CI lies below the smallest shift the claim could mean (%.2f of the depth)", smallestShift)
	default:
		if math.IsNaN(r.SemanticMinusStructural.Estimate) {
			v.Because("a semantic or a structural task with a rise is missing, so the contrast is undefined")
		} else {
			v.Because("the CI includes both zero and shifts the claim could mean")
		}
	}
	v.Finish()
	return v
}
