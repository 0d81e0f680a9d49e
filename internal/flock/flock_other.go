//go:build !unix

package flock

import "os"

// TryLock opens path; there is no lock on this platform.
func TryLock(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
}
