package plot

import (
	"fmt"
	"image/color"
	"math"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Tree is a binary merge tree in SciPy's linkage convention: leaves are 0..n-1
// and merge i creates node n+i from Merges[i][0] and Merges[i][1] at Heights[i].
type Tree struct {
	Merges  [][2]int
	Heights []float64
}

// Leaves returns the leaf order of a depth-first walk from the root (left child
// first): the order in which a dendrogram lists its leaves.
func (t Tree) Leaves() []int {
	n := len(t.Merges) + 1
	var order []int
	var walk func(node int)
	walk = func(node int) {
		if node < n {
			order = append(order, node)
			return
		}
		m := t.Merges[node-n]
		walk(m[0])
		walk(m[1])
	}
	walk(2*n - 2)
	return order
}

func (t Tree) validate(n int) error {
	if len(t.Merges) != n-1 || len(t.Heights) != n-1 {
		return fmt.Errorf("tree has %d merges and %d heights for %d leaves (want %d)", len(t.Merges), len(t.Heights), n, n-1)
	}
	used := make([]bool, 2*n-1)
	for i, m := range t.Merges {
		for _, c := range m {
			if c < 0 || c >= n+i || used[c] {
				return fmt.Errorf("merge %d: child %d is out of range or reused", i, c)
			}
			used[c] = true
		}
	}
	return nil
}

// HeatmapSpec describes a matrix drawn as coloured cells, optionally reordered
// and topped by a dendrogram.
type HeatmapSpec struct {
	Name, Title    string
	XLabel, YLabel string      // e.g. "test task", "train task"
	RowLabels      []string    // len = rows
	ColLabels      []string    // len = columns
	Values         [][]float64 // [row][col]; NaN cells are drawn grey
	Min, Max       float64     // colour range; default: the data range
	Diverging      bool        // blue-white-red around Center instead of a sequential map
	Center         float64
	Annotate       bool   // print each value in its cell
	Format         string // value format for annotations and the colour bar, default "%.2f"
	// Lo, Hi, when set (same shape as Values), are each cell's confidence
	// interval, printed as "[lo, hi]" under the annotated value. Where the cells
	// are too small to hold it, a note under the title says so instead.
	Lo, Hi [][]float64
	// Tree, when set, orders rows and columns by its leaves (square matrices only)
	// and draws the dendrogram above the columns.
	Tree          *Tree
	Width, Height vg.Length
}

func (s *HeatmapSpec) validate() error {
	r := len(s.Values)
	if r == 0 || len(s.RowLabels) != r {
		return fmt.Errorf("plot: %s: HeatmapSpec has %d rows and %d RowLabels", s.Name, r, len(s.RowLabels))
	}
	for i, row := range s.Values {
		if len(row) != len(s.ColLabels) || len(row) == 0 {
			return fmt.Errorf("plot: %s: HeatmapSpec.Values[%d] has %d columns, ColLabels %d", s.Name, i, len(row), len(s.ColLabels))
		}
	}
	if (s.Lo == nil) != (s.Hi == nil) {
		return fmt.Errorf("plot: %s: HeatmapSpec.Lo and Hi must both be set or both nil", s.Name)
	}
	for _, m := range []struct {
		name string
		v    [][]float64
	}{{"Lo", s.Lo}, {"Hi", s.Hi}} {
		if m.v == nil {
			continue
		}
		if len(m.v) != r {
			return fmt.Errorf("plot: %s: HeatmapSpec.%s has %d rows, Values %d", s.Name, m.name, len(m.v), r)
		}
		for i, row := range m.v {
			if len(row) != len(s.Values[i]) {
				return fmt.Errorf("plot: %s: HeatmapSpec.%s[%d] has %d columns, Values %d", s.Name, m.name, i, len(row), len(s.Values[i]))
			}
		}
	}
	if s.Tree != nil {
		if r != len(s.ColLabels) {
			return fmt.Errorf("plot: %s: a Tree needs a square matrix (got %dx%d)", s.Name, r, len(s.ColLabels))
		}
		if err := s.Tree.validate(r); err != nil {
			return fmt.Errorf("plot: %s: HeatmapSpec.Tree: %w", s.Name, err)
		}
	}
	if s.Format == "" {
		s.Format = "%.2f"
	}
	if !(s.Max > s.Min) {
		s.Min, s.Max = dataRange(s.Values)
		if s.Diverging {
			d := math.Max(math.Abs(s.Max-s.Center), math.Abs(s.Min-s.Center))
			if d == 0 {
				d = 1
			}
			s.Min, s.Max = s.Center-d, s.Center+d
		}
	}
	return nil
}

func dataRange(v [][]float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, row := range v {
		for _, x := range row {
			if isFinite(x) {
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
		}
	}
	if lo > hi {
		return 0, 1
	}
	if lo == hi {
		return lo - 0.5, hi + 0.5
	}
	return lo, hi
}

// Heatmap draws a matrix of values as coloured cells with labels, a colour bar and,
// when spec.Tree is set, a dendrogram.
func Heatmap(spec HeatmapSpec) (fig *Figure, err error) {
	defer recoverTo(&err, spec.Name)
	s := spec
	if err := s.validate(); err != nil {
		return nil, err
	}
	order := identity(len(s.Values))
	if s.Tree != nil {
		order = s.Tree.Leaves()
	}
	cols := identity(len(s.ColLabels))
	if s.Tree != nil {
		cols = order
	}
	var cmap palette.ColorMap = sequential()
	if s.Diverging {
		if !(s.Center > s.Min && s.Center < s.Max) {
			return nil, fmt.Errorf("plot: %s: diverging Center %v must lie inside [Min, Max] = [%v, %v]", s.Name, s.Center, s.Min, s.Max)
		}
		d := moreland.SmoothBlueRed()
		d.SetMin(s.Min)
		d.SetMax(s.Max)
		d.SetConvergePoint(s.Center)
		cmap = d
	} else {
		cmap.SetMin(s.Min)
		cmap.SetMax(s.Max)
	}
	w, h := s.Width, s.Height
	if w == 0 {
		w = 7 * vg.Inch
	}
	if h == 0 {
		h = 6 * vg.Inch
	}
	return newFigure(s.Name, w, h, func(c draw.Canvas) { drawHeatmap(c, &s, order, cols, cmap) }), nil
}

// viridisStops are control points of the viridis colour map (van der Walt & Smith,
// matplotlib), perceptually uniform and readable in grey scale.
var viridisStops = []color.Color{
	color.NRGBA{68, 1, 84, 255}, color.NRGBA{59, 82, 139, 255}, color.NRGBA{33, 145, 140, 255},
	color.NRGBA{94, 201, 98, 255}, color.NRGBA{253, 231, 37, 255},
}

func sequential() palette.ColorMap {
	cm, err := moreland.NewLuminance(viridisStops)
	if err != nil { // the stops are constant and ordered by luminance
		panic("plot: viridis stops: " + err.Error())
	}
	return cm
}

func identity(n int) []int {
	o := make([]int, n)
	for i := range o {
		o[i] = i
	}
	return o
}

func textStyle(size vg.Length, xa draw.XAlignment, ya draw.YAlignment) text.Style {
	return text.Style{Color: color.Black, Font: font.From(gplot.DefaultFont, size), XAlign: xa, YAlign: ya, Handler: gplot.DefaultTextHandler}
}

// maxWidth returns the widest rendering of labels in style sty.
func maxWidth(sty text.Style, labels []string) vg.Length {
	var m vg.Length
	for _, l := range labels {
		if w := sty.Width(l); w > m {
			m = w
		}
	}
	return m
}

// heatGeom is where a heatmap's parts go on its canvas.
type heatGeom struct {
	title                    text.Style
	titleLines               []string
	note                     bool      // a "see the table" line under the title
	left, right, bottom, top vg.Length // the cell grid
	dendro                   [2]vg.Length
	cw, ch                   vg.Length // one cell
}

// heatNote is printed under the title when the intervals do not fit the cells.
const heatNote = "intervals do not fit the cells: see the table"

func heatLayout(c draw.Canvas, s *HeatmapSpec, note bool) heatGeom {
	pad := vg.Points(6)
	lab := textStyle(9, draw.XRight, draw.YCenter)
	axis := textStyle(10, draw.XCenter, draw.YBottom)
	colLab := textStyle(9, draw.XRight, draw.YCenter)
	colLab.Rotation = math.Pi / 3
	g := heatGeom{note: note}
	g.top = c.Max.Y - pad
	g.title, g.titleLines = fitTitle(s.Title, c.Max.X-c.Min.X-2*pad)
	for _, l := range g.titleLines {
		g.top -= g.title.Height(l)
	}
	if note {
		g.top -= textStyle(8, draw.XCenter, draw.YTop).Height(heatNote)
	}
	if len(g.titleLines) > 0 || note {
		g.top -= pad
	}
	g.left = c.Min.X + pad + maxWidth(lab, s.RowLabels) + pad
	if s.YLabel != "" {
		g.left += axis.Height(s.YLabel) + pad
	}
	barLab := textStyle(8, draw.XLeft, draw.YCenter)
	g.right = c.Max.X - pad - vg.Points(14) - pad - vg.Points(3) -
		maxWidth(barLab, []string{fmt.Sprintf(s.Format, s.Min), fmt.Sprintf(s.Format, s.Max), fmt.Sprintf(s.Format, (s.Min+s.Max)/2)}) - pad
	g.bottom = c.Min.Y + pad + maxWidth(colLab, s.ColLabels)*vg.Length(math.Sin(math.Pi/3)) + pad
	if s.XLabel != "" {
		g.bottom += axis.Height(s.XLabel) + pad
	}
	if s.Tree != nil {
		dendroH := (g.top - g.bottom) * 0.18
		g.dendro = [2]vg.Length{g.top - dendroH, g.top}
		g.top -= dendroH + pad
	}
	g.cw, g.ch = (g.right-g.left)/vg.Length(len(s.ColLabels)), (g.top-g.bottom)/vg.Length(len(s.Values))
	return g
}

// annStyles are the value and interval text styles for cells of height ch.
func annStyles(ch vg.Length) (val, ci text.Style) {
	val = textStyle(vg.Length(math.Min(9, float64(ch)*0.45)), draw.XCenter, draw.YCenter)
	ci = textStyle(vg.Length(math.Min(7, float64(ch)*0.3)), draw.XCenter, draw.YCenter)
	return val, ci
}

// ciText formats a cell's interval, or "" when it has none.
func ciText(s *HeatmapSpec, r, k int) string {
	if s.Lo == nil || !isFinite(s.Lo[r][k]) || !isFinite(s.Hi[r][k]) {
		return ""
	}
	return "[" + fmt.Sprintf(s.Format, s.Lo[r][k]) + ", " + fmt.Sprintf(s.Format, s.Hi[r][k]) + "]"
}

// cisFit reports whether every cell's interval text fits under its value.
func cisFit(s *HeatmapSpec, g heatGeom) bool {
	val, ci := annStyles(g.ch)
	if val.Height("0")+ci.Height("0")+vg.Points(2) > g.ch*0.9 || ci.Font.Size < 5 {
		return false
	}
	for r := range s.Values {
		for k := range s.Values[r] {
			if ci.Width(ciText(s, r, k)) > g.cw*0.92 {
				return false
			}
		}
	}
	return true
}

func drawHeatmap(c draw.Canvas, s *HeatmapSpec, rows, cols []int, cmap palette.ColorMap) {
	pad := vg.Points(6)
	lab := textStyle(9, draw.XRight, draw.YCenter)
	axis := textStyle(10, draw.XCenter, draw.YBottom)
	colLab := textStyle(9, draw.XRight, draw.YCenter)
	colLab.Rotation = math.Pi / 3

	g := heatLayout(c, s, false)
	showCI := s.Annotate && s.Lo != nil
	if showCI && !cisFit(s, g) {
		g, showCI = heatLayout(c, s, true), false
	}
	y := c.Max.Y - pad
	for _, l := range g.titleLines {
		c.FillText(g.title, vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: y}, l)
		y -= g.title.Height(l)
	}
	if g.note {
		c.FillText(textStyle(8, draw.XCenter, draw.YTop), vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: y}, heatNote)
	}
	left, right, bottom, top, cw, ch := g.left, g.right, g.bottom, g.top, g.cw, g.ch
	if s.Tree != nil {
		drawDendrogram(c, *s.Tree, cols, left, right, g.dendro[0], g.dendro[1])
	}
	ann, ciSty := annStyles(ch)
	for i, r := range rows {
		y0 := top - vg.Length(i+1)*ch
		c.FillText(lab, vg.Point{X: left - pad/2, Y: y0 + ch/2}, s.RowLabels[r])
		for j, k := range cols {
			x0 := left + vg.Length(j)*cw
			v := s.Values[r][k]
			fill := cellColor(cmap, v)
			rect := []vg.Point{{X: x0, Y: y0}, {X: x0 + cw, Y: y0}, {X: x0 + cw, Y: y0 + ch}, {X: x0, Y: y0 + ch}}
			c.FillPolygon(fill, rect)
			if !s.Annotate || !isFinite(v) {
				continue
			}
			ann.Color, ciSty.Color = contrastText(fill), contrastText(fill)
			ci := ""
			if showCI {
				ci = ciText(s, r, k)
			}
			if ci == "" {
				c.FillText(ann, vg.Point{X: x0 + cw/2, Y: y0 + ch/2}, fmt.Sprintf(s.Format, v))
				continue
			}
			h := ann.Height("0") + ciSty.Height("0")
			c.FillText(ann, vg.Point{X: x0 + cw/2, Y: y0 + ch/2 + h/2 - ann.Height("0")/2}, fmt.Sprintf(s.Format, v))
			c.FillText(ciSty, vg.Point{X: x0 + cw/2, Y: y0 + ch/2 - h/2 + ciSty.Height("0")/2}, ci)
		}
	}
	for j, k := range cols {
		c.FillText(colLab, vg.Point{X: left + vg.Length(j)*cw + cw/2, Y: bottom - pad/2}, s.ColLabels[k])
	}
	if s.XLabel != "" {
		c.FillText(axis, vg.Point{X: (left + right) / 2, Y: c.Min.Y + pad}, s.XLabel)
	}
	if s.YLabel != "" {
		yl := axis
		yl.Rotation = math.Pi / 2
		c.FillText(yl, vg.Point{X: c.Min.X + pad + axis.Height(s.YLabel), Y: (top + bottom) / 2}, s.YLabel)
	}
	drawColorBar(c, cmap, s.Format, right+pad, right+pad+vg.Points(14), bottom, top)
}

