// Package limitread reads a whole stream or file under a size cap: the guard every
// reader of untrusted or user-given input (manifests, indexes, configs, saved
// probes, notebooks, standard input) needs before it allocates what the input asks.
package limitread

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrTooLarge is wrapped by the error of an input longer than its cap.
var ErrTooLarge = errors.New("larger than the limit")

// All reads r to EOF. More than max bytes is an error wrapping ErrTooLarge; at
// most max+1 bytes are read either way.
func All(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%w of %d bytes", ErrTooLarge, max)
	}
	return data, nil
}

// File reads the file at path whole, as All does; every error names the path.
func File(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // *fs.PathError names the path
	}
	defer f.Close()
	data, err := All(f, max)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, nil
}

// ErrNotRegular is returned (wrapped) by Open for a path that is not a regular
// file: a device, a FIFO or a directory given where a model file was expected
// would otherwise block or read without end.
var ErrNotRegular = errors.New("not a regular file")

// Open opens the regular file at path for random access and returns its size.
// The caller closes the file.
func Open(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = fmt.Errorf("%s: %w", path, ErrNotRegular)
	}
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, st.Size(), nil
}
