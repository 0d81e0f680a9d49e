package stage

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ifprobe/ifprobe/internal/flock"
)

// LockFile is the file a run holds locked in its run folder.
const LockFile = ".run.lock"

// ErrBusy is wrapped by Lock's error when another process runs in the folder.
var ErrBusy = errors.New("the run folder is in use by another run")

// Lock takes the run folder dir (created if needed) for this process, writing what
// holds it (pid and description) into the lock file for the next one to read. The
// returned function releases it. A second Lock on the same folder, from any process,
// fails at once with ErrBusy and the holder's description.
func Lock(dir, who string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("stage: %w", err)
	}
	path := filepath.Join(dir, LockFile)
	f, err := flock.Lock(path, false)
	if errors.Is(err, flock.ErrLocked) {
		holder := "another process"
		if b, rerr := os.ReadFile(path); rerr == nil && len(strings.TrimSpace(string(b))) > 0 {
			holder = strings.TrimSpace(string(b))
		}
		return nil, fmt.Errorf("%w: %s is held by %s; wait for it to finish or stop it, or use another output folder", ErrBusy, dir, holder)
	}
	if err != nil {
		return nil, fmt.Errorf("stage: %w", err)
	}
	// The description is informational: the flock, not the text, is the lock.
	if err := f.Truncate(0); err == nil {
		io.WriteString(f, fmt.Sprintf("pid %d (%s)\n", os.Getpid(), who))
	}
	return func() { f.Close() }, nil
}
