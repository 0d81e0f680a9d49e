package plot

import (
	"math"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Layout constants, in points. The legend and title sizes are those of a printed
// figure read at 100%: smaller than gonum/plot's 12pt defaults, which crowd a 6in
// canvas.
const (
	framePad     = 6  // margin around everything and between blocks
	rightPad     = 12 // extra right margin so the last X tick label is never cut
	titleSize    = 12 // largest title font; shrinks to titleMinSize to fit, then wraps
	titleMinSize = 10
	legendSize   = 9  // legend text
	legendKey    = 22 // width of a legend key (line, band or bar swatch)
	legendGap    = 4  // between key and text, and between legend columns
	panelGap     = 10 // between small multiples
	// A right-hand legend may take at most this share of the plot width; beyond
	// it the legend goes below the plot in as many columns as fit.
	legendMaxShare = 0.45
)

// legendEntry is one legend row: a label and the keys drawn one over another.
type legendEntry struct {
	label  string
	thumbs []gplot.Thumbnailer
}

// frame is the computed layout of a figure on its canvas: where the title,
// the panels (each an axes block handed to gonum/plot) and the legend go. All
// rectangles are in canvas coordinates with the origin at the bottom left.
type frame struct {
	Width, Height vg.Length // of the whole canvas, legend included
	TitleLines    []string
	TitleStyle    text.Style
	TitleTop      vg.Length // baseline region top of the first title line
	Panels        []vg.Rectangle
	Legend        vg.Rectangle   // zero when there is no legend
	LegendBelow   bool           // legend under the panels rather than to their right
	LegendRows    []vg.Rectangle // one per entry: key and text
	LegendLines   [][]string     // each entry's label, wrapped when wider than the canvas
	legendStyle   text.Style
}

// layoutFrame places a title, n panels in cols columns and a legend on a canvas
// whose plot region is w x h. The legend never overlaps a panel: it is placed to
// the right (the canvas widens by its width) or, when it would take more than
// legendMaxShare of w, below (the canvas grows by its height). The title shrinks
// and then wraps to fit the canvas width.
func layoutFrame(w, h vg.Length, title string, entries []legendEntry, n, cols int) frame {
	f := frame{legendStyle: textStyle(legendSize, draw.XLeft, draw.YCenter)}
	pad := vg.Points(framePad)
	lineH := f.legendStyle.Height("Mg")
	rowH := lineH * 1.3
	keyW := vg.Points(legendKey + legendGap)
	colGap := vg.Points(3 * legendGap)
	entryW := vg.Length(0)
	for _, e := range entries {
		entryW = max(entryW, keyW+f.legendStyle.Width(e.label))
	}
	f.Width, f.Height = w, h
	var legH vg.Length
	var rowHeights []vg.Length // below: height of each legend row
	ncol := 1
	if len(entries) > 0 {
		if legW := entryW + 2*pad; legW <= w*legendMaxShare {
			f.Width += legW
			for _, e := range entries {
				f.LegendLines = append(f.LegendLines, []string{e.label})
			}
		} else {
			// Below, in as many columns as fit; a label wider than the canvas wraps.
			f.LegendBelow = true
			avail := w - 2*pad
			entryW = min(entryW, avail)
			ncol = max(1, int((avail+colGap)/(entryW+colGap)))
			for i, e := range entries {
				lines := []string{e.label}
				if keyW+f.legendStyle.Width(e.label) > avail {
					lines = wrapWords(f.legendStyle, e.label, avail-keyW)
				}
				f.LegendLines = append(f.LegendLines, lines)
				rh := rowH + vg.Length(len(lines)-1)*lineH
				if i%ncol == 0 {
					rowHeights = append(rowHeights, rh)
				}
				rowHeights[len(rowHeights)-1] = max(rowHeights[len(rowHeights)-1], rh)
			}
			for _, rh := range rowHeights {
				legH += rh
			}
			legH += 2 * pad
			f.Height += legH
		}
	}
	f.TitleStyle, f.TitleLines = fitTitle(title, f.Width-2*pad)
	top := f.Height - pad
	f.TitleTop = top
	if len(f.TitleLines) > 0 {
		top -= vg.Length(len(f.TitleLines))*f.TitleStyle.Height("Mg") + pad
	}
	left, right, bottom := pad, w-vg.Points(rightPad), pad
	if f.LegendBelow {
		bottom += legH
	}
	f.Panels = gridCells(vg.Rectangle{Min: vg.Point{X: left, Y: bottom}, Max: vg.Point{X: right, Y: top}}, n, cols)
	if len(entries) == 0 {
		return f
	}
	if f.LegendBelow {
		f.Legend = vg.Rectangle{Min: vg.Point{X: pad, Y: pad}, Max: vg.Point{X: f.Width - pad, Y: legH - pad}}
		y := f.Legend.Max.Y
		for i := range entries {
			c, r := i%ncol, i/ncol
			if c == 0 && r > 0 {
				y -= rowHeights[r-1]
			}
			x := f.Legend.Min.X + vg.Length(c)*(entryW+colGap)
			f.LegendRows = append(f.LegendRows, vg.Rectangle{Min: vg.Point{X: x, Y: y - rowHeights[r]}, Max: vg.Point{X: x + entryW, Y: y}})
		}
		return f
	}
	// To the right, top-aligned with the panels.
	f.Legend = vg.Rectangle{Min: vg.Point{X: w + pad, Y: top - vg.Length(len(entries))*rowH}, Max: vg.Point{X: w + pad + entryW, Y: top}}
	for i := range entries {
		y := top - vg.Length(i+1)*rowH
		f.LegendRows = append(f.LegendRows, vg.Rectangle{Min: vg.Point{X: f.Legend.Min.X, Y: y}, Max: vg.Point{X: f.Legend.Min.X + entryW, Y: y + rowH}})
	}
	return f
}

// gridCells splits r into n cells in cols columns, row by row from the top.
func gridCells(r vg.Rectangle, n, cols int) []vg.Rectangle {
	if n <= 0 {
		return nil
	}
	cols = max(1, min(cols, n))
	rows := (n + cols - 1) / cols
	gap := vg.Points(panelGap)
	cw := (r.Size().X - vg.Length(cols-1)*gap) / vg.Length(cols)
	ch := (r.Size().Y - vg.Length(rows-1)*gap) / vg.Length(rows)
	out := make([]vg.Rectangle, n)
	for i := range out {
		c, rw := i%cols, i/cols
		x := r.Min.X + vg.Length(c)*(cw+gap)
		y := r.Max.Y - vg.Length(rw+1)*ch - vg.Length(rw)*gap
		out[i] = vg.Rectangle{Min: vg.Point{X: x, Y: y}, Max: vg.Point{X: x + cw, Y: y + ch}}
	}
	return out
}

// fitTitle picks the largest font from titleSize down to titleMinSize at which
// title fits in width, and wraps it at spaces when even the smallest does not.
func fitTitle(title string, width vg.Length) (text.Style, []string) {
	if title == "" {
		return textStyle(titleSize, draw.XCenter, draw.YTop), nil
	}
	for size := vg.Length(titleSize); size >= titleMinSize; size-- {
		sty := textStyle(size, draw.XCenter, draw.YTop)
		if sty.Width(title) <= width {
			return sty, []string{title}
		}
	}
	sty := textStyle(titleMinSize, draw.XCenter, draw.YTop)
	return sty, wrapWords(sty, title, width)
}

// wrapWords breaks s at spaces into lines no wider than width (a single word
// wider than width gets a line of its own).
func wrapWords(sty text.Style, s string, width vg.Length) []string {
	var lines []string
	cur := ""
	for _, w := range strings.Fields(s) {
		try := strings.TrimSpace(cur + " " + w)
		if cur != "" && sty.Width(try) > width {
			lines = append(lines, cur)
			cur = w
			continue
		}
		cur = try
	}
	return append(lines, cur)
}

// drawFrame draws the title, each panel's plot and the legend of f on c.
func drawFrame(c draw.Canvas, f frame, plots []*gplot.Plot, entries []legendEntry) {
	at := func(r vg.Rectangle) draw.Canvas {
		return draw.Canvas{Canvas: c.Canvas, Rectangle: r.Add(c.Min)}
	}
	y := c.Min.Y + f.TitleTop
	for _, l := range f.TitleLines {
		c.FillText(f.TitleStyle, vg.Point{X: c.Min.X + f.Width/2, Y: y}, l)
		y -= f.TitleStyle.Height("Mg")
	}
	for i, p := range plots {
		p.Draw(at(f.Panels[i]))
	}
	lineH := f.legendStyle.Height("Mg")
	for i, e := range entries {
		r := f.LegendRows[i].Add(c.Min)
		mid := r.Max.Y - lineH*1.3/2 // the key sits level with the first line
		kh := min(lineH*0.9, vg.Points(8))
		key := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: r.Min.X, Y: mid - kh/2}, Max: vg.Point{X: r.Min.X + vg.Points(legendKey), Y: mid + kh/2}}}
		for _, t := range e.thumbs {
			t.Thumbnail(&key)
		}
		for k, l := range f.LegendLines[i] {
			c.FillText(f.legendStyle, vg.Point{X: r.Min.X + vg.Points(legendKey+legendGap), Y: mid - vg.Length(k)*lineH}, l)
		}
	}
}

