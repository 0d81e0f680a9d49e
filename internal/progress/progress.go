package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Bar reports the progress of one stage.
type Bar struct {
	mu    sync.Mutex
	w     io.Writer
	label string
	bar   *progressbar.ProgressBar
	start time.Time
	last  time.Time
	first int // items already done when the bar started (resumed work)
	seen  bool
}

// New returns a bar writing to w (a terminal gets an in-place bar).
func New(w io.Writer, label string, total int) *Bar {
	b := &Bar{w: w, label: label, start: time.Now()}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		b.bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(label),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())
	}
	return b
}

// Set records that done of total items are finished.
func (b *Bar) Set(done, total int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.bar != nil {
		b.bar.ChangeMax(total)
		b.bar.Set(done)
		return
	}
	if !b.seen { // the rate counts only work done while the bar ran
		b.first, b.seen, b.start = done, true, time.Now()
	}
	now := time.Now()
	if done < total && now.Sub(b.last) < 10*time.Second {
		return
	}
	b.last = now
	el := now.Sub(b.start)
	rate := 0.0 // unknown until a second has passed
	if el >= time.Second {
		rate = float64(done-b.first) / el.Seconds()
	}
	eta := "?"
	if rate > 0 && done > 0 {
		eta = time.Duration(float64(total-done) / rate * float64(time.Second)).Round(time.Second).String()
	}
	fmt.Fprintf(b.w, "%s: %d/%d (%.2f items/s, elapsed %s, ETA %s)\n", b.label, done, total, rate, el.Round(time.Second), eta)
}

// Done finishes the bar.
func (b *Bar) Done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.bar != nil {
		b.bar.Finish()
	}
}
