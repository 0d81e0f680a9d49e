package plot

import (
	"fmt"
	"math"
	"slices"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"
)

// PanelsSpec describes small multiples: line plots side by side that share one Y
// range (so panels compare at a glance), one title and one legend. Use it where
// one plot would hold too many confidence bands to read, e.g. one panel per task
// kind.
type PanelsSpec struct {
	Name, Title string
	// Panels are drawn row by row. Each panel's Title is its heading; its Name,
	// Width and Height are ignored. XLabel is shown on the bottom row and YLabel
	// on the left column only. YMin/YMax and HLines act as in LinesSpec, the
	// Y range being the union over panels.
	Panels []LinesSpec
	Cols   int // panels per row; default len(Panels) up to 4, else ceil(sqrt(len(Panels)))
	// PanelWidth, PanelHeight is the room for one panel (default 230 x 200 pt);
	// the canvas is the grid of panels plus the legend, and the title takes
	// its height from the panels' room.
	PanelWidth, PanelHeight vg.Length
}

func (s PanelsSpec) validate() error {
	if len(s.Panels) == 0 {
		return fmt.Errorf("plot: %s: PanelsSpec.Panels is empty", s.Name)
	}
	for i, p := range s.Panels {
		p.Name = fmt.Sprintf("%s: Panels[%d]", s.Name, i)
		if err := p.validate(); err != nil {
			return err
		}
	}
	return nil
}

// Panels draws small multiples of line plots with a shared Y range and legend.
// Legend entries are merged by label across panels.
func Panels(s PanelsSpec) (fig *Figure, err error) {
	defer recoverTo(&err, s.Name)
	c, err := panelsComposite(s)
	if err != nil {
		return nil, err
	}
	return c.figure(s.Name), nil
}

func panelsComposite(s PanelsSpec) (*composite, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	n := len(s.Panels)
	cols := s.Cols
	if cols <= 0 {
		cols = defaultCols(n)
	}
	cols = min(cols, n)
	rows := (n + cols - 1) / cols
	pw, ph := sizeOr(s.PanelWidth, vg.Points(230)), sizeOr(s.PanelHeight, vg.Points(200))
	want := [2]float64{math.Inf(1), math.Inf(-1)}
	var vals [][]float64
	for _, p := range s.Panels {
		if p.YMax > p.YMin {
			want[0], want[1] = math.Min(want[0], p.YMin), math.Max(want[1], p.YMax)
		}
		vals = append(vals, p.yValues()...)
	}
	lo, hi := valueRange(want, vals...)
	var plots []*gplot.Plot
	var entries []legendEntry
	for i, ps := range s.Panels {
		// Axis labels show once per column and row; the others become blank so
		// that every panel reserves the same room and the data areas line up.
		if i+cols < n && ps.XLabel != "" {
			ps.XLabel = " "
		}
		if i%cols != 0 && ps.YLabel != "" {
			ps.YLabel = " "
		}
		p, es, err := linesPlot(ps, lo, hi, pw)
		if err != nil {
			return nil, err
		}
		plots = append(plots, p)
		entries = append(entries, es...)
	}
	w := pw*vg.Length(cols) + vg.Points(panelGap)*vg.Length(cols-1) + vg.Points(framePad+rightPad)
	h := ph*vg.Length(rows) + vg.Points(panelGap)*vg.Length(rows-1) + vg.Points(2*framePad)
	return newComposite(w, h, s.Title, plots, entries, cols), nil
}

// composite is a laid-out figure: its axes blocks, its legend and where each goes.
type composite struct {
	plots   []*gplot.Plot
	entries []legendEntry
	frame   frame
}

// newComposite lays plots out in cols columns in a w x h region under title,
// with the legend (entries merged by label) outside that region.
func newComposite(w, h vg.Length, title string, plots []*gplot.Plot, entries []legendEntry, cols int) *composite {
	seen := map[string]bool{}
	var uniq []legendEntry
	for _, e := range entries {
		if !seen[e.label] {
			seen[e.label] = true
			uniq = append(uniq, e)
		}
	}
	f := layoutFrame(w, h, title, uniq, len(plots), cols)
	for i, p := range plots {
		f.Panels[i].Max.X -= overhang(p, f.Panels[i])
	}
	return &composite{plots: plots, entries: uniq, frame: f}
}

// overhang is how far p's right-most X tick label would reach past the right
// edge of panel (0 when it does not).
func overhang(p *gplot.Plot, panel vg.Rectangle) vg.Length {
	return max(0, tickLabelRight(p, panel)-panel.Max.X)
}

// tickLabelRight is the right end of p's right-most X tick label when p is drawn
// in panel. gonum/plot centres tick labels on their ticks and makes just enough
// room for the last one, with no margin, so a canvas edge right there cuts its
// glyphs (rightPad keeps that margin).
func tickLabelRight(p *gplot.Plot, panel vg.Rectangle) vg.Length {
	da := dataArea(p, panel)
	right := da.Max.X
	for _, t := range p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max) {
		if t.Label == "" || t.Value < p.X.Min || t.Value > p.X.Max {
			continue
		}
		x := da.Min.X + vg.Length(p.X.Norm(t.Value))*da.Size().X
		w := p.X.Tick.Label.Width(t.Label)
		switch {
		case p.X.Tick.Label.Rotation != 0: // turned labels end at their tick
			right = max(right, x)
		default:
			right = max(right, x+w/2)
		}
	}
	return right
}

func (c *composite) figure(name string) *Figure {
	f := newFigure(name, c.frame.Width, c.frame.Height, func(dc draw.Canvas) { drawFrame(dc, c.frame, c.plots, c.entries) })
	return f
}

// sizeOr returns v, or def when v is zero.
func sizeOr(v, def vg.Length) vg.Length {
	if v == 0 {
		return def
	}
	return v
}

// nopCanvas measures without drawing.
type nopCanvas = recorder.Canvas

// defaultCols puts up to four panels in one row and lays more out near square.
func defaultCols(n int) int {
	if n <= 4 {
		return n
	}
	return int(math.Ceil(math.Sqrt(float64(n))))
}

// kindOrder ranks the task kinds that have fixed colours; other kinds follow.
var kindOrder = map[string]int{"structural": 0, "lexical": 1, "semantic": 2, "control": 3}

// PanelsByKind splits series into one panel per task kind (kinds[i] is the kind
// of series[i]), ordered structural, lexical, semantic, control, then other kinds
// in order of first appearance. Each panel copies base (labels, Y range,
// reference lines, X ticks), takes the kind as its Title and holds that kind's
// series in their given order.
func PanelsByKind(base LinesSpec, series []Series, kinds []string) ([]LinesSpec, error) {
	if len(kinds) != len(series) {
		return nil, fmt.Errorf("plot: %s: PanelsByKind: %d kinds for %d series", base.Name, len(kinds), len(series))
	}
	var order []string
	by := map[string][]Series{}
	for i, k := range kinds {
		if _, ok := by[k]; !ok {
			order = append(order, k)
		}
		by[k] = append(by[k], series[i])
	}
	rank := func(k string) int {
		if r, ok := kindOrder[k]; ok {
			return r
		}
		return len(kindOrder)
	}
	slices.SortStableFunc(order, func(a, b string) int { return rank(a) - rank(b) })
	out := make([]LinesSpec, len(order))
	for i, k := range order {
		p := base
		p.Title, p.Series = k, by[k]
		out[i] = p
	}
	return out, nil
}
