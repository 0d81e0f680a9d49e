package nb

import (
	"encoding/csv"
	"fmt"
	"html"
	"io"
	"strings"
	"text/tabwriter"
)

// MaxTableRows bounds the rows Table shows; longer tables are cut with a note, so a
// cell never sends megabytes of HTML by accident.
const MaxTableRows = 2000

// Table shows a table with a header row: HTML in a notebook, aligned text elsewhere.
// Every row must have as many cells as the header.
func Table(header []string, rows [][]string) error {
	if len(header) == 0 {
		return fmt.Errorf("nb: Table: empty header")
	}
	for i, r := range rows {
		if len(r) != len(header) {
			return fmt.Errorf("nb: Table: row %d has %d cells, the header has %d", i, len(r), len(header))
		}
	}
	shown, cut := rows, 0
	if len(rows) > MaxTableRows {
		shown, cut = rows[:MaxTableRows], len(rows)-MaxTableRows
	}
	send(message{data: map[string]any{
		MIMEHTML: tableHTML(header, shown, cut),
		MIMEText: tableText(header, shown, cut),
	}})
	Sync()
	return nil
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

func tableHTML(header []string, rows [][]string, cut int) string {
	var b strings.Builder
	b.WriteString(`<table class="ifprobe-table"><thead><tr>`)
	for _, h := range header {
		fmt.Fprintf(&b, "<th>%s</th>", html.EscapeString(h))
	}
	b.WriteString("</tr></thead><tbody>")
	for _, r := range rows {
		b.WriteString("<tr>")
		for _, c := range r {
			fmt.Fprintf(&b, "<td>%s</td>", html.EscapeString(c))
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</tbody></table>")
	if cut > 0 {
		fmt.Fprintf(&b, "<p><i>%d more rows not shown</i></p>", cut)
	}
	return b.String()
}

func tableText(header []string, rows [][]string, cut int) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, textRow(header))
	for _, r := range rows {
		fmt.Fprintln(tw, textRow(r))
	}
	tw.Flush()
	if cut > 0 {
		fmt.Fprintf(&b, "(%d more rows not shown)\n", cut)
	}
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
