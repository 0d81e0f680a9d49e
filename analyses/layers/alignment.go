package layers

import (
	"context"
	"fmt"
	"math"

	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/plot"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/stats"
	"gonum.org/v1/gonum/mat"
)

// Alignment is the cross-layer alignment of the tasks' probe subspaces: at every
// layer, one probe per task is fitted on all of that task's examples, and every
// example of every task is mapped to its probe logits, a point in R^tasks (the
// probe subspace's view of the residual stream). CKA[i][j] is the linear CKA between
// those views at layers i and j; PWCCA[i][j] the projection-weighted CCA. High
// values off the diagonal mean the tasks' readouts at the two depths carry the same
// information.
type Alignment struct {
	Layers []int       `json:"layers"`
	CKA    [][]float64 `json:"cka"`
	PWCCA  [][]float64 `json:"pwcca"`
}

// Align computes the cross-layer alignment on src at position.
func Align(ctx context.Context, src probeset.Source, position hook.Position, params probe.Params) (*Alignment, error) {
	a := &Alignment{Layers: src.Layers()}
	views := make([]*mat.Dense, len(a.Layers))
	for li, l := range a.Layers {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		v, err := probeView(src, l, position, params)
		if err != nil {
			return nil, fmt.Errorf("layers: alignment at layer %d: %w", l, err)
		}
		views[li] = v
	}
	n := len(views)
	a.CKA, a.PWCCA = square(n), square(n)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			c, err := stats.LinearCKA(views[i], views[j])
			if err != nil {
				c = math.NaN()
			}
			p, _, _, err := stats.PWCCA(views[i], views[j])
			if err != nil {
				p = math.NaN()
			}
			a.CKA[i][j], a.CKA[j][i] = c, c
			a.PWCCA[i][j], a.PWCCA[j][i] = p, p
		}
	}
	return a, nil
}

func square(n int) [][]float64 {
	m := make([][]float64, n)
	for i := range m {
		m[i] = make([]float64, n)
	}
	return m
}

// probeView fits one probe per task at layer and returns all tasks' examples
// mapped to every task's decision value: [Σ n_task, tasks].
func probeView(src probeset.Source, layer int, position hook.Position, params probe.Params) (*mat.Dense, error) {
	ts := src.Tasks()
	var dss []probe.Dataset
	var probes []*probe.Probe
	rows := 0
	for _, t := range ts {
		ds, err := src.Dataset(t.Name, layer, position)
		if err != nil {
			return nil, err
		}
		pr, err := params.Fit(ds.X, ds.Y)
		if pr == nil {
			return nil, err
		}
		r, _ := ds.X.Dims()
		rows += r
		dss, probes = append(dss, ds), append(probes, pr)
	}
	view := mat.NewDense(rows, len(ts), nil)
	at := 0
	for _, ds := range dss {
		r, _ := ds.X.Dims()
		for k, pr := range probes {
			dec, err := pr.DecisionFunction(ds.X)
			if err != nil {
				return nil, err
			}
			for i, v := range dec {
				view.Set(at+i, k, v)
			}
		}
		at += r
	}
	return view, nil
}

// alignmentFigure draws the CKA matrix.
func (r *Result) alignmentFigure() (*plot.Figure, error) {
	a := r.Alignment
	labels := make([]string, len(a.Layers))
	for i, l := range a.Layers {
		labels[i] = fmt.Sprint(l)
	}
	return plot.Heatmap(plot.HeatmapSpec{Name: "layers_probe_alignment_cka",
		Title:  fmt.Sprintf("%s: linear CKA of the tasks' probe readouts between layers (%s)", r.Model, r.Config.Position),
		XLabel: "layer", YLabel: "layer", RowLabels: labels, ColLabels: labels, Values: a.CKA, Min: 0, Max: 1,
		Annotate: len(labels) <= 12})
}
