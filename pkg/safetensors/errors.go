package safetensors

import "errors"

// Sentinel errors. Errors returned by this package wrap one of them (test with
// errors.Is) and name the file and, where there is one, the tensor.
var (
	// ErrFormat: the file is not a valid safetensors file (truncated, lying header,
	// overlapping or out-of-range offsets, bad JSON, bad index file, ...).
	ErrFormat = errors.New("invalid safetensors data")
	// ErrNotFound: no tensor of that name.
	ErrNotFound = errors.New("tensor not found")
	// ErrDType: the element type is unknown or cannot be converted as asked.
	ErrDType = errors.New("unsupported dtype")
)
