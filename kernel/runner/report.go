package runner

import (
	"encoding/json"
	"fmt"
	"html"
	"regexp"
	"strings"

	"github.com/ifprobe/ifprobe/internal/limitread"
)

// MaxNotebookBytes bounds the executed notebook ReadReport reads (figures are
// embedded, so notebooks can be large, but not this large).
const MaxNotebookBytes = 512 << 20

// Report is what an executed notebook's outputs show.
type Report struct {
	CodeCells  int            `json:"code_cells"`
	Images     int            `json:"images"`      // outputs carrying image/png or image/svg+xml
	ImageTypes map[string]int `json:"image_types"` // MIME type -> outputs carrying it
	Errors     []CellError    `json:"errors"`      // outputs of type "error", in cell order
}

// CellError is one failed cell. Cell is the index in the notebook's cells (markdown
// cells count), as Jupyter and nbclient number them; -1 when no cell was running.
type CellError struct {
	Cell   int    `json:"cell"`
	Name   string `json:"name"`   // ename: "ERROR" for gonb, or the Python exception
	Value  string `json:"value"`  // evalue: gonb's summary, e.g. `exit status 2`
	Detail string `json:"detail"` // what explains it: the cell's stderr and error text
}

func (e CellError) String() string {
	s := fmt.Sprintf("cell %d: %s: %s", e.Cell, e.Name, firstLine(e.Value))
	if d := strings.TrimSpace(e.Detail); d != "" {
		s += "\n" + indent(tail(d, 2000), "    ")
	}
	return s
}

// ipynb is the part of nbformat 4 that ReadReport looks at.
type ipynb struct {
	Cells []struct {
		CellType string   `json:"cell_type"`
		Outputs  []output `json:"outputs"`
	} `json:"cells"`
}

type output struct {
	OutputType string                     `json:"output_type"`
	Name       string                     `json:"name"` // stream name
	Text       multiline                  `json:"text"`
	Data       map[string]json.RawMessage `json:"data"`
	EName      string                     `json:"ename"`
	EValue     string                     `json:"evalue"`
}

// multiline is nbformat's "multiline string": a string or a list of strings.
type multiline string

func (m *multiline) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*m = multiline(s)
		return nil
	}
	var parts []string
	if err := json.Unmarshal(b, &parts); err != nil {
		return err
	}
	*m = multiline(strings.Join(parts, ""))
	return nil
}

// ReadReport reads an executed notebook and reports its code cells, images and
// error outputs.
func ReadReport(path string) (Report, error) {
	b, err := limitread.File(path, MaxNotebookBytes)
	if err != nil {
		return Report{}, fmt.Errorf("runner: %w", err)
	}
	rep, err := parseReport(b)
	if err != nil {
		return Report{}, fmt.Errorf("runner: %s: %w", path, err)
	}
	return rep, nil
}

func parseReport(b []byte) (Report, error) {
	var nb ipynb
	if err := json.Unmarshal(b, &nb); err != nil {
		return Report{}, fmt.Errorf("not a notebook: %w", err)
	}
	rep := Report{ImageTypes: map[string]int{}}
	for i, c := range nb.Cells {
		if c.CellType != "code" {
			continue
		}
		rep.CodeCells++
		var explain strings.Builder // stderr (in pieces, as streamed) and error text of this cell
		var errs []CellError
		for _, o := range c.Outputs {
			switch o.OutputType {
			case "stream":
				if o.Name == "stderr" {
					explain.WriteString(string(o.Text))
				}
			case "display_data", "execute_result", "update_display_data":
				img := false
				for _, mime := range []string{"image/png", "image/svg+xml"} {
					if _, ok := o.Data[mime]; ok {
						rep.ImageTypes[mime]++
						img = true
					}
				}
				if img {
					rep.Images++
				}
				if raw, ok := o.Data["text/html"]; ok {
					var h multiline
					if json.Unmarshal(raw, &h) == nil && isGonbError(string(h)) {
						explain.WriteString("\n" + htmlText(string(h)) + "\n")
					}
				}
			case "error":
				errs = append(errs, CellError{Cell: i, Name: o.EName, Value: o.EValue})
			}
		}
		for _, e := range errs {
			// gonb marks cell lines in stack traces with terminal escapes: drop them.
			d := ansiRE.ReplaceAllString(explain.String(), "")
			e.Detail = strings.TrimSpace(blankRE.ReplaceAllString(d, "\n"))
			rep.Errors = append(rep.Errors, e)
		}
	}
	return rep, nil
}

// isGonbError recognises the HTML that gonb shows for compile errors.
func isGonbError(h string) bool {
	return strings.Contains(h, "gonb-err") || strings.Contains(h, `data-mime-type="application/vnd.jupyter.stderr"`)
}

var (
	styleRE   = regexp.MustCompile(`(?s)<style>.*?</style>`)
	contextRE = regexp.MustCompile(`(?s)<div class="gonb-err-context">.*?</div>\s*</div>`)
	tagRE     = regexp.MustCompile(`<[^>]*>`)
	blankRE   = regexp.MustCompile(`\n\s*\n+`)
	ansiRE    = regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]")
)

// htmlText turns gonb's HTML error into plain lines: the compiler messages, without
// the style sheet and the hover-only source context.
func htmlText(h string) string {
	h = styleRE.ReplaceAllString(h, "")
	h = contextRE.ReplaceAllString(h, "\n")
	h = tagRE.ReplaceAllString(h, "")
	h = html.UnescapeString(h)
	return strings.TrimSpace(blankRE.ReplaceAllString(h, "\n"))
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func indent(s, pre string) string {
	return pre + strings.ReplaceAll(s, "\n", "\n"+pre)
}
