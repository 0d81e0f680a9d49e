package home

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDir(t *testing.T) {
	t.Setenv(Env, "/data/ifprobe")
	if got := Dir(); got != "/data/ifprobe" {
		t.Errorf("with %s set: %q", Env, got)
	}
	t.Setenv(Env, "")
	t.Setenv("HOME", "/home/u")
	if got, want := Dir(), filepath.Join("/home/u", ".cache", "ifprobe"); got != want {
		t.Errorf("unset: %q, want %q", got, want)
	}
	t.Setenv("HOME", "")
	if got, want := Dir(), filepath.Join(os.TempDir(), "ifprobe"); got != want {
		t.Errorf("no home directory: %q, want %q", got, want)
	}
}
