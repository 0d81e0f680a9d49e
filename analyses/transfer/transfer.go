package transfer

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/stats"
	"gonum.org/v1/gonum/mat"
)

// Config configures Run. Zero fields take the documented defaults.
type Config struct {
	// Position of the activations; default "prompt_last" when present.
	Position hook.Position `json:"position"`
	// Layer of the main matrix; unless UseLayer, each outer fold's rows are read
	// at the layer with the highest mean within-task (diagonal) AUROC on the other
	// folds, so the diagonal is not inflated by choosing the layer on the rows it
	// is scored on (Layer then reports the most chosen layer).
	Layer    int  `json:"layer"`
	UseLayer bool `json:"use_layer"`
	// Folds shared by all tasks (grouped by base request); default 5.
	Folds int `json:"folds"`
	// Probe hyperparameters (default probe.DefaultParams); its Seed draws the folds.
	Probe probe.Params `json:"probe"`
	// Bootstrap configures the intervals (default 1000 resamples, 95%).
	Bootstrap stats.BootstrapParams `json:"bootstrap"`
}

// Matrix is AUROC(train row task → test column task) with 95% CIs.
type Matrix struct {
	Layers []int              `json:"layers"` // layer used by each row (train task)
	AUROC  [][]stats.Interval `json:"auroc"`  // [train][test]
	oof    [][][]float64      // [train][test] out-of-fold decision values on test rows
}

// Result is the transfer finding on one model.
type Result struct {
	Model      string          `json:"model"`
	Config     Config          `json:"config"`
	Tasks      []probeset.Task `json:"tasks"`
	Fixed      Matrix          `json:"fixed"`       // every row at the fold's chosen layer (or Config.Layer)
	FoldLayers []int           `json:"fold_layers"` // the layer read for each outer fold
	BestLayer  Matrix          `json:"best_layer"`  // row A at A's best layer
	// Dendrogram clusters tasks from Fixed; Order is its leaf order.
	Dendrogram *stats.Dendrogram `json:"dendrogram"`
	Order      []int             `json:"order"`
	// Within and Across are the mean off-diagonal AUROCs of same-kind and
	// different-kind pairs (Fixed); Contrast = Within − Across with a cluster-
	// bootstrap CI, and PermutationP its exact one-sided permutation p-value over
	// relabellings of the tasks' kinds.
	Within       stats.Float    `json:"within"`
	Across       stats.Float    `json:"across"`
	Contrast     stats.Interval `json:"contrast"`
	PermutationP stats.Float    `json:"permutation_p"`
	OffDiagonal  stats.Interval `json:"off_diagonal"` // mean off-diagonal AUROC
	Diagonal     stats.Float    `json:"diagonal"`     // mean diagonal AUROC
	// Gap is mean diagonal − mean off-diagonal AUROC (> 0: transfer is weaker
	// than within-task decoding), bootstrapped with the same resamples.
	Gap stats.Interval `json:"gap"`
	N   int            `json:"n"` // mean items per task
	// Decodability and TextMargin are filled by Analysis.Run: the probes must
	// read the labels; and the mean within-task AUROC over the text baseline's.
	Decodability *analyses.Evidence `json:"decodability,omitempty"`
	TextMargin   *analyses.Evidence `json:"text_margin,omitempty"`
	diag         []*probeset.Selected
}

// Name implements analyses.Result.
func (r *Result) Name() string { return "transfer" }

