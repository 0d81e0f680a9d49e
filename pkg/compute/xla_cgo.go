//go:build cgo

package compute

import (
	// GoMLX's XLA backend loads PJRT plugins with dlopen, so it needs cgo (and
	// nothing else: no C library at build time). CGO_ENABLED=0 builds leave it out
	// and run on SimpleGo only; see xla_nocgo.go.
	"github.com/gomlx/gomlx/backends/xla"
)

const xlaCompiled = true

func init() {
	// The XLA backend reads GOMLX_NO_AUTO_INSTALL in its own init, which may run
	// before anyone sets it: switch the download off here too.
	xla.EnableAutoInstall(false)
}
