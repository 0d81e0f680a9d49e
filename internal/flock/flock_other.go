//go:build !unix

package flock

import "os"

// Lock is a no-op where flock is not available; the returned file is nil.
func Lock(path string, wait bool) (*os.File, error) { return nil, nil }
