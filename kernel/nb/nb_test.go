package nb

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// recorder is a sink that keeps every message.
type recorder struct{ msgs []message }

func (r *recorder) send(m message) { r.msgs = append(r.msgs, m) }

// record swaps the package sink for a recorder for the duration of the test.
func record(t *testing.T) *recorder {
	t.Helper()
	r := &recorder{}
	sinkMu.Lock()
	old := current
	current = r
	sinkMu.Unlock()
	t.Cleanup(func() { sinkMu.Lock(); current = old; sinkMu.Unlock() })
	return r
}

// tinyPNG encodes a w x h image with one red pixel.
func tinyPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.RGBA{255, 0, 0, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const tinySVG = `<svg xmlns="http://www.w3.org/2000/svg" width="4" height="3"><rect width="4" height="3"/></svg>`

type fakeFigure struct {
	png, svg []byte
	err      error
}

func (f fakeFigure) PNG() ([]byte, error) { return f.png, f.err }
func (f fakeFigure) SVG() ([]byte, error) { return f.svg, f.err }

func TestFigureSendsPNGAndSVG(t *testing.T) {
	r := record(t)
	p := tinyPNG(t, 4, 3)
	if err := Figure(fakeFigure{png: p, svg: []byte(tinySVG)}); err != nil {
		t.Fatal(err)
	}
	if len(r.msgs) != 1 {
		t.Fatalf("got %d messages, want 1", len(r.msgs))
	}
	d := r.msgs[0].data
	if got, _ := d[MIMEPNG].([]byte); !bytes.Equal(got, p) {
		t.Errorf("image/png differs from the rendered PNG")
	}
	if got, _ := d[MIMESVG].(string); got != tinySVG {
		t.Errorf("image/svg+xml = %q, want the SVG document", got)
	}
	if got, _ := d[MIMEText].(string); !strings.HasPrefix(got, "<figure 4x3: PNG") {
		t.Errorf("text/plain = %q, want a description starting <figure 4x3: PNG", got)
	}
	if _, ok := d[MIMEHTML]; ok {
		t.Errorf("a figure must not be sent as text/html")
	}
}

// gonum's SVG names Liberation fonts only; a browser without them substitutes wider
// fonts and labels run out of their boxes. The SVG sent names the metric-compatible
// fonts after them.
func TestFigureSVGFontFallbacks(t *testing.T) {
	r := record(t)
	svg := `<svg xmlns="http://www.w3.org/2000/svg" width="4" height="3"><text style="font-family:Liberation Serif;font-size:10px">a</text>` +
		`<text style="font-family:Liberation Sans;font-size:10px">b</text></svg>`
	if err := Figure(fakeFigure{png: tinyPNG(t, 4, 3), svg: []byte(svg)}); err != nil {
		t.Fatal(err)
	}
	got := r.msgs[0].data[MIMESVG].(string)
	for _, want := range []string{
		`style="font-family:'Liberation Serif','Times New Roman',Times,serif;font-size:10px"`,
		`style="font-family:'Liberation Sans',Arial,Helvetica,sans-serif;font-size:10px"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("SVG lacks %s:\n%s", want, got)
		}
	}
}

func TestFigureErrors(t *testing.T) {
	record(t)
	boom := errors.New("boom")
	for i, c := range []struct {
		fig  Renderer
		want string
	}{
		{nil, "nil figure"},                                                     // 0
		{fakeFigure{err: boom}, "render PNG: boom"},                             // 1
		{fakeFigure{png: []byte("not png"), svg: []byte(tinySVG)}, "not a PNG"}, // 2
		{fakeFigure{png: tinyPNG(t, 2, 2), svg: []byte("<html/>")}, "no <svg"},  // 3
	} {
		err := Figure(c.fig)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "nb: ") {
			t.Errorf("case %d: err = %v, want an nb: error containing %q", i, err, c.want)
		}
	}
}

func TestSVGIsRealImageMIME(t *testing.T) {
	r := record(t)
	if err := SVG([]byte(tinySVG)); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.msgs[0].data[MIMESVG]; !ok {
		t.Fatalf("SVG sent %v, want an image/svg+xml entry", keys(r.msgs[0].data))
	}
	if _, ok := r.msgs[0].data[MIMEHTML]; ok {
		t.Errorf("SVG must not be wrapped in text/html (that is what gonbui.DisplaySvg does)")
	}
}

func TestImageAndPlot(t *testing.T) {
	r := record(t)
	img := image.NewGray(image.Rect(0, 0, 5, 7))
	if err := Image(img); err != nil {
		t.Fatal(err)
	}
	p := plot.New()
	p.Title.Text = "line"
	line, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	if err != nil {
		t.Fatal(err)
	}
	p.Add(line)
	if err := Plot(p, 2*vg.Inch, 1*vg.Inch); err != nil {
		t.Fatal(err)
	}
	if len(r.msgs) != 2 {
		t.Fatalf("got %d messages, want 2", len(r.msgs))
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(r.msgs[1].data[MIMEPNG].([]byte)))
	if err != nil {
		t.Fatal(err)
	}
	// 2in x 1in at PlotDPI dots per inch.
	if cfg.Width != 2*PlotDPI || cfg.Height != PlotDPI {
		t.Errorf("plot PNG is %dx%d, want %dx%d", cfg.Width, cfg.Height, 2*PlotDPI, PlotDPI)
	}
	if svg, _ := r.msgs[1].data[MIMESVG].(string); !strings.Contains(svg, "line") {
		t.Errorf("plot SVG does not contain the title text")
	}
	if err := Plot(p, 0, vg.Inch); err == nil {
		t.Errorf("Plot with zero width: want an error")
	}
}

func TestTable(t *testing.T) {
	r := record(t)
	err := Table([]string{"task", "AUROC"}, [][]string{{"lower<case>", "0.91"}, {"json", "0.7"}})
	if err != nil {
		t.Fatal(err)
	}
	h := r.msgs[0].data[MIMEHTML].(string)
	for _, want := range []string{
		`<div class="ifprobe-table-wrap" style="overflow-x:auto;max-width:100%">`, // wide tables scroll
		`<th style="text-align:left">task</th>`,                                   // text: left
		`<td style="text-align:left">lower&lt;case&gt;</td>`,                      // escaped
		`<th class="num" style="text-align:right;font-variant-numeric:tabular-nums">AUROC</th>`,
		`<td class="num" style="text-align:right;font-variant-numeric:tabular-nums">0.7</td>`, // numbers: right
	} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML lacks %q:\n%s", want, h)
		}
	}
	wantText := "task         AUROC\nlower<case>  0.91\njson         0.7\n"
	if got := r.msgs[0].data[MIMEText].(string); got != wantText {
		t.Errorf("text =\n%q\nwant\n%q", got, wantText)
	}
	if err := Table([]string{"a", "b"}, [][]string{{"1"}}); err == nil || !strings.Contains(err.Error(), "row 0 has 1 cells") {
		t.Errorf("ragged row: err = %v", err)
	}
	if err := Table(nil, nil); err == nil {
		t.Errorf("empty header: want an error")
	}
}

func TestNumericColumns(t *testing.T) {
	rows := [][]string{
		{"lowercase", "0.61 [0.55, 0.67]", "12", "—", "3%", "1e-4", "x"},
		{"json_format", "-0.02 [-0.1, 0.05]", "-3", "", "NaN", "−0.5", "7"},
	}
	got := numericColumns(make([]string, 7), rows)
	want := []bool{false, true, true, false, true, true, false} // column 3 has no number at all
	for j := range want {
		if got[j] != want[j] {
			t.Errorf("column %d (%q, %q): numeric = %v, want %v", j, rows[0][j], rows[1][j], got[j], want[j])
		}
	}
}

// A long table shows the rows asked for, says how many of how many and why, and
// links every row as CSV inside the output itself.
func TestTableWithShowsPartAndLinksCSV(t *testing.T) {
	r := record(t)
	header := []string{"pair", "effect"}
	var rows [][]string
	for i := 0; i < 30; i++ {
		rows = append(rows, []string{fmt.Sprintf("p%02d", i), fmt.Sprint(i)})
	}
	err := TableWith(header, rows, TableOptions{Show: []int{29, 3}, Why: "the largest effects", CSV: "pairs.csv"})
	if err != nil {
		t.Fatal(err)
	}
	h := r.msgs[0].data[MIMEHTML].(string)
	if strings.Index(h, ">p29<") < 0 || strings.Index(h, ">p29<") > strings.Index(h, ">p03<") || strings.Contains(h, ">p00<") {
		t.Errorf("rows shown are not p29 then p03 alone:\n%s", h)
	}
	if !strings.Contains(h, "2 of 30 rows shown: the largest effects") {
		t.Errorf("no note saying what is shown:\n%s", h)
	}
	m := regexp.MustCompile(`<a download="pairs.csv" href="data:text/csv;charset=utf-8;base64,([^"]*)">all 30 rows as CSV`).FindStringSubmatch(h)
	if m == nil {
		t.Fatalf("no CSV download link:\n%s", h)
	}
	raw, err := base64.StdEncoding.DecodeString(m[1])
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil || len(recs) != 31 || recs[0][0] != "pair" || recs[30][0] != "p29" {
		t.Errorf("linked CSV: %d records, %v; want the header and 30 rows", len(recs), err)
	}
	if txt := r.msgs[0].data[MIMEText].(string); !strings.HasSuffix(txt, "(2 of 30 rows shown: the largest effects)\n") {
		t.Errorf("text = %q", txt)
	}

	// The first MaxRows rows; and bad row indices are errors.
	if err := TableWith(header, rows, TableOptions{MaxRows: 5}); err != nil {
		t.Fatal(err)
	}
	if h := r.msgs[1].data[MIMEHTML].(string); !strings.Contains(h, ">p04<") || strings.Contains(h, ">p05<") || strings.Contains(h, "download=") {
		t.Errorf("MaxRows 5 without CSV:\n%s", h)
	}
	if err := TableWith(header, rows, TableOptions{Show: []int{30}}); err == nil || !strings.Contains(err.Error(), "row 30 to show, the table has 30") {
		t.Errorf("out-of-range row: err = %v", err)
	}
}

