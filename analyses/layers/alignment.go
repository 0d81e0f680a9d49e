package layers

import (
	"context"
	"fmt"
	"math"

	"github.com/ifprobe/ifprobe/internal/par"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/plot"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/stats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// Alignment is the cross-layer alignment of the tasks' probe subspaces: at every
// layer, one probe per task is fitted on all of that task's examples, and every
// example of every task is mapped to its probe logits, a point in R^tasks (the
// probe subspace's view of the residual stream). CKA[i][j] is the linear CKA between
// those views at layers i and j; PWCCA[i][j] the projection-weighted CCA. High
// values off the diagonal mean the tasks' readouts at the two depths carry the same
// information.
//
// ActCKA and ActPWCCA compare the residual stream itself between layers: every
// example of every task at the position, reduced to its top principal components
// (ActDims, the same at every layer) so that CCA is defined with fewer examples
// than model dimensions (as SVCCA does). They say whether the representation
// changes between depths, where CKA and PWCCA say whether the readouts do.
type Alignment struct {
	Layers   []int       `json:"layers"`
	CKA      [][]float64 `json:"cka"`
	PWCCA    [][]float64 `json:"pwcca"`
	ActCKA   [][]float64 `json:"act_cka"`
	ActPWCCA [][]float64 `json:"act_pwcca"`
	ActDims  int         `json:"act_dims"`
}

// Align computes the cross-layer alignment on src at position.
func Align(ctx context.Context, src probeset.Source, position hook.Position, params probe.Params) (*Alignment, error) {
	a := &Alignment{Layers: src.Layers()}
	// Reading stays sequential (a Source need not be safe for concurrent use);
	// the fits, decompositions and comparisons of the layers run on every core.
	data := make([][]probe.Dataset, len(a.Layers))
	for li, l := range a.Layers {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var err error
		if data[li], err = taskData(src, l, position); err != nil {
			return nil, fmt.Errorf("layers: alignment at layer %d: %w", l, err)
		}
	}
	views := make([]*mat.Dense, len(a.Layers))
	err := par.For(len(a.Layers), func(li int) error {
		var err error
		if views[li], err = probeView(data[li], params); err != nil {
			return fmt.Errorf("layers: alignment at layer %d: %w", a.Layers[li], err)
		}
		return ctx.Err()
	})
	if err != nil {
		return nil, err
	}
	a.CKA, a.PWCCA = compare(views)
	acts := make([]*mat.Dense, len(a.Layers))
	for li := range a.Layers {
		acts[li] = stack(data[li])
		data[li] = nil
	}
	a.ActDims = actDims(acts)
	if err := par.For(len(acts), func(i int) error { acts[i] = topComponents(acts[i], a.ActDims); return ctx.Err() }); err != nil {
		return nil, err
	}
	a.ActCKA, a.ActPWCCA = compare(acts)
	return a, nil
}

// compare returns linear CKA and PWCCA between every pair of views (NaN where
// one is undefined), the pairs on every core.
func compare(views []*mat.Dense) (cka, pwcca [][]float64) {
	n := len(views)
	cka, pwcca = square(n), square(n)
	var pairs [][2]int
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			pairs = append(pairs, [2]int{i, j})
		}
	}
	_ = par.For(len(pairs), func(k int) error { // no iteration fails: an undefined pair is NaN
		i, j := pairs[k][0], pairs[k][1]
		c, err := stats.LinearCKA(views[i], views[j])
		if err != nil {
			c = math.NaN()
		}
		p, _, _, err := stats.PWCCA(views[i], views[j])
		if err != nil {
			p = math.NaN()
		}
		cka[i][j], cka[j][i] = c, c
		pwcca[i][j], pwcca[j][i] = p, p
		return nil
	})
	return cka, pwcca
}

// maxActDims bounds the principal components kept of the residual stream.
const maxActDims = 32

