//go:build unix

package flock

import (
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// TestLock: a second holder is refused without wait and admitted, with wait,
// once the first lets go.
func TestLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".lock")
	a, err := Lock(path, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(path, false); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Lock: %v, want ErrLocked", err)
	}
	got := make(chan error)
	go func() {
		b, err := Lock(path, true)
		if err == nil {
			b.Close()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("waiting Lock returned %v while the lock was held", err)
	case <-time.After(50 * time.Millisecond):
	}
	a.Close()
	if err := <-got; err != nil {
		t.Fatal(err)
	}
}
