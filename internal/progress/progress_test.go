package progress

import (
	"bytes"
	"strings"
	"testing"
)

// Off a terminal the bar prints plain lines, and resumed work does not inflate the rate.
func TestPlainLines(t *testing.T) {
	var buf bytes.Buffer
	b := New(&buf, "dataset", 10)
	b.Set(4, 10) // resumed: 4 already done
	b.Set(10, 10)
	b.Done()
	out := buf.String()
	if !strings.Contains(out, "dataset: 4/10") || !strings.Contains(out, "dataset: 10/10") {
		t.Fatalf("output %q", out)
	}
	if !strings.Contains(out, "(0.00 items/s") || !strings.Contains(out, "ETA ?") {
		t.Fatalf("a rate was claimed before a second passed: %q", out)
	}
}
