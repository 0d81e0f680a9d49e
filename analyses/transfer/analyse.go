package transfer

import (
	"fmt"
	"math"
	"sort"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/pkg/plot"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/stats"
	"gonum.org/v1/gonum/mat"
)

// analyse clusters the tasks and computes the within/across-kind contrast on Fixed.
func (r *Result) analyse(dss []probe.Dataset) error {
	n := len(r.Tasks)
	est := estimates(r.Fixed.AUROC)
	if n >= 2 {
		dg, err := stats.AverageLinkage(distance(est))
		if err != nil {
			return fmt.Errorf("transfer: clustering: %w", err)
		}
		r.Dendrogram, r.Order = dg, dg.Leaves()
	}
	kinds := make([]string, n)
	for i, t := range r.Tasks {
		kinds[i] = t.Kind
	}
	w, a := kindMeans(est, kinds)
	r.Within, r.Across = stats.Float(w), stats.Float(a)
	diag := make([]float64, n)
	for i := range diag {
		diag[i] = est[i][i]
	}
	r.Diagonal = stats.Float(stats.Mean(diag))
	r.PermutationP = stats.Float(permutationP(est, kinds))
	// Bootstrap: resample every test task's base requests, recompute every entry.
	members := make([][][]int, n)
	for b := range dss {
		members[b] = stats.Members(dss[b].Groups)
	}
	resampled := func(rows [][]int) [][]float64 {
		m := make([][]float64, n)
		for a := range m {
			m[a] = make([]float64, n)
			for b := range m[a] {
				oof := r.Fixed.oof[a][b]
				sub := make([]int, 0, len(rows[b]))
				for _, row := range rows[b] {
					if !math.IsNaN(oof[row]) { // rows of folds where A had one class
						sub = append(sub, row)
					}
				}
				m[a][b] = stats.AUROCOn(oof, dss[b].Y, sub)
			}
		}
		return m
	}
	// With too few tasks of a kind (or one task) a contrast is undefined: NaN, not
	// an error, so the matrix itself is still reported.
	r.Contrast = orNaN(stats.MultiBootstrap(members, func(rows [][]int) float64 {
		w, a := kindMeans(resampled(rows), kinds)
		return w - a
	}, r.Config.Bootstrap))
	r.OffDiagonal = orNaN(stats.MultiBootstrap(members, func(rows [][]int) float64 {
		return offDiagonalMean(resampled(rows))
	}, r.Config.Bootstrap))
	r.Gap = orNaN(stats.MultiBootstrap(members, func(rows [][]int) float64 {
		m := resampled(rows)
		return diagonalMean(m) - offDiagonalMean(m)
	}, r.Config.Bootstrap))
	for a, ds := range dss {
		r.diag = append(r.diag, &probeset.Selected{Task: r.Tasks[a].Name, Position: r.Config.Position,
			Scores: r.Fixed.oof[a][a], Y: ds.Y, Groups: ds.Groups})
	}
	return nil
}

func diagonalMean(m [][]float64) float64 {
	d := make([]float64, len(m))
	for i := range m {
		d[i] = m[i][i]
	}
	return stats.Mean(d)
}

func orNaN(iv stats.Interval, err error) stats.Interval {
	if err != nil {
		nan := math.NaN()
		return stats.Interval{Estimate: nan, Lo: nan, Hi: nan}
	}
	return iv
}

func estimates(m [][]stats.Interval) [][]float64 {
	out := make([][]float64, len(m))
	for i, row := range m {
		out[i] = make([]float64, len(row))
		for j, v := range row {
			out[i][j] = v.Estimate
		}
	}
	return out
}

// distance turns transfer AUROCs into a task distance: tasks that transfer both ways
// are close; anti-transfer (AUROC < 0.5) counts as no shared signal.
func distance(est [][]float64) *mat.SymDense {
	n := len(est)
	d := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			s := 2 * math.Max(0, (est[i][j]+est[j][i])/2-0.5)
			if math.IsNaN(s) {
				s = 0
			}
			d.SetSym(i, j, 1-math.Min(s, 1))
		}
	}
	return d
}