func cellColor(cmap palette.ColorMap, v float64) color.Color {
	if !isFinite(v) {
		return color.Gray{200}
	}
	v = math.Max(cmap.Min(), math.Min(cmap.Max(), v))
	col, err := cmap.At(v)
	if err != nil {
		return color.Gray{200}
	}
	return col
}

// contrastText picks black or white text for legibility on fill.
func contrastText(fill color.Color) color.Color {
	r, g, b, _ := fill.RGBA()
	if 0.299*float64(r)+0.587*float64(g)+0.114*float64(b) > 0.55*65535 {
		return color.Black
	}
	return color.White
}

func drawColorBar(c draw.Canvas, cmap palette.ColorMap, format string, x0, x1, y0, y1 vg.Length) {
	const steps = 64
	h := (y1 - y0) / steps
	for i := 0; i < steps; i++ {
		v := cmap.Min() + (cmap.Max()-cmap.Min())*(float64(i)+0.5)/steps
		y := y0 + vg.Length(i)*h
		c.FillPolygon(cellColor(cmap, v), []vg.Point{{X: x0, Y: y}, {X: x1, Y: y}, {X: x1, Y: y + h}, {X: x0, Y: y + h}})
	}
	lab := textStyle(8, draw.XLeft, draw.YCenter)
	for _, f := range []float64{0, 0.5, 1} {
		v := cmap.Min() + (cmap.Max()-cmap.Min())*f
		c.FillText(lab, vg.Point{X: x1 + vg.Points(3), Y: y0 + (y1-y0)*vg.Length(f)}, fmt.Sprintf(format, v))
	}
}

