//go:build !unix

package acts

import "os"

const lockFile = ".lock"

// lock is a no-op where flock is not available: do not open two Writers on one store.
func lock(dir string) (*os.File, error) { return nil, nil }
