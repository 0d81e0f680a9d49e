package plot

import (
	"fmt"
	"image/color"
	"math"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
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
	// YMin, YMax is the preferred Y range when YMax > YMin. It is widened to
	// take in every value drawn (lines, bands, reference lines): data are never
	// cut off by the range.
	YMin, YMax float64
	HLines     []float64 // horizontal reference lines (e.g. chance = 0.5)
	XTicks     []string  // optional nominal X tick labels at X = 0..len-1
	// Width, Height is the size of the plot region (default 6x4 in); the canvas
	// grows by the legend, which is drawn outside the plot region.
	Width, Height vg.Length
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

// yValues lists every Y a line plot draws: lines, bands and reference lines.
func (s LinesSpec) yValues() [][]float64 {
	vals := [][]float64{s.HLines}
	for _, se := range s.Series {
		vals = append(vals, se.Y, se.Lo, se.Hi)
	}
	return vals
}

// Lines draws lines with optional confidence bands and markers. The legend sits
// to the right of the plot region (below it when the labels are very long).
func Lines(s LinesSpec) (fig *Figure, err error) {
	defer recoverTo(&err, s.Name)
	c, err := linesComposite(s)
	if err != nil {
		return nil, err
	}
	return c.figure(s.Name), nil
}

func linesComposite(s LinesSpec) (*composite, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	lo, hi := valueRange([2]float64{s.YMin, s.YMax}, s.yValues()...)
	title := s.Title
	s.Title = ""
	w, h := sizeOr(s.Width, 6*vg.Inch), sizeOr(s.Height, 4*vg.Inch)
	p, entries, err := linesPlot(s, lo, hi, w)
	if err != nil {
		return nil, err
	}
	return newComposite(w, h, title, []*gplot.Plot{p}, entries, 1), nil
}

// bandAlpha is the opacity of confidence bands: translucent where a few overlap,
// fainter when many share a plot so the lines stay legible.
func bandAlpha(banded int) uint8 {
	if banded <= 3 {
		return 56
	}
	return 30
}

// linesPlot builds one axes block with Y range [lo, hi] and returns its legend
// entries. s.Title, when set, is drawn as the block's own heading; width is the
// block's width, used to decide whether nominal X tick labels must turn.
func linesPlot(s LinesSpec, lo, hi float64, width vg.Length) (*gplot.Plot, []legendEntry, error) {
	p := gplot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = s.Title, s.XLabel, s.YLabel
	p.Title.TextStyle.Font.Size = 10
	p.X.Label.TextStyle.Font.Size, p.Y.Label.TextStyle.Font.Size = 10, 10
	p.X.Tick.Label.Font.Size, p.Y.Tick.Label.Font.Size = 9, 9
	p.Add(plotter.NewGrid())
	banded := 0
	for _, se := range s.Series {
		if se.Lo != nil {
			banded++
		}
	}
	var entries []legendEntry
	for _, se := range s.Series {
		col := se.Color
		if col == nil {
			col = Color(se.Label)
		}
		var thumbs []gplot.Thumbnailer
		if se.Lo != nil {
			band, err := bandPolygon(se)
			if err != nil {
				return nil, nil, fmt.Errorf("plot: %s: series %q band: %w", s.Name, se.Label, err)
			}
			band.Color = withAlpha(col, bandAlpha(banded))
			band.LineStyle.Width = 0
			p.Add(band)
			key := *band
			key.Color = withAlpha(col, 56) // the key shows the band at a visible strength
			thumbs = append(thumbs, &key)
		}
		l, err := plotter.NewLine(finite(se.X, se.Y))
		if err != nil {
			return nil, nil, fmt.Errorf("plot: %s: series %q: %w", s.Name, se.Label, err)
		}
		l.Color, l.Width = col, vg.Points(1.5)
		if se.Dashed {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		p.Add(l)
		if se.Label != "" {
			entries = append(entries, legendEntry{label: se.Label, thumbs: append(thumbs, l)})
		}
		if len(se.Markers) > 0 {
			m, err := plotter.NewScatter(markerPoints(se))
			if err != nil {
				return nil, nil, err
			}
			m.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(3), Shape: draw.CircleGlyph{}}
			p.Add(m)
		}
	}
	for _, y := range s.HLines {
		h := plotter.NewFunction(func(float64) float64 { return y })
		h.Color, h.Dashes = color.Gray{150}, []vg.Length{vg.Points(2), vg.Points(2)}
		p.Add(h)
	}
	p.Y.Min, p.Y.Max = lo, hi
	if len(s.XTicks) > 0 {
		p.NominalX(s.XTicks...)
		if tickLabelsCrowd(p.X.Tick.Label, s.XTicks, width) {
			p.X.Tick.Label.Rotation = 0.6
			p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YCenter
		}
	}
	return p, entries, nil
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

// tickLabelsCrowd reports whether nominal tick labels in sty, centred on n evenly
// spaced ticks across a block of the given width, would come closer than 6pt to
// a neighbour: then they are drawn turned instead. The data area is taken as
// the block less 50pt of Y axis.
func tickLabelsCrowd(sty text.Style, labels []string, width vg.Length) bool {
	if len(labels) < 2 {
		return false
	}
	spacing := (width - vg.Points(50)) / vg.Length(len(labels)-1)
	for i := 0; i+1 < len(labels); i++ {
		if (sty.Width(labels[i])+sty.Width(labels[i+1]))/2+vg.Points(6) > spacing {
			return true
		}
	}
	return false
}
