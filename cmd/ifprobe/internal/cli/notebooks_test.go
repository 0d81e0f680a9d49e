package cli

import (
	"errors"
	"strings"
	"testing"
)

func TestNotebooksRunUsage(t *testing.T) {
	for i, args := range [][]string{
		{"notebooks", "run", "--profile", "huge"},        // 0: unknown profile
		{"notebooks", "run", "no-such-notebook-ifprobe"}, // 1: unknown notebook
		{"notebooks", "run", "--timeout", "-1s"},         // 2: negative timeout
	} {
		_, err := runCmd(t, "", args...)
		var ue *UsageError
		if !errors.As(err, &ue) {
			t.Errorf("case %d: %v: err = %v, want a usage error (exit 2)", i, args, err)
		}
	}
}

func TestNotebooksList(t *testing.T) {
	out, err := runCmd(t, "", "notebooks", "list")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "00-tour\n") {
		t.Errorf("notebooks list = %q, want 00-tour", out)
	}
}
