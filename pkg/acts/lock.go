package acts

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ifprobe/ifprobe/internal/flock"
)

// lockFile names the file a Writer holds an exclusive flock on. The kernel drops the
// lock when the process dies, so a killed writer never blocks the rerun.
const lockFile = ".lock"

// lock takes the store's writer lock without waiting; ErrLocked when another Writer
// (in this or another process) holds it.
func lock(dir string) (*os.File, error) {
	f, err := flock.Lock(filepath.Join(dir, lockFile), false)
	if errors.Is(err, flock.ErrLocked) {
		return nil, fmt.Errorf("acts: %s: %w", dir, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("acts: %w", err)
	}
	return f, nil
}
