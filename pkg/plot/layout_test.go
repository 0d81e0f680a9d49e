package plot

import (
	"bytes"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// layoutTol is the slack allowed in layout comparisons, in points: far below one
// pixel at 144 DPI (1px = 0.5pt).
const layoutTol = 0.01

// overlaps reports whether rectangles a and b share an area of positive size.
func overlaps(a, b vg.Rectangle) bool {
	return a.Min.X < b.Max.X-layoutTol && b.Min.X < a.Max.X-layoutTol &&
		a.Min.Y < b.Max.Y-layoutTol && b.Min.Y < a.Max.Y-layoutTol
}

// inside reports whether r lies within [0, w] x [0, h].
func inside(r vg.Rectangle, w, h vg.Length) bool {
	return r.Min.X >= -layoutTol && r.Min.Y >= -layoutTol && r.Max.X <= w+layoutTol && r.Max.Y <= h+layoutTol
}

func ramp(n int, lo, hi float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = lo + (hi-lo)*float64(i)/float64(n-1)
	}
	return v
}

// layoutCases are the figures whose layout the tests check: one line plot with
// long labels (the layers figure before panels had nine), bars, small multiples,
// and a legend too wide to sit beside the plot.
func layoutCases(t *testing.T) map[string]*composite {
	t.Helper()
	x := ramp(30, 1.0/30, 1)
	long := func(i int) Series {
		y := ramp(30, 0.1+0.05*float64(i), 0.9)
		return Series{Label: strings.Repeat("forbidden_word ", 2) + "(lexical)" + string(rune('a'+i)), X: x, Y: y, Lo: shift(y, -0.1), Hi: shift(y, 0.1)}
	}
	out := map[string]*composite{}
	var err error
	if out["lines"], err = linesComposite(LinesSpec{Name: "lines", Title: "smollm2-135m-instruct: probe AUROC by depth at eos (dots: onset >= 0.70)",
		XLabel: "normalised depth (layer+1)/L", YLabel: "AUROC", YMin: 0.3, YMax: 1.02, HLines: []float64{0.5, 0.7},
		Series: []Series{long(0), long(1), long(2), long(3)}}); err != nil {
		t.Fatal(err)
	}
	if out["bars"], err = barsComposite(BarsSpec{Name: "bars", Title: "specialist vs general", YLabel: "AUROC",
		Categories: []string{"include_keyword", "forbidden_word", "sentiment"}, YMin: 0, YMax: 1.08,
		Groups: []BarGroup{
			{Label: "specialist (one task)", Values: []float64{0.85, 0.83, 0.6}, Lo: []float64{0.7, 0.65, 0.4}, Hi: []float64{0.95, 0.97, 0.8}},
			{Label: "general (all tasks pooled)", Values: []float64{0.4, 0.75, 0.5}},
		}}); err != nil {
		t.Fatal(err)
	}
	if out["panels"], err = panelsComposite(PanelsSpec{Name: "panels", Title: "by kind",
		Panels: []LinesSpec{
			{Title: "structural", XLabel: "depth", YLabel: "AUROC", Series: []Series{long(0), long(1)}, YMin: 0.3, YMax: 1},
			{Title: "lexical", XLabel: "depth", YLabel: "AUROC", Series: []Series{long(2)}, YMin: 0.3, YMax: 1},
			{Title: "semantic", XLabel: "depth", YLabel: "AUROC", Series: []Series{long(3)}, YMin: 0.3, YMax: 1},
			{Title: "control", XLabel: "depth", YLabel: "AUROC", Series: []Series{long(0)}, YMin: 0.3, YMax: 1},
			{Title: "other", XLabel: "depth", YLabel: "AUROC", Series: []Series{long(1)}, YMin: 0.3, YMax: 1},
		}}); err != nil {
		t.Fatal(err)
	}
	wide := long(0)
	wide.Label = strings.Repeat("a very long legend label ", 6)
	if out["legend_below"], err = linesComposite(LinesSpec{Name: "legend_below", Series: []Series{wide, long(1)}}); err != nil {
		t.Fatal(err)
	}
	return out
}

func shift(v []float64, d float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = x + d
	}
	return out
}