func TestTableCSV(t *testing.T) {
	r := record(t)
	if err := TableCSV(strings.NewReader("a,b\n1,2\n3,4\n"), 0); err != nil {
		t.Fatal(err)
	}
	if got := r.msgs[0].data[MIMEText].(string); got != "a  b\n1  2\n3  4\n" {
		t.Errorf("text = %q", got)
	}
	if err := TableCSV(strings.NewReader("a,b\n1,2\n"), 4); err == nil || !strings.Contains(err.Error(), "larger than 4 bytes") {
		t.Errorf("oversized CSV: err = %v", err)
	}
	if err := TableCSV(strings.NewReader(""), 0); err == nil {
		t.Errorf("empty CSV: want an error")
	}
}

func TestTableCutsLongTables(t *testing.T) {
	r := record(t)
	rows := make([][]string, MaxTableRows+5)
	for i := range rows {
		rows[i] = []string{"x"}
	}
	if err := Table([]string{"h"}, rows); err != nil {
		t.Fatal(err)
	}
	if h := r.msgs[0].data[MIMEHTML].(string); !strings.Contains(h, "2000 of 2005 rows shown") {
		t.Errorf("long table not cut with a note")
	}
}

func TestProgressNotebook(t *testing.T) {
	r := record(t)
	clock := time.Unix(0, 0)
	p := &Progress{label: "gen", total: 200, shown: -1, id: "pid", inNotes: true,
		now: func() time.Time { return clock }}
	p.start = clock
	p.draw(false)
	for i := 0; i < 200; i++ {
		p.Add(1)
	}
	clock = clock.Add(1500 * time.Millisecond)
	p.Done()
	p.Add(5) // after Done: ignored
	// One message per whole percent (0..100) plus the final one.
	if len(r.msgs) != 102 {
		t.Errorf("got %d messages, want 102 (one per percent and the final)", len(r.msgs))
	}
	for i, m := range r.msgs {
		if m.displayID != "pid" {
			t.Fatalf("message %d has display id %q, want pid (update in place)", i, m.displayID)
		}
	}
	last := r.msgs[len(r.msgs)-1].data[MIMEText].(string)
	if last != "gen: 200/200 (100%) done in 1.5s" {
		t.Errorf("final text = %q", last)
	}
}

