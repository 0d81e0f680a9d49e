package flock

import (
	"errors"
	"path/filepath"
	"runtime"
	"testing"
)

func TestTryLock(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no flock")
	}
	p := filepath.Join(t.TempDir(), ".lock")
	a, err := TryLock(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := TryLock(p); !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock: %v, want ErrLocked", err)
	}
	a.Close()
	b, err := TryLock(p)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	b.Close()
	if _, err := TryLock(filepath.Join(t.TempDir(), "no", "such", "dir")); err == nil {
		t.Error("lock in a missing directory: no error")
	}
}
