package nb

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"fmt"
	htmlpkg "html"
	"io"
	"regexp"
	"strings"
	"text/tabwriter"
)

// MaxTableRows bounds the rows Table shows; longer tables are cut with a note, so a
// cell never sends megabytes of HTML by accident.
const MaxTableRows = 2000

// Table shows a table with a header row: HTML in a notebook, aligned text elsewhere.
// Every row must have as many cells as the header. In the HTML, columns of numbers
// (plain, percentages, or "0.61 [0.55, 0.67]" intervals) are right-aligned in
// tabular figures and every other column left-aligned, and a table wider than the
// page scrolls inside its own box.
func Table(header []string, rows [][]string) error {
	return TableWith(header, rows, TableOptions{})
}

// TableOptions shows a long table in part, with the whole of it one click away.
type TableOptions struct {
	// Show lists the indices of the rows to show, in the order given; nil shows the
	// first MaxRows rows.
	Show []int
	// MaxRows bounds the rows shown when Show is nil; 0 means MaxTableRows.
	MaxRows int
	// Why says which rows are shown when not all are ("the 10 largest effects"); it
	// goes into the note under the table.
	Why string
	// CSV names the file of the whole table (e.g. "ablation.csv"): when rows are
	// left out, the note links a download of every row as CSV, embedded in the
	// output itself (a data: URL), so it works offline and in exported HTML.
	CSV string
}

// TableWith is Table showing the rows opts selects, with a note saying how many of
// how many are shown, why, and a link to the whole table as CSV.
func TableWith(header []string, rows [][]string, opts TableOptions) error {
	if len(header) == 0 {
		return fmt.Errorf("nb: Table: empty header")
	}
	for i, r := range rows {
		if len(r) != len(header) {
			return fmt.Errorf("nb: Table: row %d has %d cells, the header has %d", i, len(r), len(header))
		}
	}
	shown, err := selectRows(rows, opts)
	if err != nil {
		return err
	}
	cut := len(rows) - len(shown)
	note := tableNote(len(shown), len(rows), opts.Why)
	html := tableHTML(header, shown, numericColumns(header, rows))
	text := tableText(header, shown)
	if cut > 0 {
		html += "<p><i>" + htmlpkg.EscapeString(note) + "</i>"
		if opts.CSV != "" {
			html += " " + csvLink(header, rows, opts.CSV)
		}
		html += "</p>"
		text += "(" + note + ")\n"
	}
	send(message{data: map[string]any{MIMEHTML: html, MIMEText: text}})
	Sync()
	return nil
}

// selectRows returns the rows opts shows.
func selectRows(rows [][]string, opts TableOptions) ([][]string, error) {
	if opts.Show == nil {
		n := opts.MaxRows
		if n <= 0 || n > MaxTableRows {
			n = MaxTableRows
		}
		return rows[:min(n, len(rows))], nil
	}
	if len(opts.Show) > MaxTableRows {
		return nil, fmt.Errorf("nb: Table: %d rows to show, at most %d", len(opts.Show), MaxTableRows)
	}
	out := make([][]string, 0, len(opts.Show))
	for _, i := range opts.Show {
		if i < 0 || i >= len(rows) {
			return nil, fmt.Errorf("nb: Table: row %d to show, the table has %d", i, len(rows))
		}
		out = append(out, rows[i])
	}
	return out, nil
}

func tableNote(shown, total int, why string) string {
	if shown == total {
		return ""
	}
	s := fmt.Sprintf("%d of %d rows shown", shown, total)
	if why != "" {
		s += ": " + why
	}
	return s
}

// csvLink is an HTML link that downloads header and rows as the CSV file name.
func csvLink(header []string, rows [][]string, name string) string {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(header)
	w.WriteAll(rows) // flushes; a bytes.Buffer does not fail
	return fmt.Sprintf(`<a download="%s" href="data:text/csv;charset=utf-8;base64,%s">all %d rows as CSV (%s)</a>`,
		htmlpkg.EscapeString(name), base64.StdEncoding.EncodeToString(b.Bytes()), len(rows), htmlpkg.EscapeString(name))
}

// TableCSV shows CSV data (first record is the header) as a table. maxBytes bounds
// how much is read (0 means 16 MiB): a larger input is an error, not a truncated
// table.
func TableCSV(r io.Reader, maxBytes int64) error {
	if maxBytes <= 0 {
		maxBytes = 16 << 20
	}
	lr := &io.LimitedReader{R: r, N: maxBytes + 1}
	recs, err := csv.NewReader(lr).ReadAll()
	if lr.N <= 0 {
		return fmt.Errorf("nb: TableCSV: input larger than %d bytes", maxBytes)
	}
	if err != nil {
		return fmt.Errorf("nb: TableCSV: %w", err)
	}
	if len(recs) == 0 {
		return fmt.Errorf("nb: TableCSV: no header record")
	}
	return Table(recs[0], recs[1:])
}

// numberRE matches a cell that reads as a number: 0.61, -3, 1e-4, 12%, NaN, and an
// estimate with its interval, 0.61 [0.55, 0.67].
var numberRE = regexp.MustCompile(`^[-+−]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?%?( \[[^\]]*\])?$|^NaN$|^[-+]?Inf$`)

// numericColumns reports which columns hold numbers in every non-empty cell (at least
// one): those are right-aligned.
func numericColumns(header []string, rows [][]string) []bool {
	num := make([]bool, len(header))
	for j := range header {
		seen := false
		num[j] = true
		for _, r := range rows {
			c := strings.TrimSpace(r[j])
			if c == "" || c == "—" || c == "-" {
				continue
			}
			seen = true
			if !numberRE.MatchString(c) {
				num[j] = false
				break
			}
		}
		num[j] = num[j] && seen
	}
	return num
}

// Inline styles, not only classes: JupyterLab right-aligns every table cell and its
// style sheet is not ours; the HTML export's ifprobe.css uses the classes.
const (
	leftStyle  = `text-align:left`
	rightStyle = `text-align:right;font-variant-numeric:tabular-nums`
)

func tableHTML(header []string, rows [][]string, num []bool) string {
	cell := func(b *strings.Builder, tag, s string, j int) {
		if num[j] {
			fmt.Fprintf(b, `<%s class="num" style="%s">%s</%s>`, tag, rightStyle, htmlpkg.EscapeString(s), tag)
		} else {
			fmt.Fprintf(b, `<%s style="%s">%s</%s>`, tag, leftStyle, htmlpkg.EscapeString(s), tag)
		}
	}
	var b strings.Builder
	b.WriteString(`<div class="ifprobe-table-wrap" style="overflow-x:auto;max-width:100%"><table class="ifprobe-table"><thead><tr>`)
	for j, h := range header {
		cell(&b, "th", h, j)
	}
	b.WriteString("</tr></thead><tbody>")
	for _, r := range rows {
		b.WriteString("<tr>")
		for j, c := range r {
			cell(&b, "td", c, j)
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</tbody></table></div>")
	return b.String()
}

func tableText(header []string, rows [][]string) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, textRow(header))
	for _, r := range rows {
		fmt.Fprintln(tw, textRow(r))
	}
	tw.Flush()
	return b.String()
}

// textRow joins cells with tabs for tabwriter, after flattening tabs and newlines
// inside cells, which would break the alignment.
func textRow(cells []string) string {
	flat := make([]string, len(cells))
	for i, c := range cells {
		flat[i] = strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(c)
	}
	return strings.Join(flat, "\t")
}
