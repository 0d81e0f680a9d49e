package membudget

import (
	"errors"
	"strings"
	"testing"
)

func TestBudget(t *testing.T) {
	t.Setenv(Env, "")
	if b, src := Budget(); b < 1<<28 || !strings.Contains(src, "half") {
		t.Errorf("budget %d (%s): want half of a real machine's memory", b, src)
	}
	t.Setenv(Env, "2GiB")
	if b, src := Budget(); b != 2<<30 || src != "$"+Env {
		t.Errorf("budget %d (%s), want 2 GiB from the environment", b, src)
	}
	if err := Check("planning", 1<<30, "lower it"); err != nil {
		t.Error(err)
	}
	err := Check("planning 9 items", 3.5*(1<<40), "lower --per-task")
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "about 3.5 TiB") || !strings.Contains(err.Error(), "2.0 GiB") ||
		!strings.Contains(err.Error(), "lower --per-task") {
		t.Errorf("over budget: %v", err)
	}
}

func TestParse(t *testing.T) {
	for s, want := range map[string]uint64{"512": 512, "6GiB": 6 << 30, "512 MiB": 512 << 20, "1.5G": 3 << 29, "2k": 2048, "1TB": 1 << 40} {
		if got, err := Parse(s); err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "-1", "0", "x", "5 parsecs", "1e400"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q): no error", s)
		}
	}
	if got := Format(1.7e13); got != "15.5 TiB" {
		t.Errorf("Format = %q", got)
	}
}
