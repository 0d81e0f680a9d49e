package nb

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/ifprobe/ifprobe/pkg/atomicfile"
	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/protocol"
)

// MIME types of the display messages this package sends.
const (
	MIMEPNG      = "image/png"
	MIMESVG      = "image/svg+xml"
	MIMEHTML     = "text/html"
	MIMEMarkdown = "text/markdown"
	MIMEText     = "text/plain"
)

// EnvOut names the environment variable that, outside a notebook, names a directory
// where figures are saved (fig-001.png, fig-001.svg, ...).
const EnvOut = "IFPROBE_NB_OUT"

// message is one display message: MIME type -> content (string, or []byte for PNG),
// with an optional display id that makes later messages replace earlier ones.
type message struct {
	data      map[string]any
	displayID string
}

// sink receives display messages: gonb's pipe inside a notebook, text elsewhere.
// Tests swap it for a recorder.
type sink interface {
	send(m message)
}

var (
	sinkMu  sync.Mutex
	current sink = defaultSink()
)

func defaultSink() sink {
	if gonbui.IsNotebook {
		return gonbSink{}
	}
	return &textSink{dir: os.Getenv(EnvOut)}
}

func send(m message) {
	sinkMu.Lock()
	defer sinkMu.Unlock()
	current.send(m)
}

// IsNotebook reports whether the program runs as a gonb notebook cell, where display
// messages reach the notebook.
func IsNotebook() bool { return gonbui.IsNotebook }

// Sync waits until the notebook has received everything displayed so far. A cell's
// program may exit right after displaying a large figure; Figure and Table call Sync
// themselves. Outside a notebook it returns at once.
func Sync() { gonbui.Sync() }

// gonbSink sends messages through gonb's named pipe.
type gonbSink struct{}

func (gonbSink) send(m message) {
	d := &protocol.DisplayData{Data: make(map[protocol.MIMEType]any, len(m.data)), DisplayID: m.displayID}
	for k, v := range m.data {
		d.Data[protocol.MIMEType(k)] = v
	}
	gonbui.SendData(d)
}

// textSink prints the text/plain part of each message and, when dir is set, saves
// figures there.
type textSink struct {
	w   io.Writer // nil: os.Stdout at the time of the call
	dir string
	n   int // figures seen, for file names
}

func (s *textSink) send(m message) {
	if m.displayID != "" { // progress updates: printed by Progress itself
		return
	}
	w := s.w
	if w == nil {
		w = os.Stdout
	}
	if pngData, ok := m.data[MIMEPNG].([]byte); ok {
		s.n++
		txt, _ := m.data[MIMEText].(string)
		if s.dir != "" {
			base := filepath.Join(s.dir, fmt.Sprintf("fig-%03d", s.n))
			err := os.MkdirAll(s.dir, 0o755)
			if err == nil {
				err = atomicfile.WriteFile(base+".png", pngData)
			}
			if svg, ok := m.data[MIMESVG].(string); ok && err == nil {
				err = atomicfile.WriteFile(base+".svg", []byte(svg))
			}
			if err != nil {
				fmt.Fprintf(w, "%s (not saved: %v)\n", txt, err)
				return
			}
			fmt.Fprintf(w, "%s saved to %s.png\n", txt, base)
			return
		}
		fmt.Fprintf(w, "%s (not in a notebook; set $%s to save figures)\n", txt, EnvOut)
		return
	}
	for _, k := range []string{MIMEText, MIMEMarkdown} {
		if t, ok := m.data[k].(string); ok {
			fmt.Fprintln(w, strings.TrimRight(t, "\n"))
			return
		}
	}
}

// HTML shows an HTML fragment. Outside a notebook it prints nothing: HTML without a
// browser is noise; use Table or Markdown for content that must also read as text.
func HTML(html string) {
	send(message{data: map[string]any{MIMEHTML: html}})
}

// Markdown shows Markdown (with $math$). Outside a notebook it prints the source.
func Markdown(md string) {
	send(message{data: map[string]any{MIMEMarkdown: md, MIMEText: md}})
}

// Renderer is a figure that renders itself as PNG and SVG, like pkg/plot's *Figure.
type Renderer interface {
	PNG() ([]byte, error)
	SVG() ([]byte, error)
}

// Figure shows fig inline: one message with image/png, image/svg+xml and a text
// description, so each front-end picks the best it can draw.
func Figure(fig Renderer) error {
	if fig == nil {
		return fmt.Errorf("nb: Figure: nil figure")
	}
	pngData, err := fig.PNG()
	if err != nil {
		return fmt.Errorf("nb: Figure: render PNG: %w", err)
	}
	svgData, err := fig.SVG()
	if err != nil {
		return fmt.Errorf("nb: Figure: render SVG: %w", err)
	}
	return showImages(pngData, svgData)
}

// PNG shows a PNG image given as encoded bytes.
func PNG(data []byte) error { return showImages(data, nil) }

// SVG shows an SVG image as real image/svg+xml (gonbui.DisplaySvg sends it as HTML,
// which exporters and viewers treat differently from an image).
func SVG(data []byte) error {
	if err := checkSVG(data); err != nil {
		return err
	}
	send(message{data: map[string]any{
		MIMESVG:  withFontFallbacks(string(data)),
		MIMEText: fmt.Sprintf("<figure: SVG, %s>", size(len(data))),
	}})
	Sync()
	return nil
}

// Image shows img, encoded as PNG.
func Image(img image.Image) error {
	if img == nil {
		return fmt.Errorf("nb: Image: nil image")
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("nb: Image: encode PNG: %w", err)
	}
	return showImages(buf.Bytes(), nil)
}

// showImages sends one figure message; svgData may be nil.
func showImages(pngData, svgData []byte) error {
	cfg, err := png.DecodeConfig(bytes.NewReader(pngData))
	if err != nil {
		return fmt.Errorf("nb: figure: not a PNG image: %w", err)
	}
	desc := fmt.Sprintf("<figure %dx%d: PNG %s", cfg.Width, cfg.Height, size(len(pngData)))
	m := message{data: map[string]any{MIMEPNG: pngData}}
	if svgData != nil {
		if err := checkSVG(svgData); err != nil {
			return err
		}
		m.data[MIMESVG] = withFontFallbacks(string(svgData))
		desc += ", SVG " + size(len(svgData))
	}
	m.data[MIMEText] = desc + ">"
	send(m)
	Sync()
	return nil
}

// checkSVG rejects bytes that are plainly not an SVG document.
func checkSVG(data []byte) error {
	head := data
	if len(head) > 4096 {
		head = head[:4096]
	}
	if !bytes.Contains(head, []byte("<svg")) {
		return fmt.Errorf("nb: SVG: no <svg element in the first %d bytes", len(head))
	}
	return nil
}

func size(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%d B", n)
	}
}

// fontFallbacks names, for each font gonum/plot draws with, the fonts made with the
// same metrics (Liberation was designed as a metric-compatible stand-in for them)
// and the generic family. A browser without Liberation fonts, which draws an SVG
// with its own fonts, then still fits each label in the space gonum measured for it.
var fontFallbacks = strings.NewReplacer(
	"font-family:Liberation Serif;", `font-family:'Liberation Serif','Times New Roman',Times,serif;`,
	"font-family:Liberation Sans;", `font-family:'Liberation Sans',Arial,Helvetica,sans-serif;`,
	"font-family:Liberation Mono;", `font-family:'Liberation Mono','Courier New',Courier,monospace;`,
)

// withFontFallbacks gives every font of gonum's SVG its metric-compatible fallbacks.
func withFontFallbacks(svg string) string { return fontFallbacks.Replace(svg) }