// Run computes the finding on src.
func Run(ctx context.Context, src probeset.Source, cfg Config) (*Result, error) {
	if cfg.Position.IsZero() {
		cfg.Position = probeset.DefaultPosition(src.Positions())
	}
	if cfg.Folds == 0 {
		cfg.Folds = 5
	}
	if cfg.Probe == (probe.Params{}) {
		cfg.Probe = probe.DefaultParams()
	}
	ts := src.Tasks()
	r := &Result{Model: src.Model(), Tasks: ts}
	byLayer := map[int]*Matrix{}
	data := map[int][]probe.Dataset{}
	for _, l := range src.Layers() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		dss, err := probeset.Datasets(src, ts, l, cfg.Position)
		if err != nil {
			return nil, err
		}
		m, err := transferMatrix(dss, l, cfg)
		if err != nil {
			return nil, fmt.Errorf("transfer: layer %d: %w", l, err)
		}
		byLayer[l], data[l] = m, dss
	}
	layers := src.Layers()
	if cfg.UseLayer {
		if byLayer[cfg.Layer] == nil {
			return nil, fmt.Errorf("transfer: layer %d not in source (layers %v)", cfg.Layer, layers)
		}
		layers = []int{cfg.Layer}
	}
	dss := data[layers[0]] // rows, labels and groups are the same at every layer
	fold := sharedFolds(dss, cfg.Folds, cfg.Probe.Seed)
	r.FoldLayers = crossSelectLayers(byLayer, layers, dss, fold, cfg.Folds)
	cfg.Layer = stats.Mode(r.FoldLayers)
	r.Config = cfg
	r.Fixed = combine(byLayer, r.FoldLayers, dss, fold, cfg.Bootstrap)
	r.BestLayer = bestLayerRows(byLayer, src.Layers(), len(ts))
	for _, ds := range dss {
		r.N += len(ds.Y)
	}
	r.N /= max(len(dss), 1)
	if err := r.analyse(dss); err != nil {
		return nil, err
	}
	return r, nil
}

// crossSelectLayers chooses, for every outer fold, the layer with the highest
// mean diagonal AUROC on the rows of the other folds.
func crossSelectLayers(byLayer map[int]*Matrix, layers []int, dss []probe.Dataset, fold map[int]int, k int) []int {
	chosen := make([]int, k)
	for f := 0; f < k; f++ {
		best := math.Inf(-1)
		chosen[f] = layers[0]
		for _, l := range layers {
			var d []float64
			for a, ds := range dss {
				rows := rowsWhere(ds, fold, f, false)
				oof := byLayer[l].oof[a][a]
				d = append(d, stats.AUROCOn(oof, ds.Y, scored(oof, rows)))
			}
			if v := stats.Mean(d); v > best {
				best, chosen[f] = v, l
			}
		}
	}
	return chosen
}

// combine builds the matrix whose rows of fold f come from layer foldLayers[f].
func combine(byLayer map[int]*Matrix, foldLayers []int, dss []probe.Dataset, fold map[int]int, bp stats.BootstrapParams) Matrix {
	n := len(dss)
	m := Matrix{Layers: make([]int, n), AUROC: make([][]stats.Interval, n), oof: make([][][]float64, n)}
	for a := range dss {
		m.Layers[a] = stats.Mode(foldLayers)
		m.oof[a] = make([][]float64, n)
		m.AUROC[a] = make([]stats.Interval, n)
		for b, ds := range dss {
			m.oof[a][b] = make([]float64, len(ds.Y))
			for i, g := range ds.Groups {
				m.oof[a][b][i] = byLayer[foldLayers[fold[g]]].oof[a][b][i]
			}
			m.AUROC[a][b] = oofAUROC(m.oof[a][b], ds, bp)
		}
	}
	return m
}

// scored keeps the rows that received an out-of-fold score.
func scored(oof []float64, rows []int) []int {
	var out []int
	for _, r := range rows {
		if !math.IsNaN(oof[r]) {
			out = append(out, r)
		}
	}
	return out
}

// sharedFolds assigns every base request (group id, shared across tasks) to a fold.
func sharedFolds(dss []probe.Dataset, k int, seed uint64) map[int]int {
	var ids []int
	seen := map[int]bool{}
	for _, ds := range dss {
		for _, g := range ds.Groups {
			if !seen[g] {
				seen[g] = true
				ids = append(ids, g)
			}
		}
	}
	slices.Sort(ids)
	rng := rand.New(rand.NewPCG(seed, 0x7472616e73666572))
	rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	fold := make(map[int]int, len(ids))
	for i, g := range ids {
		fold[g] = i % k
	}
	return fold
}

// rowsWhere returns the rows of ds whose fold is (in == true) or is not k.
func rowsWhere(ds probe.Dataset, fold map[int]int, k int, in bool) []int {
	var rows []int
	for i, g := range ds.Groups {
		if (fold[g] == k) == in {
			rows = append(rows, i)
		}
	}
	return rows
}

