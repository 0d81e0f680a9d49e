package compute

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/gomlx/gomlx/backends"
)

// EnvCPUDevices names the environment variable that sets how many host devices
// the XLA CPU client is opened with (the PJRT plugin's cpu_device_count). Unset,
// the plugin keeps its own default (4 for the plugin install.sh installs), but
// only one of them counts for AllDevices: host devices share the machine's
// cores, so more of them only hold more copies of the weights. More than one is
// for testing multi-device code on a machine without GPUs; a --devices N flag
// sets it before the backend opens (RequestCPUDevices).
const EnvCPUDevices = "IFPROBE_CPU_DEVICES"

// ErrDevices: a device count that the backend cannot give.
var ErrDevices = errors.New("compute: bad device count")

// Devices is how many devices of a backend one model uses at once: a count, or
// AllDevices. The zero value, like 1, means one device.
type Devices int

// AllDevices is every device of the backend (Info.Devices).
const AllDevices Devices = -1

// ParseDevices reads a --devices value: a count of at least 1, or "all".
func ParseDevices(s string) (Devices, error) {
	s = strings.TrimSpace(s)
	if s == "all" {
		return AllDevices, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%w: %q: want a count of at least 1, or all", ErrDevices, s)
	}
	return Devices(n), nil
}

func (d Devices) String() string {
	if d == AllDevices {
		return "all"
	}
	return strconv.Itoa(max(1, int(d)))
}

// RequestCPUDevices asks for d host devices from an XLA CPU backend opened after
// it: it sets $IFPROBE_CPU_DEVICES to d unless the environment already gives a
// value. It changes nothing for AllDevices or one device, and nothing on other
// backends. Call it before Open.
func RequestCPUDevices(d Devices) {
	if d > 1 && os.Getenv(EnvCPUDevices) == "" {
		_ = os.Setenv(EnvCPUDevices, strconv.Itoa(int(d)))
	}
}

// cpuDevices is the host device count $IFPROBE_CPU_DEVICES asks for, 0 if unset.
func cpuDevices() (int, error) {
	s := os.Getenv(EnvCPUDevices)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%w: $%s=%q: want a count of at least 1", ErrDevices, EnvCPUDevices, s)
	}
	return n, nil
}

// Count resolves d for backend b opened as info: AllDevices is info.Devices, and a
// count may not exceed what b has.
func (d Devices) Count(b backends.Backend, info Info) (int, error) {
	if d == AllDevices {
		return max(1, info.Devices), nil
	}
	n := max(1, int(d))
	if have := b.NumDevices(); n > have {
		hint := ""
		if info.Kind == KindXLACPU {
			hint = fmt.Sprintf(" (host devices: $%s sets how many the XLA CPU client opens with)", EnvCPUDevices)
		}
		return 0, fmt.Errorf("%w: %d devices asked, the %s backend has %d%s", ErrDevices, n, info.Kind, have, hint)
	}
	return n, nil
}

// usableDevices is Info.Devices for b of kind: its devices, except that XLA CPU's
// host devices count only when asked for (hostDevices > 0).
func usableDevices(b backends.Backend, kind Kind, hostDevices int) int {
	if kind == KindXLACPU {
		return max(1, min(hostDevices, b.NumDevices()))
	}
	return max(1, b.NumDevices())
}
