package plot

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// distinctColors counts distinct pixel colours in a PNG: a blank or failed render
// has one or two.
func distinctColors(t *testing.T, b []byte) int {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode PNG: %v", err)
	}
	seen := map[[4]uint32]bool{}
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y += 3 {
		for x := r.Min.X; x < r.Max.X; x += 3 {
			cr, cg, cb, ca := img.At(x, y).RGBA()
			seen[[4]uint32{cr, cg, cb, ca}] = true
		}
	}
	return len(seen)
}

func sampleFigures(t *testing.T) []*Figure {
	t.Helper()
	x := []float64{0, 0.25, 0.5, 0.75, 1}
	lines, err := Lines(LinesSpec{
		Name: "lines", Title: "AUROC by depth", XLabel: "depth", YLabel: "AUROC", HLines: []float64{0.5},
		Series: []Series{
			{Label: "lowercase", X: x, Y: []float64{0.5, 0.7, 0.9, 0.85, 0.8}, Lo: []float64{0.45, 0.65, 0.85, 0.8, 0.75}, Hi: []float64{0.55, 0.75, 0.95, 0.9, 0.85}, Markers: []float64{0.25}},
			{Label: "topic", X: x, Y: []float64{0.5, 0.52, math.NaN(), 0.7, 0.75}, Dashed: true},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	bars, err := Bars(BarsSpec{
		Name: "bars", Title: "specialist vs general", YLabel: "AUROC", Categories: []string{"a", "b", "c"}, HLines: []float64{0.5},
		Groups: []BarGroup{
			{Label: "specialist", Values: []float64{0.9, 0.8, 0.7}, Lo: []float64{0.85, 0.75, 0.6}, Hi: []float64{0.95, 0.85, 0.8}},
			{Label: "general", Values: []float64{0.8, 0.7, 0.65}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	tree := &Tree{Merges: [][2]int{{0, 2}, {1, 3}, {4, 5}}, Heights: []float64{0.1, 0.2, 0.6}}
	heat, err := Heatmap(HeatmapSpec{
		Name: "heat", Title: "transfer", XLabel: "test", YLabel: "train", Annotate: true, Tree: tree,
		RowLabels: []string{"w", "x", "y", "z"}, ColLabels: []string{"w", "x", "y", "z"},
		Values: [][]float64{{0.9, 0.5, 0.8, 0.5}, {0.5, 0.9, 0.5, 0.7}, {0.8, 0.5, 0.9, math.NaN()}, {0.5, 0.7, 0.5, 0.9}},
	})
	if err != nil {
		t.Fatal(err)
	}
	div, err := Heatmap(HeatmapSpec{Name: "heat_diverging", Diverging: true, Center: 0.5, Min: 0, Max: 1, Annotate: true,
		RowLabels: []string{"a", "b"}, ColLabels: []string{"a", "b"}, Values: [][]float64{{0.9, 0.2}, {0.5, 1}}})
	if err != nil {
		t.Fatal(err)
	}
	panels, err := Panels(PanelsSpec{Name: "panels", Title: "AUROC by depth; shaded: 95% CI",
		Panels: []LinesSpec{
			{Title: "structural", XLabel: "depth", YLabel: "AUROC", YMin: 0.3, YMax: 1, Series: []Series{
				{Label: "lowercase", X: x, Y: []float64{0.5, 0.7, 0.9, 0.85, 0.8}, Lo: []float64{0.45, 0.65, 0.85, 0.8, 0.75}, Hi: []float64{0.55, 0.75, 0.95, 0.9, 0.85}}}},
			{Title: "semantic", XLabel: "depth", YLabel: "AUROC", YMin: 0.3, YMax: 1, Series: []Series{
				{Label: "sentiment", X: x, Y: []float64{0.3, 0.2, 0.25, 0.4, 0.5}, Lo: []float64{0.1, 0.05, 0.1, 0.3, 0.4}, Hi: []float64{0.5, 0.4, 0.4, 0.5, 0.6}}}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	ci, err := Heatmap(HeatmapSpec{Name: "heat_ci", Annotate: true, RowLabels: []string{"a", "b"}, ColLabels: []string{"a", "b"},
		Values: [][]float64{{0.9, 0.2}, {0.5, 1}}, Lo: [][]float64{{0.8, 0.1}, {0.4, math.NaN()}}, Hi: [][]float64{{0.95, 0.3}, {0.6, math.NaN()}}})
	if err != nil {
		t.Fatal(err)
	}
	return []*Figure{lines, bars, heat, div, panels, ci}
}

func TestFiguresRender(t *testing.T) {
	dir := t.TempDir()
	for _, f := range sampleFigures(t) {
		paths, err := f.Save(dir)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if len(paths) != 2 {
			t.Fatalf("%s: got %d files", f.Name, len(paths))
		}
		png, _ := os.ReadFile(filepath.Join(dir, f.Name+".png"))
		if n := distinctColors(t, png); n < 8 {
			t.Errorf("%s: PNG has only %d distinct colours: nothing drawn?", f.Name, n)
		}
		svg, _ := os.ReadFile(filepath.Join(dir, f.Name+".svg"))
		if !bytes.Contains(svg, []byte("<svg")) || len(svg) < 2000 {
			t.Errorf("%s: SVG looks empty (%d bytes)", f.Name, len(svg))
		}
	}
	if os.Getenv("IFPROBE_PLOT_KEEP") != "" { // look at them: IFPROBE_PLOT_KEEP=/tmp/figs go test ./pkg/plot
		for _, f := range sampleFigures(t) {
			f.Save(os.Getenv("IFPROBE_PLOT_KEEP"))
		}
	}
}

func TestSpecErrors(t *testing.T) {
	cases := []struct {
		name string
		err  func() error
		want string
	}{
		{"lines: no series", func() error { _, err := Lines(LinesSpec{Name: "f"}); return err }, "Series is empty"},
		{"lines: len mismatch", func() error {
			_, err := Lines(LinesSpec{Name: "f", Series: []Series{{Label: "s", X: []float64{1, 2}, Y: []float64{1}}}})
			return err
		}, `Series[0] ("s")`},
		{"lines: half band", func() error {
			_, err := Lines(LinesSpec{Name: "f", Series: []Series{{Label: "s", X: []float64{1}, Y: []float64{1}, Lo: []float64{0}}}})
			return err
		}, "Lo/Hi"},
		{"bars: values vs categories", func() error {
			_, err := Bars(BarsSpec{Name: "f", Categories: []string{"a"}, Groups: []BarGroup{{Label: "g", Values: []float64{1, 2}}}})
			return err
		}, "2 values for 1 categories"},
		{"heatmap: ragged", func() error {
			_, err := Heatmap(HeatmapSpec{Name: "f", RowLabels: []string{"a"}, ColLabels: []string{"x", "y"}, Values: [][]float64{{1}}})
			return err
		}, "Values[0] has 1 columns"},
		{"heatmap: centre outside range", func() error {
			_, err := Heatmap(HeatmapSpec{Name: "f", RowLabels: []string{"a"}, ColLabels: []string{"x"}, Values: [][]float64{{1}}, Diverging: true, Center: 5, Min: 0, Max: 1})
			return err
		}, "Center 5"},
		{"heatmap: half interval", func() error {
			_, err := Heatmap(HeatmapSpec{Name: "f", RowLabels: []string{"a"}, ColLabels: []string{"x"}, Values: [][]float64{{1}}, Lo: [][]float64{{0}}})
			return err
		}, "Lo and Hi"},
		{"heatmap: ragged interval", func() error {
			_, err := Heatmap(HeatmapSpec{Name: "f", RowLabels: []string{"a"}, ColLabels: []string{"x"}, Values: [][]float64{{1}},
				Lo: [][]float64{{0, 0}}, Hi: [][]float64{{1}}})
			return err
		}, "Lo[0] has 2 columns"},
		{"panels: empty", func() error { _, err := Panels(PanelsSpec{Name: "f"}); return err }, "Panels is empty"},
		{"panels: bad panel", func() error {
			_, err := Panels(PanelsSpec{Name: "f", Panels: []LinesSpec{{Series: []Series{{Label: "s", X: []float64{1}}}}}})
			return err
		}, `f: Panels[0]: Series[0] ("s")`},
		{"heatmap: bad tree", func() error {
			_, err := Heatmap(HeatmapSpec{Name: "f", RowLabels: []string{"a", "b"}, ColLabels: []string{"a", "b"},
				Values: [][]float64{{1, 2}, {3, 4}}, Tree: &Tree{Merges: [][2]int{{0, 0}}, Heights: []float64{1}}})
			return err
		}, "reused"},
	}
	for i, c := range cases {
		err := c.err()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("case %d (%s): got %v, want error containing %q", i, c.name, err, c.want)
		}
	}
}

func TestColorStable(t *testing.T) {
	if Color("lowercase") != Color("lowercase") {
		t.Fatal("Color is not stable")
	}
	if KindColor("structural") == KindColor("semantic") {
		t.Fatal("kinds share a colour")
	}
}
