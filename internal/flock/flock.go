package flock

import "errors"

// ErrLocked is wrapped by TryLock's error when the lock is held.
var ErrLocked = errors.New("locked by another process or writer")