// drawDendrogram draws t's merges as brackets over columns laid out in leaf order.
func drawDendrogram(c draw.Canvas, t Tree, leaves []int, left, right, y0, y1 vg.Length) {
	n := len(leaves)
	cw := (right - left) / vg.Length(n)
	xs := make([]vg.Length, 2*n-1)
	hs := make([]float64, 2*n-1)
	for pos, leaf := range leaves {
		xs[leaf] = left + vg.Length(pos)*cw + cw/2
	}
	maxH := 0.0
	for _, h := range t.Heights {
		maxH = math.Max(maxH, h)
	}
	if maxH == 0 {
		maxH = 1
	}
	y := func(h float64) vg.Length { return y0 + (y1-y0)*vg.Length(h/maxH) }
	sty := draw.LineStyle{Color: color.Gray{60}, Width: vg.Points(1)}
	for i, m := range t.Merges {
		node := n + i
		a, b := m[0], m[1]
		hs[node] = t.Heights[i]
		xs[node] = (xs[a] + xs[b]) / 2
		top := y(hs[node])
		c.StrokeLines(sty, []vg.Point{{X: xs[a], Y: y(hs[a])}, {X: xs[a], Y: top}, {X: xs[b], Y: top}, {X: xs[b], Y: y(hs[b])}})
	}
}
