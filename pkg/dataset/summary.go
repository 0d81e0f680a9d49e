package dataset

import (
	"fmt"
	"io"
	"sort"
	"text/tabwriter"

	"github.com/ifprobe/ifprobe/pkg/tasks"
)

// MinMinority is the smallest share of the minority label a task should have
// for probes to be trained on it; Summary.Imbalanced flags tasks below it.
const MinMinority = 0.20

// Summary is the pass rate of one task over a set of records.
type Summary struct {
	Task       string  `json:"task"`
	N          int     `json:"n"`         // labelled records
	Satisfied  int     `json:"satisfied"` // records with label true
	PassRate   float64 `json:"pass_rate"` // Satisfied / N
	Minority   float64 `json:"minority"`  // min(PassRate, 1-PassRate)
	Imbalanced bool    `json:"imbalanced"`
	// Truncated counts the responses stopped by the token limit (they have no
	// eos state), and TruncatedSatisfied those of them labelled satisfied.
	Truncated          int `json:"truncated"`
	TruncatedSatisfied int `json:"truncated_satisfied"`
}

// Summarize computes per-task pass rates, in the study's task order followed by
// any other task names in sorted order. Controls (no label) are not counted.
func Summarize(records []Record) []Summary {
	by := map[string]*Summary{}
	for _, r := range records {
		if r.Label == nil {
			continue
		}
		s := by[r.Task]
		if s == nil {
			s = &Summary{Task: r.Task}
			by[r.Task] = s
		}
		s.N++
		if *r.Label {
			s.Satisfied++
		}
		if r.Truncated {
			s.Truncated++
			if *r.Label {
				s.TruncatedSatisfied++
			}
		}
	}
	var out []Summary
	add := func(name string) {
		s, ok := by[name]
		if !ok {
			return
		}
		s.PassRate = float64(s.Satisfied) / float64(s.N)
		s.Minority = float64(min(s.Satisfied, s.N-s.Satisfied)) / float64(s.N)
		s.Imbalanced = s.Minority < MinMinority
		out = append(out, *s)
		delete(by, name)
	}
	for _, n := range tasks.Names() {
		add(n)
	}
	rest := make([]string, 0, len(by))
	for n := range by {
		rest = append(rest, n)
	}
	sort.Strings(rest)
	for _, n := range rest {
		add(n)
	}
	return out
}

// WriteSummary prints summaries as an aligned table; imbalanced tasks are marked
// with "minority < 20%".
func WriteSummary(w io.Writer, ss []Summary) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "task\tn\tsatisfied\tpass rate\ttruncated\tflag")
	for _, s := range ss {
		flag := "-"
		if s.Imbalanced {
			flag = fmt.Sprintf("minority < %.0f%%", 100*MinMinority)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f%%\t%d\t%s\n", s.Task, s.N, s.Satisfied, 100*s.PassRate, s.Truncated, flag)
	}
	return tw.Flush()
}
