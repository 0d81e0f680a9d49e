package nb

import (
	"bytes"
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// PlotDPI is the resolution of the PNG that Plot renders: 144 dots per inch, sharp
// on high-density screens, as pkg/plot's figures.
const PlotDPI = 144

// Plot shows a gonum plot of size w x h inline, as PNG and SVG (see Figure).
func Plot(p *plot.Plot, w, h vg.Length) error {
	if p == nil {
		return fmt.Errorf("nb: Plot: nil plot")
	}
	if w <= 0 || h <= 0 {
		return fmt.Errorf("nb: Plot: size %vx%v must be positive", w, h)
	}
	return Figure(gonumFigure{p: p, w: w, h: h})
}

// gonumFigure renders a gonum plot as a Renderer.
type gonumFigure struct {
	p    *plot.Plot
	w, h vg.Length
}

func (g gonumFigure) PNG() (b []byte, err error) {
	defer recoverDraw(&err)
	c := vgimg.NewWith(vgimg.UseWH(g.w, g.h), vgimg.UseDPI(PlotDPI), vgimg.UseBackgroundColor(color.White))
	g.p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (g gonumFigure) SVG() (b []byte, err error) {
	defer recoverDraw(&err)
	c := vgsvg.New(g.w, g.h)
	dc := draw.New(c)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	g.p.Draw(dc)
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// recoverDraw turns a panic while drawing (gonum plot panics on some bad data) into
// an error.
func recoverDraw(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("nb: drawing the plot panicked: %v", r)
	}
}