func TestProgressText(t *testing.T) {
	var buf bytes.Buffer
	clock := time.Unix(0, 0)
	p := &Progress{label: "gen", total: 50, shown: -1, text: &buf, now: func() time.Time { return clock }}
	p.start = clock
	p.draw(false)
	for i := 0; i < 60; i++ { // past the total: clamped
		p.Add(1)
	}
	p.Done()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 12 { // 0%, 10%, ..., 100%, and the final line
		t.Errorf("got %d lines, want 12:\n%s", len(lines), buf.String())
	}
	if lines[len(lines)-1] != "gen: 50/50 (100%) done in 0s" {
		t.Errorf("last line = %q", lines[len(lines)-1])
	}
}

func TestTextSinkSavesFigures(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	s := &textSink{w: &buf, dir: filepath.Join(dir, "figs")}
	s.send(message{data: map[string]any{MIMEPNG: tinyPNG(t, 2, 2), MIMESVG: tinySVG, MIMEText: "<figure>"}})
	s.send(message{data: map[string]any{MIMEHTML: "<b>x</b>"}}) // HTML only: silent
	s.send(message{data: map[string]any{MIMEMarkdown: "# T", MIMEText: "# T"}})
	for _, f := range []string{"fig-001.png", "fig-001.svg"} {
		if _, err := os.Stat(filepath.Join(dir, "figs", f)); err != nil {
			t.Errorf("figure file: %v", err)
		}
	}
	want := "<figure> saved to " + filepath.Join(dir, "figs", "fig-001") + ".png\n# T\n"
	if buf.String() != want {
		t.Errorf("printed %q, want %q", buf.String(), want)
	}
}

func TestProfile(t *testing.T) {
	t.Setenv(EnvProfile, "ci")
	if Profile() != ProfileCI || !Small() || Pick(100, 10) != 10 {
		t.Errorf("IFPROBE_PROFILE=ci: Profile()=%q Small()=%v", Profile(), Small())
	}
	t.Setenv(EnvProfile, "")
	if Profile() != ProfileFull || Small() || Pick(100, 10) != 100 {
		t.Errorf("IFPROBE_PROFILE unset: Profile()=%q", Profile())
	}
}

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
