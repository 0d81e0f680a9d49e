package gguf

import "errors"

// Sentinel errors. Every error this package returns names the file and the field
// and wraps one of these, so callers can test the kind with errors.Is.
var (
	// ErrFormat marks a file that is not a well-formed GGUF: bad magic, truncated,
	// lengths or counts that exceed the file, bad offsets, invalid UTF-8 in names.
	ErrFormat = errors.New("malformed GGUF")
	// ErrUnsupported marks a well-formed file or tensor this package cannot handle:
	// a version other than 2 or 3, big-endian data, or a tensor type it cannot
	// dequantize.
	ErrUnsupported = errors.New("unsupported GGUF feature")
	// ErrNotFound marks a metadata key or tensor name that the file does not have.
	ErrNotFound = errors.New("not found")
	// ErrType marks a metadata value whose type differs from the one asked for.
	ErrType = errors.New("wrong metadata type")
)