// The legend never covers data: its rectangle misses every panel's data area, and
// every legend row (key and text, measured with the text's font) lies on the canvas.
func TestLegendOutsideData(t *testing.T) {
	for name, c := range layoutCases(t) {
		f := c.frame
		if len(c.entries) == 0 || len(f.LegendRows) != len(c.entries) {
			t.Fatalf("%s: %d legend rows for %d entries", name, len(f.LegendRows), len(c.entries))
		}
		for i, p := range c.plots {
			da := dataArea(p, f.Panels[i])
			if overlaps(f.Legend, da) {
				t.Errorf("%s: legend %v overlaps the data area %v of panel %d", name, f.Legend, da, i)
			}
			for j, r := range f.LegendRows {
				if overlaps(r, da) {
					t.Errorf("%s: legend row %d %v overlaps panel %d's data area %v", name, j, r, i, da)
				}
			}
		}
		for j, r := range f.LegendRows {
			textRight := r.Min.X + vg.Points(legendKey+legendGap) + maxWidth(f.legendStyle, f.LegendLines[j])
			if !inside(r, f.Width, f.Height) || textRight > f.Width-layoutTol {
				t.Errorf("%s: legend row %d %v (text ends at %v) leaves the %vx%v canvas", name, j, r, textRight, f.Width, f.Height)
			}
		}
	}
}

// A legend wider than legendMaxShare of the plot goes below it and the canvas
// grows taller, not wider.
func TestLegendBelowWhenWide(t *testing.T) {
	c := layoutCases(t)["legend_below"]
	if !c.frame.LegendBelow {
		t.Fatal("a legend wider than the plot stayed to its right")
	}
	if c.frame.Width != 6*vg.Inch || c.frame.Height <= 4*vg.Inch {
		t.Errorf("canvas %vx%v: want width 6in and height above 4in", c.frame.Width, c.frame.Height)
	}
	if c.frame.Legend.Max.Y > c.frame.Panels[0].Min.Y+layoutTol {
		t.Errorf("legend top %v above the plot bottom %v", c.frame.Legend.Max.Y, c.frame.Panels[0].Min.Y)
	}
}

// Panels never overlap one another or the title, and panels in one row have their
// data areas at the same height (blank axis labels keep the room).
func TestPanelsLayout(t *testing.T) {
	c := layoutCases(t)["panels"]
	f := c.frame
	if len(f.Panels) != 5 {
		t.Fatalf("%d panels, want 5", len(f.Panels))
	}
	titleBottom := f.TitleTop - vg.Length(len(f.TitleLines))*f.TitleStyle.Height("Mg")
	for i, a := range f.Panels {
		if !inside(a, f.Width, f.Height) || a.Max.Y > titleBottom+layoutTol {
			t.Errorf("panel %d %v leaves the canvas or reaches the title (bottom %v)", i, a, titleBottom)
		}
		for j := i + 1; j < len(f.Panels); j++ {
			if overlaps(a, f.Panels[j]) {
				t.Errorf("panels %d and %d overlap: %v %v", i, j, a, f.Panels[j])
			}
		}
	}
	cols := defaultCols(5) // 3: rows {0,1,2} and {3,4}
	for i := 1; i < len(c.plots); i++ {
		if i%cols == 0 {
			continue
		}
		a, b := dataArea(c.plots[i-1], f.Panels[i-1]), dataArea(c.plots[i], f.Panels[i])
		if math.Abs(float64(a.Min.Y-b.Min.Y)) > layoutTol || math.Abs(float64(a.Max.Y-b.Max.Y)) > layoutTol {
			t.Errorf("panels %d and %d: data areas at different heights: %v, %v", i-1, i, a, b)
		}
	}
	// One shared range: panel 0 holds the lowest band (0.1 - 0.1).
	for i, p := range c.plots {
		if p.Y.Min > 0+layoutTol || p.Y.Min != c.plots[0].Y.Min || p.Y.Max != c.plots[0].Y.Max {
			t.Errorf("panel %d: Y range [%v, %v], want the shared one starting at or below 0", i, p.Y.Min, p.Y.Max)
		}
	}
}

// No X tick label reaches past its panel's right edge, and each keeps at least
// framePad from the canvas edge (gonum/plot centred the last label on the last
// tick with no margin, and the canvas edge cut the "0" of "1.0").
func TestLastTickLabelFits(t *testing.T) {
	for name, c := range layoutCases(t) {
		for i, p := range c.plots {
			r := tickLabelRight(p, c.frame.Panels[i])
			if r > c.frame.Panels[i].Max.X+layoutTol || r > c.frame.Width-vg.Points(framePad) {
				t.Errorf("%s: panel %d: X tick labels end at %v: panel ends at %v, canvas at %v", name, i, r, c.frame.Panels[i].Max.X, c.frame.Width)
			}
		}
	}
}

