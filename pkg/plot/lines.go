package plot

import (
	"fmt"
	"image/color"
	"math"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is one line: Y against X, with an optional confidence band [Lo, Hi].
type Series struct {
	Label  string
	X, Y   []float64
	Lo, Hi []float64   // optional; both or neither, same length as X
	Color  color.Color // optional; default Color(Label)
	Dashed bool        // draw dashed (e.g. for controls)
	// Markers are X positions to mark on this line with a filled dot (e.g. onset
	// layers); the Y is interpolated from the series.
	Markers []float64
}

// LinesSpec describes a line plot.
type LinesSpec struct {
	Name, Title    string
	XLabel, YLabel string
	Series         []Series
	YMin, YMax     float64   // fixed Y range when YMax > YMin
	HLines         []float64 // horizontal reference lines (e.g. chance = 0.5)
	XTicks         []string  // optional nominal X tick labels at X = 0..len-1
	Width, Height  vg.Length
}

func (s LinesSpec) validate() error {
	if len(s.Series) == 0 {
		return fmt.Errorf("plot: %s: LinesSpec.Series is empty", s.Name)
	}
	for i, se := range s.Series {
		if len(se.X) == 0 || len(se.X) != len(se.Y) {
			return fmt.Errorf("plot: %s: Series[%d] (%q): len(X)=%d, len(Y)=%d", s.Name, i, se.Label, len(se.X), len(se.Y))
		}
		if (se.Lo == nil) != (se.Hi == nil) || (se.Lo != nil && (len(se.Lo) != len(se.X) || len(se.Hi) != len(se.X))) {
			return fmt.Errorf("plot: %s: Series[%d] (%q): Lo/Hi must both be set with len(X)=%d", s.Name, i, se.Label, len(se.X))
		}
	}
	return nil
}

// Lines draws lines with optional confidence bands and markers.
func Lines(s LinesSpec) (fig *Figure, err error) {
	defer recoverTo(&err, s.Name)
	if err := s.validate(); err != nil {
		return nil, err
	}
	p, err := linesPlot(s)
	if err != nil {
		return nil, err
	}
	return newFigure(s.Name, s.Width, s.Height, func(c draw.Canvas) { p.Draw(c) }), nil
}

func linesPlot(s LinesSpec) (*gplot.Plot, error) {
	p := gplot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = s.Title, s.XLabel, s.YLabel
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	for _, se := range s.Series {
		col := se.Color
		if col == nil {
			col = Color(se.Label)
		}
		if se.Lo != nil {
			band, err := bandPolygon(se)
			if err != nil {
				return nil, fmt.Errorf("plot: %s: series %q band: %w", s.Name, se.Label, err)
			}
			band.Color = withAlpha(col, 50)
			band.LineStyle.Width = 0
			p.Add(band)
		}
		l, err := plotter.NewLine(finite(se.X, se.Y))
		if err != nil {
			return nil, fmt.Errorf("plot: %s: series %q: %w", s.Name, se.Label, err)
		}
		l.Color, l.Width = col, vg.Points(1.5)
		if se.Dashed {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		p.Add(l)
		p.Legend.Add(se.Label, l)
		if len(se.Markers) > 0 {
			m, err := plotter.NewScatter(markerPoints(se))
			if err != nil {
				return nil, err
			}
			m.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(3.5), Shape: draw.CircleGlyph{}}
			p.Add(m)
		}
	}
	for _, y := range s.HLines {
		h := plotter.NewFunction(func(float64) float64 { return y })
		h.Color, h.Dashes = color.Gray{150}, []vg.Length{vg.Points(2), vg.Points(2)}
		p.Add(h)
	}
	if s.YMax > s.YMin {
		p.Y.Min, p.Y.Max = s.YMin, s.YMax
	}
	if len(s.XTicks) > 0 {
		p.NominalX(s.XTicks...)
	}
	return p, nil
}

// finite drops points whose X or Y is NaN or infinite (a missing value).
func finite(x, y []float64) plotter.XYs {
	xy := make(plotter.XYs, 0, len(x))
	for i := range x {
		if isFinite(x[i]) && isFinite(y[i]) {
			xy = append(xy, plotter.XY{X: x[i], Y: y[i]})
		}
	}
	return xy
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func bandPolygon(se Series) (*plotter.Polygon, error) {
	var up, down plotter.XYs
	for i := range se.X {
		if isFinite(se.X[i]) && isFinite(se.Lo[i]) && isFinite(se.Hi[i]) {
			up = append(up, plotter.XY{X: se.X[i], Y: se.Hi[i]})
			down = append(down, plotter.XY{X: se.X[i], Y: se.Lo[i]})
		}
	}
	ring := make(plotter.XYs, 0, 2*len(up))
	ring = append(ring, up...)
	for i := len(down) - 1; i >= 0; i-- {
		ring = append(ring, down[i])
	}
	return plotter.NewPolygon(ring)
}

// markerPoints places each marker on the series by linear interpolation in X.
func markerPoints(se Series) plotter.XYs {
	var pts plotter.XYs
	for _, mx := range se.Markers {
		for i := 0; i+1 < len(se.X) || (len(se.X) == 1 && i == 0); i++ {
			if len(se.X) == 1 {
				pts = append(pts, plotter.XY{X: se.X[0], Y: se.Y[0]})
				break
			}
			x0, x1 := se.X[i], se.X[i+1]
			if (mx >= x0 && mx <= x1) || (mx <= x0 && mx >= x1) {
				t := 0.0
				if x1 != x0 {
					t = (mx - x0) / (x1 - x0)
				}
				pts = append(pts, plotter.XY{X: mx, Y: se.Y[i] + t*(se.Y[i+1]-se.Y[i])})
				break
			}
		}
	}
	return pts
}
