//go:build unix

package acts

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockFile names the file a Writer holds an exclusive flock on. The kernel drops the
// lock when the process dies, so a killed writer never blocks the rerun.
const lockFile = ".lock"

// lock takes the store's writer lock without waiting; ErrLocked when another Writer
// (in this or another process) holds it.
func lock(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("acts: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("acts: %s: %w", dir, ErrLocked)
		}
		return nil, fmt.Errorf("acts: lock %s: %w", dir, err)
	}
	return f, nil
}
