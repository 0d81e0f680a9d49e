//go:build cgo

package compute

import (
	"fmt"
	"strings"

	"github.com/gomlx/go-xla/pkg/pjrt"
	"github.com/gomlx/gomlx/backends"
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

// newXLACPU opens the XLA CPU backend of config ("xla:/path/plugin.so") with n
// host devices: the plugin's cpu_device_count client option (XLA_FLAGS'
// --xla_force_host_platform_device_count does not reach a PJRT plugin's client).
func newXLACPU(config string, n int) (b backends.Backend, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("%v", r)
		}
	}()
	return xla.NewWithOptions(strings.TrimPrefix(config, "xla:"), pjrt.NamedValuesMap{"cpu_device_count": int64(n)})
}