// dataArea returns the rectangle gonum/plot draws p's data into when p is drawn
// in panel (frame coordinates): what a legend must never cover.
func dataArea(p *gplot.Plot, panel vg.Rectangle) vg.Rectangle {
	c := draw.Canvas{Canvas: &nopCanvas{}, Rectangle: panel}
	return p.DataCanvas(c).Rectangle
}

// valueRange returns [lo, hi] covering want (when want[1] > want[0]) and every
// finite value in vals, with a 3% margin added on a side only where data, not
// the wanted range, set the bound. Data are never left outside the range: a
// fixed range in a spec is a preference that data widen.
func valueRange(want [2]float64, vals ...[]float64) (lo, hi float64) {
	dlo, dhi := math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		for _, x := range v {
			if isFinite(x) {
				dlo, dhi = math.Min(dlo, x), math.Max(dhi, x)
			}
		}
	}
	fixed := want[1] > want[0]
	if dlo > dhi { // no data
		if fixed {
			return want[0], want[1]
		}
		return 0, 1
	}
	span := dhi - dlo
	if fixed {
		span = math.Max(span, want[1]-want[0])
	}
	if span == 0 {
		span = math.Max(math.Abs(dhi), 1)
	}
	m := 0.03 * span
	lo, hi = dlo-m, dhi+m
	if fixed {
		if want[0] <= dlo {
			lo = want[0]
		}
		if want[1] >= dhi {
			hi = want[1]
		}
	}
	return lo, hi
}
