package plot

import (
	"fmt"
	"image/color"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// BarGroup is one set of bars, one value per category, with an optional
// confidence interval [Lo, Hi] drawn as an error bar.
type BarGroup struct {
	Label  string
	Values []float64
	Lo, Hi []float64 // optional; both or neither, len == len(Values)
	Color  color.Color
}

// BarsSpec describes a grouped bar chart: categories along X, one bar per group
// in each category.
type BarsSpec struct {
	Name, Title string
	YLabel      string
	Categories  []string
	Groups      []BarGroup
	// YMin, YMax is the preferred Y range when YMax > YMin; it is widened to
	// take in every bar and error bar, so no value is cut off.
	YMin, YMax float64
	HLines     []float64
	// Width, Height is the size of the plot region (default 6x4 in); the canvas
	// grows by the legend, which is drawn outside the plot region.
	Width, Height vg.Length
}

func (s BarsSpec) validate() error {
	if len(s.Categories) == 0 || len(s.Groups) == 0 {
		return fmt.Errorf("plot: %s: BarsSpec needs Categories and Groups (got %d, %d)", s.Name, len(s.Categories), len(s.Groups))
	}
	for i, g := range s.Groups {
		if len(g.Values) != len(s.Categories) {
			return fmt.Errorf("plot: %s: Groups[%d] (%q): %d values for %d categories", s.Name, i, g.Label, len(g.Values), len(s.Categories))
		}
		if (g.Lo == nil) != (g.Hi == nil) || (g.Lo != nil && (len(g.Lo) != len(g.Values) || len(g.Hi) != len(g.Values))) {
			return fmt.Errorf("plot: %s: Groups[%d] (%q): Lo/Hi must both be set with %d values", s.Name, i, g.Label, len(g.Values))
		}
	}
	return nil
}

// Bars draws a grouped bar chart with error bars. The legend sits to the right
// of the plot region (below it when the labels are very long).
func Bars(s BarsSpec) (fig *Figure, err error) {
	defer recoverTo(&err, s.Name)
	c, err := barsComposite(s)
	if err != nil {
		return nil, err
	}
	return c.figure(s.Name), nil
}

func barsComposite(s BarsSpec) (*composite, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	p := gplot.New()
	p.Y.Label.Text = s.YLabel
	p.Y.Label.TextStyle.Font.Size = 10
	p.X.Tick.Label.Font.Size, p.Y.Tick.Label.Font.Size = 9, 9
	p.Add(plotter.NewGrid())
	n := len(s.Groups)
	width := sizeOr(s.Width, 6*vg.Inch)
	// Groups share 80% of each category's slot; bars never get wider than 40pt.
	w := (width - vg.Inch) * 0.8 / vg.Length(len(s.Categories)*n)
	if w > vg.Points(40) {
		w = vg.Points(40)
	}
	vals := [][]float64{{0}, s.HLines} // bars rise from 0
	var entries []legendEntry
	for i, g := range s.Groups {
		col := g.Color
		if col == nil {
			col = Color(g.Label)
		}
		bars, err := plotter.NewBarChart(plotter.Values(zeroNaN(g.Values)), w)
		if err != nil {
			return nil, fmt.Errorf("plot: %s: group %q: %w", s.Name, g.Label, err)
		}
		bars.Color, bars.LineStyle.Width = col, 0
		bars.Offset = vg.Length(float64(i)-float64(n-1)/2) * w
		p.Add(bars)
		if g.Label != "" {
			entries = append(entries, legendEntry{label: g.Label, thumbs: []gplot.Thumbnailer{bars}})
		}
		vals = append(vals, g.Values, g.Lo, g.Hi)
		if g.Lo != nil {
			eb, err := errorBars(g, bars.Offset)
			if err != nil {
				return nil, fmt.Errorf("plot: %s: group %q error bars: %w", s.Name, g.Label, err)
			}
			p.Add(eb)
		}
	}
	for _, y := range s.HLines {
		h := plotter.NewFunction(func(float64) float64 { return y })
		h.Color, h.Dashes = color.Gray{150}, []vg.Length{vg.Points(2), vg.Points(2)}
		p.Add(h)
	}
	p.NominalX(s.Categories...)
	p.X.Min, p.X.Max = -0.6, float64(len(s.Categories))-0.4
	p.X.Tick.Label.Rotation = 0.6
	p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YCenter
	p.Y.Min, p.Y.Max = valueRange([2]float64{s.YMin, s.YMax}, vals...)
	return newComposite(width, sizeOr(s.Height, 4*vg.Inch), s.Title, []*gplot.Plot{p}, entries, 1), nil
}

// offsetErrBars draws vertical error bars shifted horizontally by a canvas offset,
// so each sits on its own bar in a group.
type offsetErrBars struct {
	*plotter.YErrorBars
	offset vg.Length
}

func (e offsetErrBars) Plot(c draw.Canvas, p *gplot.Plot) {
	c.Rectangle.Min.X += e.offset
	c.Rectangle.Max.X += e.offset
	e.YErrorBars.Plot(c, p)
}

func errorBars(g BarGroup, offset vg.Length) (gplot.Plotter, error) {
	var pts errPoints
	for i, v := range g.Values {
		if isFinite(v) && isFinite(g.Lo[i]) && isFinite(g.Hi[i]) {
			pts = append(pts, errPoint{x: float64(i), y: v, lo: v - g.Lo[i], hi: g.Hi[i] - v})
		}
	}
	eb, err := plotter.NewYErrorBars(pts)
	if err != nil {
		return nil, err
	}
	eb.Color = color.Black
	return offsetErrBars{eb, offset}, nil
}

// errPoint is one error bar: centre (x, y) and distances below and above.
type errPoint struct{ x, y, lo, hi float64 }

type errPoints []errPoint

func (e errPoints) Len() int                        { return len(e) }
func (e errPoints) XY(i int) (float64, float64)     { return e[i].x, e[i].y }
func (e errPoints) YError(i int) (float64, float64) { return e[i].lo, e[i].hi }

// zeroNaN replaces missing values by 0 so the bar is absent rather than a panic.
func zeroNaN(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		if isFinite(x) {
			out[i] = x
		}
	}
	return out
}