// kindMeans returns the mean off-diagonal value over same-kind and over
// different-kind ordered pairs.
func kindMeans(m [][]float64, kinds []string) (within, across float64) {
	var w, a []float64
	for i := range m {
		for j := range m[i] {
			if i == j {
				continue
			}
			if kinds[i] == kinds[j] {
				w = append(w, m[i][j])
			} else {
				a = append(a, m[i][j])
			}
		}
	}
	return stats.Mean(w), stats.Mean(a)
}

func offDiagonalMean(m [][]float64) float64 {
	var v []float64
	for i := range m {
		for j := range m[i] {
			if i != j {
				v = append(v, m[i][j])
			}
		}
	}
	return stats.Mean(v)
}

// permutationP is the exact one-sided p-value of the within − across contrast: the
// fraction of distinct kind labellings (same kind sizes) whose contrast is at least
// the observed one. Nine tasks in kinds of 4, 3 and 2 have 1260 labellings.
func permutationP(m [][]float64, kinds []string) float64 {
	w, a := kindMeans(m, kinds)
	observed := w - a
	if math.IsNaN(observed) {
		return math.NaN()
	}
	perm := append([]string(nil), kinds...)
	sort.Strings(perm)
	total, atLeast := 0, 0
	for {
		w, a := kindMeans(m, perm)
		total++
		if w-a >= observed-1e-12 {
			atLeast++
		}
		if !nextPermutation(perm) {
			break
		}
	}
	return float64(atLeast) / float64(total)
}

// nextPermutation advances s to its next lexicographic permutation (distinct
// multiset permutations only), reporting false after the last.
func nextPermutation(s []string) bool {
	i := len(s) - 2
	for i >= 0 && s[i] >= s[i+1] {
		i--
	}
	if i < 0 {
		return false
	}
	j := len(s) - 1
	for s[j] <= s[i] {
		j--
	}
	s[i], s[j] = s[j], s[i]
	for l, h := i+1, len(s)-1; l < h; l, h = l+1, h-1 {
		s[l], s[h] = s[h], s[l]
	}
	return true
}

// bounds splits a matrix of intervals into its lower and upper bounds for a
// figure, and names them ("95% cluster-bootstrap CI").
func bounds(m [][]stats.Interval) (lo, hi [][]float64, name string) {
	level := 0.0
	lo, hi = make([][]float64, len(m)), make([][]float64, len(m))
	for i, row := range m {
		for _, v := range row {
			lo[i], hi[i] = append(lo[i], v.Lo), append(hi[i], v.Hi)
			level = max(level, v.Level)
		}
	}
	if level <= 0 {
		return nil, nil, "no CI computed"
	}
	return lo, hi, fmt.Sprintf("%.0f%% cluster-bootstrap CI", 100*level)
}

// Figures implements analyses.Result: the clustered transfer heatmap with its
// dendrogram, and the best-layer matrix; each cell shows its interval when the
// cells are large enough to hold it (the table has them all).
func (r *Result) Figures() ([]*plot.Figure, error) {
	names := make([]string, len(r.Tasks))
	for i, t := range r.Tasks {
		names[i] = t.Name
	}
	var tree *plot.Tree
	if r.Dendrogram != nil {
		tree = &plot.Tree{}
		for _, m := range r.Dendrogram.Merges {
			tree.Merges = append(tree.Merges, [2]int{m.A, m.B})
			tree.Heights = append(tree.Heights, m.Height)
		}
	}
	lo, hi, ci := bounds(r.Fixed.AUROC)
	fixed, err := plot.Heatmap(plot.HeatmapSpec{Name: "transfer_heatmap",
		Title:  fmt.Sprintf("%s: transfer AUROC, train (rows) → test (columns), layer %d, %s; brackets: %s", r.Model, r.Config.Layer, r.Config.Position, ci),
		XLabel: "test task", YLabel: "train task", RowLabels: names, ColLabels: names,
		Values: estimates(r.Fixed.AUROC), Lo: lo, Hi: hi, Annotate: true, Diverging: true, Center: 0.5, Min: 0, Max: 1, Tree: tree})
	if err != nil {
		return nil, err
	}
	lo, hi, ci = bounds(r.BestLayer.AUROC)
	best, err := plot.Heatmap(plot.HeatmapSpec{Name: "transfer_heatmap_best_layer",
		Title:  fmt.Sprintf("%s: transfer AUROC, each row at its train task's best layer (%s); brackets: %s", r.Model, r.Config.Position, ci),
		XLabel: "test task", YLabel: "train task", RowLabels: names, ColLabels: names,
		Values: estimates(r.BestLayer.AUROC), Lo: lo, Hi: hi, Annotate: true, Diverging: true, Center: 0.5, Min: 0, Max: 1})
	if err != nil {
		return nil, err
	}
	return []*plot.Figure{fixed, best}, nil
}

