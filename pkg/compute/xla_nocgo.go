//go:build !cgo

package compute

import "github.com/gomlx/gomlx/backends"

// xlaCompiled is false in CGO_ENABLED=0 builds: GoMLX's XLA backend needs cgo to
// dlopen PJRT plugins, so only SimpleGo is available.
const xlaCompiled = false

// newXLACPU fails: Plan offers no XLA candidate in this build.
func newXLACPU(string, int) (backends.Backend, error) { return nil, ErrNoXLA }
