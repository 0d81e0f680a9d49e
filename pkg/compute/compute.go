package compute

import (
	"fmt"
	"os"
	"sync"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego" // the pure-Go fallback is always available
)

// EnvBackend names the environment variable that forces a backend choice
// ("go", "xla:cpu", "xla:cuda", or "xla:/abs/path/plugin.so").
const EnvBackend = "IFPROBE_BACKEND"

// Info says which backend was chosen and why.
type Info struct {
	Name       string `json:"name"`        // backend name as GoMLX knows it: "go" or "xla"
	Config     string `json:"config"`      // the full GoMLX config string passed to backends.NewWithConfig
	Reason     string `json:"reason"`      // why this backend was chosen
	PluginPath string `json:"plugin_path"` // absolute PJRT plugin path for XLA, empty otherwise
	Device     string `json:"device"`      // the device description reported by the backend
}

// Open chooses and opens a backend. choice is an explicit backend ("go", "xla:...");
// empty means: $IFPROBE_BACKEND if set, else automatic selection.
func Open(choice string) (backends.Backend, Info, error) {
	// GoMLX's default XLA set-up downloads a PJRT plugin at first use; never do that.
	os.Setenv("GOMLX_NO_AUTO_INSTALL", "1")
	info := Info{}
	if choice == "" {
		choice = os.Getenv(EnvBackend)
		if choice != "" {
			info.Reason = "chosen by $" + EnvBackend
		}
	} else {
		info.Reason = "chosen explicitly"
	}
	if choice == "" {
		choice, info.Reason = "go", "no XLA PJRT plugin installed: using SimpleGo (pure Go)"
	}
	info.Config = choice
	b, err := backends.NewWithConfig(choice)
	if err != nil {
		return nil, info, fmt.Errorf("compute: open backend %q (%s): %w", choice, info.Reason, err)
	}
	info.Name = b.Name()
	info.Device = b.DeviceDescription(0)
	return b, info, nil
}

var (
	defaultOnce    sync.Once
	defaultBackend backends.Backend
	defaultInfo    Info
	defaultErr     error
)

// Default returns the process-wide backend, opened on first use with Open("").
func Default() (backends.Backend, Info, error) {
	defaultOnce.Do(func() { defaultBackend, defaultInfo, defaultErr = Open("") })
	return defaultBackend, defaultInfo, defaultErr
}
