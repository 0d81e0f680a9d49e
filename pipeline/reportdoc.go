package pipeline

import (
	"encoding/base64"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/ifprobe/ifprobe/analyses"
)

// A report is built once as a list of blocks and rendered twice, as Markdown
// and as self-contained HTML, so the two never say different things.
type blockKind int

const (
	heading blockKind = iota
	para
	table
	figure
	code
)

type block struct {
	kind  blockKind
	level int        // heading
	text  string     // heading, para (with **bold** and `code`), code
	rows  [][]string // table, header row first
	path  string     // figure: PNG relative to the report's directory
	link  string     // table: the full CSV, relative to the report's directory
}

type document struct {
	dir    string
	blocks []block
}

func (d *document) h(level int, text string) { d.add(block{kind: heading, level: level, text: text}) }
func (d *document) p(format string, args ...any) {
	d.add(block{kind: para, text: fmt.Sprintf(format, args...)})
}
func (d *document) add(b block) { d.blocks = append(d.blocks, b) }

// document lays out the report; depth is the cross-model depth overlay's PNG
// ("" when there is none).
func (r *Report) document(dir, depth string) *document {
	d := &document{dir: dir}
	d.h(1, "ifprobe report: How LLMs Follow Instructions")
	d.p("%s", r.header())
	d.h(2, "Verdicts")
	d.p("%s", readingGuide)
	d.add(block{kind: table, rows: r.verdictRows()})
	if len(r.CrossModel) > 0 {
		d.h(2, "Across models")
		d.p("Each finding's primary statistic per model, how many models agree on its sign, and the fixed-effect (inverse-variance) pooled estimate with its 95%% CI; the heterogeneity p-value (Cochran's Q) is small when the models disagree more than their CIs allow.")
		d.add(block{kind: table, rows: r.crossModelRows()})
		if depth != "" {
			d.add(block{kind: figure, path: depth})
		}
	}
	d.h(2, "Pass rates (the model's own responses, verified)")
	for _, m := range r.Models {
		r.passRates(d, m)
	}
	r.calibrationSection(d)
	r.labelNoiseSection(d)
	r.extras(d)
	for _, a := range analyses.All() {
		d.h(2, fmt.Sprintf("%d. %s", a.Number(), a.Title()))
		for _, m := range r.Models {
			r.finding(d, a, m)
		}
	}
	d.h(2, "Run")
	d.add(block{kind: code, text: r.runJSON()})
	return d
}

func (r *Report) verdictRows() [][]string {
	head := []string{"finding"}
	for _, m := range r.Models {
		head = append(head, m.Model)
	}
	rows := [][]string{head}
	for _, a := range analyses.All() {
		row := []string{fmt.Sprintf("%d. %s", a.Number(), a.Title())}
		for _, m := range r.Models {
			if v, ok := m.Verdicts[a.Name()]; ok {
				row = append(row, statusCell(v))
			} else {
				row = append(row, "not computed: "+m.Errors[a.Name()])
			}
		}
		rows = append(rows, row)
	}
	return rows
}

func (r *Report) crossModelRows() [][]string {
	rows := [][]string{{"finding", "statuses", "sign agreement", "pooled estimate", "heterogeneity p"}}
	for _, c := range r.CrossModel {
		var st []string
		for i, s := range c.Statuses {
			st = append(st, fmt.Sprintf("%s: %s", c.Models[i], s))
		}
		rows = append(rows, []string{c.Finding, strings.Join(st, "; "),
			fmt.Sprintf("%d+ / %d− of %d", c.Positive, c.Negative, len(c.Models)),
			c.Pooled.Format(3), fmt.Sprintf("%.3f", float64(c.Heterogeneity))})
	}
	return rows
}

func (r *Report) passRates(d *document, m *ModelRun) {
	d.h(3, m.Model)
	rows := [][]string{{"task", "n", "pass rate", "minority < 20%", "truncated (satisfied)"}}
	for _, s := range m.Summary {
		flag := ""
		if s.Imbalanced {
			flag = "yes"
		}
		rows = append(rows, []string{s.Task, fmt.Sprint(s.N), fmt.Sprintf("%.2f", s.PassRate), flag,
			fmt.Sprintf("%d (%d)", s.Truncated, s.TruncatedSatisfied)})
	}
	d.add(block{kind: table, rows: rows})
	d.p("Truncated: responses stopped by the token limit. They have no end, so they are left out at eos.")
	for _, sk := range m.Skipped {
		d.p("Not probed: %s (%s).", sk.Task, sk.Reason)
	}
}

// finding is one model's section of one finding: verdict, figures, table.
func (r *Report) finding(d *document, a analyses.Analysis, m *ModelRun) {
	d.h(3, m.Model)
	v, ok := m.Verdicts[a.Name()]
	if !ok {
		d.p("Not computed on this model: %s", m.Errors[a.Name()])
		return
	}
	d.p("%s", v.Text)
	dir := filepath.Join(m.Dir, a.Name())
	for _, f := range m.Files[a.Name()] {
		if strings.HasSuffix(f, ".png") {
			d.add(block{kind: figure, path: filepath.ToSlash(filepath.Join(dir, f))})
		}
	}
	if res := m.Results[a.Name()]; res != nil {
		d.add(block{kind: table, rows: res.Table(), link: filepath.ToSlash(filepath.Join(dir, analyses.TableFile))})
	}
}