func subset(ds probe.Dataset, rows []int) (*mat.Dense, []int) {
	_, d := ds.X.Dims()
	x := mat.NewDense(max(len(rows), 1), d, nil)
	y := make([]int, len(rows))
	for i, r := range rows {
		x.SetRow(i, ds.X.RawRowView(r))
		y[i] = ds.Y[r]
	}
	return x, y
}

// transferMatrix trains on each task's training folds and scores every task's
// held-out rows of the same folds.
func transferMatrix(dss []probe.Dataset, layer int, cfg Config) (*Matrix, error) {
	n := len(dss)
	fold := sharedFolds(dss, cfg.Folds, cfg.Probe.Seed)
	m := &Matrix{Layers: make([]int, n), AUROC: make([][]stats.Interval, n), oof: make([][][]float64, n)}
	for a := range dss {
		m.Layers[a] = layer
		m.oof[a] = make([][]float64, n)
		for b := range dss {
			m.oof[a][b] = make([]float64, len(dss[b].Y))
			for i := range m.oof[a][b] {
				m.oof[a][b][i] = math.NaN()
			}
		}
		for k := 0; k < cfg.Folds; k++ {
			x, y := subset(dss[a], rowsWhere(dss[a], fold, k, false))
			if !hasBothClasses(y) {
				continue // this fold's training rows of A are one class: no probe
			}
			pr, err := cfg.Probe.Fit(x, y)
			if err != nil && pr == nil {
				return nil, fmt.Errorf("train %s fold %d: %w", dss[a].Name, k, err)
			}
			for b := range dss {
				rows := rowsWhere(dss[b], fold, k, true)
				if len(rows) == 0 {
					continue
				}
				xt, _ := subset(dss[b], rows)
				dec, err := pr.DecisionFunction(xt)
				if err != nil {
					return nil, err
				}
				for i, r := range rows {
					m.oof[a][b][r] = dec[i]
				}
			}
		}
		m.AUROC[a] = make([]stats.Interval, n)
		for b := range dss {
			m.AUROC[a][b] = oofAUROC(m.oof[a][b], dss[b], cfg.Bootstrap)
		}
	}
	return m, nil
}

func hasBothClasses(y []int) bool {
	return slices.Contains(y, 0) && slices.Contains(y, 1)
}

// scoredRows lists the rows that received an out-of-fold score.
func scoredRows(oof []float64) []int {
	var rows []int
	for i, v := range oof {
		if !math.IsNaN(v) {
			rows = append(rows, i)
		}
	}
	return rows
}

// oofAUROC is the pooled AUROC of out-of-fold scores with a cluster-bootstrap CI.
func oofAUROC(oof []float64, ds probe.Dataset, bp stats.BootstrapParams) stats.Interval {
	rows := scoredRows(oof)
	nan := math.NaN()
	groups := make([]int, len(rows))
	for i, r := range rows {
		groups[i] = ds.Groups[r]
	}
	mem := stats.Members(groups)
	stat := func(idx []int) float64 {
		sub := make([]int, len(idx))
		for i, j := range idx {
			sub[i] = rows[j]
		}
		return stats.AUROCOn(oof, ds.Y, sub)
	}
	iv, err := stats.Bootstrap(len(mem), stats.GroupedStatistic(mem, stat), bp)
	if err != nil {
		return stats.Interval{Estimate: stat(identity(len(rows))), Lo: nan, Hi: nan}
	}
	return iv
}

func identity(n int) []int {
	o := make([]int, n)
	for i := range o {
		o[i] = i
	}
	return o
}

// bestLayerRows takes each row (train task A) from the layer where A's own probe,
// the diagonal entry, is best.
func bestLayerRows(byLayer map[int]*Matrix, layers []int, n int) Matrix {
	m := Matrix{Layers: make([]int, n), AUROC: make([][]stats.Interval, n), oof: make([][][]float64, n)}
	for a := 0; a < n; a++ {
		best := layers[0]
		for _, l := range layers {
			if byLayer[l].AUROC[a][a].Estimate > byLayer[best].AUROC[a][a].Estimate {
				best = l
			}
		}
		m.Layers[a], m.AUROC[a], m.oof[a] = best, byLayer[best].AUROC[a], byLayer[best].oof[a]
	}
	return m
}
