package pipeline

import (
	"fmt"
	"path/filepath"

	"github.com/ifprobe/ifprobe/analyses/layers"
	"github.com/ifprobe/ifprobe/pkg/plot"
	"github.com/ifprobe/ifprobe/pkg/stats"
)

// depthFigure overlays the models' probe AUROC by normalised depth, one panel
// per task kind, each model's line the mean over the kind's tasks: models of
// different depth compare on (layer+1)/L. Nil when fewer than two models have a
// layers result.
func (r *Report) depthFigure() (*plot.Figure, error) {
	byKind := map[string][]plot.Series{}
	models := 0
	for _, m := range r.Models {
		res, ok := m.Results["layers"].(*layers.Result)
		if !ok || len(res.Tasks) == 0 {
			continue
		}
		models++
		for _, kind := range []string{"structural", "lexical", "semantic"} {
			if s, ok := kindMean(res, kind); ok {
				s.Label = m.Model
				byKind[kind] = append(byKind[kind], s)
			}
		}
	}
	if models < 2 {
		return nil, nil
	}
	var panels []plot.LinesSpec
	for _, kind := range []string{"structural", "lexical", "semantic"} {
		if len(byKind[kind]) > 0 {
			panels = append(panels, plot.LinesSpec{Title: kind + " tasks", XLabel: "normalised depth (layer+1)/L",
				YLabel: "mean AUROC over the kind's tasks", Series: byKind[kind], HLines: []float64{0.5}, YMin: 0.4, YMax: 1})
		}
	}
	return plot.Panels(plot.PanelsSpec{Name: "across_models_auroc_by_depth", Panels: panels,
		Title: fmt.Sprintf("Probe AUROC by normalised depth at %s, each model's mean over the tasks of a kind", r.Config.Profile.Position)})
}

// kindMean is the mean AUROC curve of a kind's tasks (all tasks of a result
// share the layers, so their depths agree).
func kindMean(res *layers.Result, kind string) (plot.Series, bool) {
	var s plot.Series
	var curves [][]stats.Interval
	for _, tl := range res.Tasks {
		if tl.Kind == kind {
			s.X = tl.Depth
			curves = append(curves, tl.AUROC)
		}
	}
	if len(curves) == 0 {
		return s, false
	}
	for i := range s.X {
		v := make([]float64, len(curves))
		for k, c := range curves {
			v[k] = c[i].Estimate
		}
		s.Y = append(s.Y, stats.Mean(v))
	}
	return s, true
}

// saveDepthFigure writes the overlay under the report's directory and returns
// its PNG's path relative to it ("" when there is no overlay).
func (r *Report) saveDepthFigure(dir string) (string, error) {
	f, err := r.depthFigure()
	if err != nil || f == nil {
		return "", err
	}
	if _, err := f.Save(filepath.Join(dir, "figures")); err != nil {
		return "", err
	}
	return filepath.ToSlash(filepath.Join("figures", f.Name+".png")), nil
}