// markdown renders the document as Markdown; long tables are cut to their first
// rows with a link to the full CSV.
func (d *document) markdown() string {
	var b strings.Builder
	for _, bl := range d.blocks {
		switch bl.kind {
		case heading:
			fmt.Fprintf(&b, "%s %s\n\n", strings.Repeat("#", bl.level), bl.text)
		case para:
			b.WriteString(bl.text + "\n\n")
		case code:
			b.WriteString("```json\n" + bl.text + "\n```\n\n")
		case figure:
			fmt.Fprintf(&b, "![%s](%s)\n\n", strings.TrimSuffix(filepath.Base(bl.path), ".png"), bl.path)
		case table:
			writeMarkdownTable(&b, bl)
		}
	}
	return b.String()
}

// maxTableRows is how many rows a report shows of a table before linking to
// the whole CSV.
const maxTableRows = 20

func writeMarkdownTable(b *strings.Builder, bl block) {
	rows := bl.rows
	if len(rows) == 0 {
		return
	}
	cell := func(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
	shown := rows[1:]
	if bl.link != "" && len(shown) > maxTableRows {
		shown = shown[:maxTableRows]
	}
	b.WriteString("| " + strings.Join(mapStrings(rows[0], cell), " | ") + " |\n")
	b.WriteString("|" + strings.Repeat("---|", len(rows[0])) + "\n")
	for _, row := range shown {
		b.WriteString("| " + strings.Join(mapStrings(row, cell), " | ") + " |\n")
	}
	if bl.link != "" {
		fmt.Fprintf(b, "\n%d rows; all of them: [%s](%s)\n", len(rows)-1, filepath.Base(bl.link), bl.link)
	}
	b.WriteString("\n")
}

func mapStrings(v []string, f func(string) string) []string {
	out := make([]string, len(v))
	for i, s := range v {
		out[i] = f(s)
	}
	return out
}

const htmlStyle = `body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;line-height:1.45}
table{border-collapse:collapse;margin:1em 0;display:block;overflow-x:auto}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}
th{background:#f4f4f4}img{max-width:100%;border:1px solid #eee;margin:.5em 0}code,pre{background:#f6f6f6}pre{padding:.5em;overflow-x:auto}`

// html renders the document as one self-contained page: figures are read from
// the files the analyses saved and embedded.
func (d *document) html() (string, error) {
	var b strings.Builder
	b.WriteString(`<!doctype html><html><head><meta charset="utf-8"><title>ifprobe report</title><style>` + htmlStyle + `</style></head><body>`)
	for _, bl := range d.blocks {
		switch bl.kind {
		case heading:
			fmt.Fprintf(&b, "<h%d>%s</h%d>\n", bl.level, inline(bl.text), bl.level)
		case para:
			fmt.Fprintf(&b, "<p>%s</p>\n", inline(bl.text))
		case code:
			fmt.Fprintf(&b, "<pre><code>%s</code></pre>\n", html.EscapeString(bl.text))
		case figure:
			png, err := os.ReadFile(filepath.Join(d.dir, filepath.FromSlash(bl.path)))
			if err != nil {
				return "", fmt.Errorf("reproduce: report: %w", err)
			}
			fmt.Fprintf(&b, `<img alt="%s" src="data:image/png;base64,%s">`+"\n", html.EscapeString(filepath.Base(bl.path)), base64.StdEncoding.EncodeToString(png))
		case table:
			writeHTMLTable(&b, bl)
		}
	}
	b.WriteString("</body></html>\n")
	return b.String(), nil
}

func writeHTMLTable(b *strings.Builder, bl block) {
	rows := bl.rows
	if len(rows) == 0 {
		return
	}
	long := bl.link != "" && len(rows)-1 > maxTableRows
	if bl.link != "" {
		fmt.Fprintf(b, "<details><summary>table (%d rows; <a href=\"%s\">CSV</a>)</summary>", len(rows)-1, html.EscapeString(bl.link))
	}
	b.WriteString("<table><tr>")
	for _, h := range rows[0] {
		b.WriteString("<th>" + inline(h) + "</th>")
	}
	b.WriteString("</tr>")
	shown := rows[1:]
	if long {
		shown = shown[:maxTableRows]
	}
	for _, row := range shown {
		b.WriteString("<tr>")
		for _, c := range row {
			b.WriteString("<td>" + inline(c) + "</td>")
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</table>")
	if long {
		fmt.Fprintf(b, "<p>%d more rows in the CSV.</p>", len(rows)-1-maxTableRows)
	}
	if bl.link != "" {
		b.WriteString("</details>")
	}
	b.WriteString("\n")
}

var (
	boldRe = regexp.MustCompile(`\*\*([^*]+)\*\*`)
	codeRe = regexp.MustCompile("`([^`]+)`")
)

// inline escapes text for HTML and renders the Markdown the report uses inline:
// **bold** and `code`.
func inline(s string) string {
	s = html.EscapeString(s)
	s = boldRe.ReplaceAllString(s, "<b>$1</b>")
	return codeRe.ReplaceAllString(s, "<code>$1</code>")
}
