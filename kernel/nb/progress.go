package nb

import (
	"fmt"
	"html"
	"io"
	"os"
	"sync"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
)

// Progress is a progress bar. In a notebook it is one output block that is redrawn
// in place (a Jupyter display id); elsewhere it prints a line to standard error at
// every 10%. It redraws only when the whole percentage changes, so a loop may call
// Add on every item. Safe for concurrent use.
type Progress struct {
	mu      sync.Mutex
	label   string
	total   int
	done    int
	start   time.Time
	id      string // display id of the notebook block
	shown   int    // last percentage drawn, -1 before the first
	closed  bool
	now     func() time.Time // time source (tests fix it)
	text    io.Writer        // outside a notebook; nil means os.Stderr
	inNotes bool             // whether we draw in a notebook
}

// NewProgress starts a progress bar for total steps (total <= 0 shows a count
// without a percentage) and draws it at 0.
func NewProgress(label string, total int) *Progress {
	p := &Progress{
		label: label, total: total, shown: -1,
		id:      "ifprobe-progress-" + gonbui.UniqueId(),
		now:     time.Now,
		inNotes: gonbui.IsNotebook,
	}
	p.start = p.now()
	p.mu.Lock()
	p.draw(false)
	p.mu.Unlock()
	return p
}

// Add advances the bar by n steps.
func (p *Progress) Add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.setLocked(p.done + n)
}

// Set moves the bar to done steps.
func (p *Progress) Set(done int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.setLocked(done)
}

// Done draws the final state, with the elapsed time, and stops further updates.
func (p *Progress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	p.draw(true)
	if p.inNotes {
		Sync()
	}
}

func (p *Progress) setLocked(done int) {
	if p.closed {
		return
	}
	if done < 0 {
		done = 0
	}
	if p.total > 0 && done > p.total {
		done = p.total
	}
	p.done = done
	p.draw(false)
}

// percent is the whole percentage done, or the count when there is no total.
func (p *Progress) percent() int {
	if p.total <= 0 {
		return p.done
	}
	return 100 * p.done / p.total
}

// draw redraws when the percentage moved (always when final).
func (p *Progress) draw(final bool) {
	pct := p.percent()
	if !final && pct == p.shown {
		return
	}
	if !p.inNotes && !final && p.shown >= 0 && p.total > 0 && pct/10 == p.shown/10 {
		return // text: one line per 10%
	}
	p.shown = pct
	status := p.status(final)
	if !p.inNotes {
		w := p.text
		if w == nil {
			w = os.Stderr
		}
		fmt.Fprintf(w, "%s: %s\n", p.label, status)
		return
	}
	bar := ""
	if p.total > 0 {
		bar = fmt.Sprintf(`<progress value="%d" max="%d" style="width:24em"></progress> `, p.done, p.total)
	}
	send(message{displayID: p.id, data: map[string]any{
		MIMEHTML: fmt.Sprintf(`<div class="ifprobe-progress"><b>%s</b> %s%s</div>`,
			html.EscapeString(p.label), bar, html.EscapeString(status)),
		MIMEText: p.label + ": " + status,
	}})
}

func (p *Progress) status(final bool) string {
	elapsed := p.now().Sub(p.start).Round(100 * time.Millisecond)
	count := fmt.Sprintf("%d", p.done)
	if p.total > 0 {
		count = fmt.Sprintf("%d/%d (%d%%)", p.done, p.total, p.percent())
	}
	if final {
		return fmt.Sprintf("%s done in %v", count, elapsed)
	}
	return fmt.Sprintf("%s, %v", count, elapsed)
}