// A fixed Y range is widened to take in data below or above it: a point below
// YMin, and a band below that, stay inside the drawn range.
func TestYRangeKeepsData(t *testing.T) {
	c, err := linesComposite(LinesSpec{Name: "f", YMin: 0.3, YMax: 1.02, Series: []Series{
		{Label: "sentiment", X: []float64{0, 1, 2}, Y: []float64{0.5, 0.24, 0.6}, Lo: []float64{0.4, 0.1, 0.5}, Hi: []float64{0.6, 0.35, 0.7}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	p := c.plots[0]
	if p.Y.Min > 0.1 || p.Y.Max < 1.02 {
		t.Errorf("Y range [%v, %v] does not take in the band's 0.1 and the wanted 1.02", p.Y.Min, p.Y.Max)
	}
	b, err := barsComposite(BarsSpec{Name: "b", YMin: 0, YMax: 1, Categories: []string{"a"},
		Groups: []BarGroup{{Label: "g", Values: []float64{0.9}, Lo: []float64{0.8}, Hi: []float64{1.2}}}})
	if err != nil {
		t.Fatal(err)
	}
	if q := b.plots[0]; q.Y.Min != 0 || q.Y.Max < 1.2 {
		t.Errorf("bars: Y range [%v, %v], want [0, >= 1.2]", q.Y.Min, q.Y.Max)
	}
}

func TestValueRange(t *testing.T) {
	// Expected values worked by hand: margin = 3% of the larger of the data span
	// and the wanted span, added only on a side the data set.
	const tol = 1e-12
	nan := math.NaN()
	cases := []struct {
		want   [2]float64
		vals   []float64
		lo, hi float64
	}{
		{[2]float64{0.3, 1.02}, []float64{0.5, 0.9}, 0.3, 1.02},                 // 0: data inside: the wanted range
		{[2]float64{0.3, 1.02}, []float64{0.24, 0.9}, 0.24 - 0.03*0.72, 1.02},   // 1: below YMin: widened with a margin
		{[2]float64{0, 1}, []float64{0.5, 1.2}, 0, 1.2 + 0.03*1},                // 2: above YMax
		{[2]float64{}, []float64{0.2, 0.6, nan}, 0.2 - 0.012, 0.6 + 0.012},      // 3: no wanted range, NaN ignored
		{[2]float64{}, []float64{nan}, 0, 1},                                    // 4: no data
		{[2]float64{0.3, 1}, nil, 0.3, 1},                                       // 5: no data, wanted range
		{[2]float64{}, []float64{2, 2}, 2 - 0.06, 2 + 0.06},                     // 6: one value: margin from its size
		{[2]float64{1, 0}, []float64{0.1, 0.3}, 0.1 - 0.03*0.2, 0.3 + 0.03*0.2}, // 7: YMax <= YMin means no wanted range
	}
	for i, c := range cases {
		lo, hi := valueRange(c.want, c.vals)
		if math.Abs(lo-c.lo) > tol || math.Abs(hi-c.hi) > tol {
			t.Errorf("case %d: got [%v, %v], want [%v, %v]", i, lo, hi, c.lo, c.hi)
		}
	}
}

// A title wider than the canvas shrinks, then wraps; no line is wider than the canvas.
func TestTitleFits(t *testing.T) {
	long := strings.Repeat("smollm2-135m-instruct: specialist vs general probe AUROC by depth ", 3)
	for _, w := range []vg.Length{200, 432, 900} {
		sty, lines := fitTitle(long, w)
		if len(lines) == 0 {
			t.Fatalf("width %v: no title lines", w)
		}
		if got, want := strings.Fields(strings.Join(lines, " ")), strings.Fields(long); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("width %v: wrapping lost words: %q", w, got)
		}
		for _, l := range lines {
			if sty.Width(l) > w && strings.Contains(l, " ") {
				t.Errorf("width %v: title line %q is %v wide", w, l, sty.Width(l))
			}
		}
	}
	if _, lines := fitTitle("short", 400); len(lines) != 1 {
		t.Errorf("a short title wrapped: %q", lines)
	}
}

func TestTickLabelsCrowd(t *testing.T) {
	sty := textStyle(9, 0, 0)
	pos := []string{"prompt_last", "response_first", "frac:0.25", "frac:0.5", "frac:0.75", "frac:1", "eos"}
	if !tickLabelsCrowd(sty, pos, 230) {
		t.Error("seven position labels in a 230pt panel do not count as crowded")
	}
	if tickLabelsCrowd(sty, []string{"a", "b", "c"}, 432) {
		t.Error("three one-letter labels in 6in count as crowded")
	}
}

func TestPanelsByKind(t *testing.T) {
	s := func(l string) Series { return Series{Label: l, X: []float64{0}, Y: []float64{1}} }
	panels, err := PanelsByKind(LinesSpec{YMin: 0.3, YMax: 1, XLabel: "depth"},
		[]Series{s("topic"), s("lowercase"), s("odd"), s("json"), s("keyword")},
		[]string{"semantic", "structural", "custom", "structural", "lexical"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range panels {
		var ls []string
		for _, se := range p.Series {
			ls = append(ls, se.Label)
		}
		got = append(got, p.Title+":"+strings.Join(ls, ","))
		if p.XLabel != "depth" || p.YMin != 0.3 {
			t.Errorf("panel %q lost the base spec: %+v", p.Title, p)
		}
	}
	want := "structural:lowercase,json lexical:keyword semantic:topic custom:odd"
	if strings.Join(got, " ") != want {
		t.Errorf("got %q, want %q", strings.Join(got, " "), want)
	}
	if _, err := PanelsByKind(LinesSpec{Name: "f"}, []Series{s("a")}, nil); err == nil || !strings.Contains(err.Error(), "0 kinds for 1 series") {
		t.Errorf("mismatched kinds: got %v", err)
	}
}

// Rendering is deterministic: the same spec gives the same bytes.
func TestDeterministic(t *testing.T) {
	render := func() (png, svg []byte) {
		c := layoutCases(t)["panels"]
		f := c.figure("panels")
		png, err := f.PNG()
		if err != nil {
			t.Fatal(err)
		}
		if svg, err = f.SVG(); err != nil {
			t.Fatal(err)
		}
		return png, svg
	}
	p1, s1 := render()
	p2, s2 := render()
	if !bytes.Equal(p1, p2) || !bytes.Equal(s1, s2) {
		t.Error("two renders of one spec differ")
	}
	// Saved in one order, PNG then SVG, every time (it followed map order, so a
	// rerun listed a figure's files in another order than the first run).
	dir := t.TempDir()
	for range 8 {
		paths, err := layoutCases(t)["panels"].figure("panels").Save(dir)
		if err != nil || len(paths) != 2 || filepath.Ext(paths[0]) != ".png" || filepath.Ext(paths[1]) != ".svg" {
			t.Fatalf("Save: %v, %v; want the PNG then the SVG", paths, err)
		}
	}
}

// Interval text is printed only where every cell can hold it: a 4x4 matrix on the
// default 7x6in canvas can, a 40x40 one cannot (and gets the note instead).
func TestHeatmapCIsFit(t *testing.T) {
	spec := func(n int) *HeatmapSpec {
		s := &HeatmapSpec{Name: "h", Annotate: true}
		for i := 0; i < n; i++ {
			s.RowLabels, s.ColLabels = append(s.RowLabels, "task"), append(s.ColLabels, "task")
			row, lo, hi := make([]float64, n), make([]float64, n), make([]float64, n)
			for j := range row {
				row[j], lo[j], hi[j] = 0.55, 0.45, 0.65
			}
			s.Values, s.Lo, s.Hi = append(s.Values, row), append(s.Lo, lo), append(s.Hi, hi)
		}
		if err := s.validate(); err != nil {
			t.Fatal(err)
		}
		return s
	}
	c := draw.Canvas{Canvas: &nopCanvas{}, Rectangle: vg.Rectangle{Max: vg.Point{X: 7 * vg.Inch, Y: 6 * vg.Inch}}}
	if s := spec(4); !cisFit(s, heatLayout(c, s, false)) {
		t.Error("4x4: intervals said not to fit")
	}
	if s := spec(40); cisFit(s, heatLayout(c, s, false)) {
		t.Error("40x40: intervals said to fit")
	}
	s := spec(4)
	if a, b := heatLayout(c, s, false), heatLayout(c, s, true); b.top >= a.top {
		t.Errorf("the note takes no room: grid top %v with it, %v without", b.top, a.top)
	}
}
