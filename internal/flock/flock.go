// Package flock takes an exclusive advisory lock on a file (flock(2)), which the
// kernel drops when the process dies, so a killed holder never blocks a rerun.
// Where flock does not exist, locking is a no-op and callers must not run two
// holders at once.
package flock

import "errors"

// ErrLocked is returned by Lock(path, false) when another holder has the lock.
var ErrLocked = errors.New("flock: held by another process or writer")