// Table implements analyses.Result: one row per (train, test) pair.
func (r *Result) Table() [][]string {
	rows := [][]string{{"train_task", "test_task", "train_kind", "test_kind", "layer", "auroc", "auroc_lo", "auroc_hi", "best_layer", "best_layer_auroc"}}
	for a, ta := range r.Tasks {
		for b, tb := range r.Tasks {
			f, bl := r.Fixed.AUROC[a][b], r.BestLayer.AUROC[a][b]
			rows = append(rows, []string{ta.Name, tb.Name, ta.Kind, tb.Kind, fmt.Sprint(r.Config.Layer),
				analyses.F(f.Estimate), analyses.F(f.Lo), analyses.F(f.Hi), fmt.Sprint(r.BestLayer.Layers[a]), analyses.F(bl.Estimate)})
		}
	}
	return rows
}

// Claim is the paper's claim, as reports quote it.
const Claim = "probes transfer weakly across tasks, and what transfers clusters by skill similarity (structural with structural, and so on)."

// Smallest effects the claim could mean, in AUROC.
const (
	smallestContrast = 0.03 // within-kind over across-kind transfer
	smallestGap      = 0.05 // within-task over cross-task decoding
)

// Verdict implements analyses.Result. Two parts, each needing positive evidence:
// transfer is weak (mean diagonal − off-diagonal AUROC above zero) and clusters
// by skill (within-kind − across-kind transfer above zero). Both: holds; one:
// partly.
func (r *Result) Verdict() analyses.Verdict {
	v := analyses.Verdict{Finding: r.Name(), Claim: Claim, Decodability: r.Decodability, Margin: r.TextMargin,
		Primary: analyses.NewEvidence("within-kind − across-kind transfer AUROC", analyses.CVCorrect(r.Contrast, r.Config.Folds), r.N, analyses.UnitItems, smallestContrast)}
	gap := analyses.NewEvidence("mean within-task − cross-task AUROC", analyses.CVCorrect(r.Gap, r.Config.Folds), r.N, analyses.UnitItems, smallestGap)
	v.Supporting = []analyses.Evidence{gap}
	clusters, weak := v.Primary.Judge(), gap.Judge()
	v.Because("at layer %d (mode of the folds' choices): within-task AUROC %.3f, cross-task %s; exact permutation p of the kind contrast = %.3f",
		r.Config.Layer, float64(r.Diagonal), r.OffDiagonal, float64(r.PermutationP))
	switch {
	case clusters == analyses.Holds && weak == analyses.Holds:
		v.Status = analyses.Holds
		v.Because("transfer is weaker than within-task decoding and clusters by kind")
	case weak == analyses.Holds:
		v.Status = analyses.Partly
		v.Because("transfer is weaker than within-task decoding, but clustering by kind is %s", clusters)
	case clusters == analyses.Holds:
		v.Status = analyses.Partly
		v.Because("transfer clusters by kind, but is not reliably weaker than within-task decoding (%s)", gap)
	default:
		v.Status = clusters
		v.Because("neither part has positive evidence: clustering by kind is %s, weak transfer %s", clusters, weak)
	}
	v.Finish()
	return v
}
