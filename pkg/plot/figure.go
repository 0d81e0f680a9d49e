package plot

import (
	"bytes"
	"fmt"
	"image/color"
	"os"
	"path/filepath"

	"github.com/ifprobe/ifprobe/pkg/atomicfile"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Figure is a drawable figure with a file name stem and a size.
type Figure struct {
	Name          string    // file name stem, e.g. "transfer_heatmap"
	Width, Height vg.Length // size; PNG is rendered at DPI
	DPI           int       // PNG resolution (default 144)
	draw          func(c draw.Canvas)
}

// newFigure wraps a draw function; w, h default to 6x4 inches.
func newFigure(name string, w, h vg.Length, fn func(c draw.Canvas)) *Figure {
	if w == 0 {
		w = 6 * vg.Inch
	}
	if h == 0 {
		h = 4 * vg.Inch
	}
	return &Figure{Name: name, Width: w, Height: h, DPI: 144, draw: fn}
}

// PNG renders the figure as PNG bytes.
func (f *Figure) PNG() (b []byte, err error) {
	defer recoverTo(&err, f.Name)
	dpi := f.DPI
	if dpi <= 0 {
		dpi = 144
	}
	c := vgimg.NewWith(vgimg.UseWH(f.Width, f.Height), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))
	f.draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("plot: %s: encode PNG: %w", f.Name, err)
	}
	return buf.Bytes(), nil
}

// SVG renders the figure as SVG bytes.
func (f *Figure) SVG() (b []byte, err error) {
	defer recoverTo(&err, f.Name)
	c := vgsvg.New(f.Width, f.Height)
	dc := draw.New(c)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	f.draw(dc)
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("plot: %s: encode SVG: %w", f.Name, err)
	}
	return buf.Bytes(), nil
}

// Save writes dir/Name.png, then dir/Name.svg (creating dir), and returns their
// paths in that order.
func (f *Figure) Save(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("plot: %s: %w", f.Name, err)
	}
	png, err := f.PNG()
	if err != nil {
		return nil, err
	}
	svg, err := f.SVG()
	if err != nil {
		return nil, err
	}
	// PNG then SVG, always: the order of the files written (and listed) is part of
	// what a rerun must repeat.
	var paths []string
	for _, out := range []struct {
		ext  string
		data []byte
	}{{".png", png}, {".svg", svg}} {
		p := filepath.Join(dir, f.Name+out.ext)
		if err := atomicfile.WriteFile(p, out.data); err != nil {
			return nil, fmt.Errorf("plot: %s: %w", f.Name, err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// recoverTo turns a drawing panic (gonum/plot panics on some degenerate inputs
// that validation did not foresee) into an error, so none escapes the package.
func recoverTo(err *error, name string) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("plot: %s: drawing failed: %v", name, r)
	}
}