// actDims keeps at most maxActDims components, and fewer than a quarter of the
// examples, so that CCA's canonical correlations are not all 1 by overfitting.
func actDims(acts []*mat.Dense) int {
	r, c := acts[0].Dims()
	return max(1, min(maxActDims, c, r/4))
}

// taskData reads every task's examples at a layer.
func taskData(src probeset.Source, layer int, position hook.Position) ([]probe.Dataset, error) {
	var out []probe.Dataset
	for _, t := range src.Tasks() {
		ds, err := src.Dataset(t.Name, layer, position)
		if err != nil {
			return nil, err
		}
		out = append(out, ds)
	}
	return out, nil
}

// stack stacks the tasks' examples: [Σ n_task, d_model].
func stack(dss []probe.Dataset) *mat.Dense {
	rows, d := 0, 0
	for _, ds := range dss {
		r, c := ds.X.Dims()
		rows, d = rows+r, c
	}
	x := mat.NewDense(rows, d, nil)
	at := 0
	for _, ds := range dss {
		r, _ := ds.X.Dims()
		x.Slice(at, at+r, 0, d).(*mat.Dense).Copy(ds.X)
		at += r
	}
	return x
}

// topComponents projects x on its k leading principal components.
func topComponents(x *mat.Dense, k int) *mat.Dense {
	var pc stat.PC
	if !pc.PrincipalComponents(x, nil) {
		return x
	}
	var vecs mat.Dense
	pc.VectorsTo(&vecs)
	d, c := vecs.Dims() // [d_model, min(rows, d_model)]: fewer components than dimensions when rows are few
	k = min(k, c)
	var out mat.Dense
	out.Mul(x, vecs.Slice(0, d, 0, k))
	return &out
}

func square(n int) [][]float64 {
	m := make([][]float64, n)
	for i := range m {
		m[i] = make([]float64, n)
	}
	return m
}

// probeView fits one probe per task on its examples at a layer and returns all
// tasks' examples mapped to every task's decision value: [Σ n_task, tasks].
func probeView(dss []probe.Dataset, params probe.Params) (*mat.Dense, error) {
	var probes []*probe.Probe
	rows := 0
	for _, ds := range dss {
		pr, err := params.Fit(ds.X, ds.Y)
		if pr == nil {
			return nil, err
		}
		r, _ := ds.X.Dims()
		rows += r
		probes = append(probes, pr)
	}
	view := mat.NewDense(rows, len(dss), nil)
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

// alignmentFigures draw, between every two layers, the linear CKA of the tasks'
// probe readouts, and the PWCCA and linear CKA of the residual stream itself.
func (r *Result) alignmentFigures() ([]*plot.Figure, error) {
	a := r.Alignment
	labels := make([]string, len(a.Layers))
	for i, l := range a.Layers {
		labels[i] = fmt.Sprint(l)
	}
	var figs []*plot.Figure
	for _, m := range []struct {
		name, what string
		values     [][]float64
	}{{"layers_probe_alignment_cka", "linear CKA of the tasks' probe readouts", a.CKA},
		{"layers_activation_pwcca", fmt.Sprintf("PWCCA of the residual stream (top %d principal components)", a.ActDims), a.ActPWCCA},
		{"layers_activation_cka", fmt.Sprintf("linear CKA of the residual stream (top %d principal components)", a.ActDims), a.ActCKA}} {
		if m.values == nil {
			continue // a result saved before activation alignment was computed
		}
		f, err := plot.Heatmap(plot.HeatmapSpec{Name: m.name,
			Title:  fmt.Sprintf("%s: %s between layers (%s); 1: the same up to a linear map", r.Model, m.what, r.Config.Position),
			XLabel: "layer", YLabel: "layer", RowLabels: labels, ColLabels: labels, Values: m.values, Min: 0, Max: 1,
			Annotate: len(labels) <= 12})
		if err != nil {
			return nil, err
		}
		figs = append(figs, f)
	}
	return figs, nil
}
