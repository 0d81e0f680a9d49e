package compute

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego" // the pure-Go fallback is always available
)

// EnvBackend names the environment variable that forces a backend choice
// ("go", "xla", "xla:cpu", "xla:cuda", or "xla:/abs/path/plugin.so"; see Plan).
const EnvBackend = "IFPROBE_BACKEND"

// Info says which backend was chosen and why.
type Info struct {
	Name       string `json:"name"`        // backend name as GoMLX reports it, e.g. "SimpleGo (go)" or "xla"
	Kind       Kind   `json:"kind"`        // go, xla-cpu or xla-cuda
	Config     string `json:"config"`      // the full GoMLX config string passed to backends.NewWithConfig
	Reason     string `json:"reason"`      // why this backend was chosen, in words
	PluginPath string `json:"plugin_path"` // absolute PJRT plugin path for XLA, empty otherwise
	Device     string `json:"device"`      // the device: the backend's description of device 0, or the CPU for SimpleGo
	MatMul     string `json:"matmul"`      // f32 matrix-product precision: MatMulF32, or MatMulTF32 on a GPU when $IFPROBE_TF32 allows it
	// Devices is how many devices a model may generate on at once (--devices all):
	// the GPUs for XLA CUDA; for XLA CPU the host devices $EnvCPUDevices asks for,
	// else 1; 1 for SimpleGo.
	Devices int `json:"devices"`
}

// Open chooses and opens a backend. choice is an explicit backend (see Plan for
// the accepted values); empty means $IFPROBE_BACKEND if set, else automatic
// selection: XLA CUDA, then XLA CPU, then SimpleGo, taking the first that opens.
// An explicit choice that cannot be opened is an error naming where the choice
// came from and the fix; it never falls back silently.
//
// Open sets GOMLX_NO_AUTO_INSTALL=1, so nothing is downloaded at run time. Each call opens
// a new backend; most code wants Default.
func Open(choice string) (backends.Backend, Info, error) {
	_ = os.Setenv("GOMLX_NO_AUTO_INSTALL", "1")
	source := "the explicit choice"
	if choice == "" {
		if env := os.Getenv(EnvBackend); env != "" {
			choice, source = env, "$"+EnvBackend
		}
	}
	cands, err := Plan(choice, source, Discover())
	if err != nil {
		return nil, Info{Reason: err.Error()}, err
	}
	var failures []string
	for i, c := range cands {
		b, info, err := OpenCandidate(c)
		if err == nil {
			if len(failures) > 0 {
				info.Reason += " (" + strings.Join(failures, "; ") + ")"
			}
			return b, info, nil
		}
		if i == len(cands)-1 {
			return nil, info, err
		}
		failures = append(failures, err.Error())
	}
	panic("unreachable: Plan returns at least one candidate")
}

// OpenCandidate opens one candidate of Plan. For XLA CUDA it first sets the
// environment the plugin reads (prepareCUDA): the CUDA data directory, and full
// f32 matrix products unless $IFPROBE_TF32 allows TF32.
func OpenCandidate(c Candidate) (backends.Backend, Info, error) {
	info := Info{Kind: c.Kind, Config: c.Config, Reason: c.Reason, PluginPath: c.PluginPath, MatMul: MatMulF32}
	if c.Kind == KindXLACUDA {
		info.MatMul = prepareCUDA(c.CUDADataDir)
	}
	hostDevices, err := cpuDevices()
	if err != nil {
		return nil, info, err
	}
	var b backends.Backend
	if c.Kind == KindXLACPU && hostDevices > 0 {
		b, err = newXLACPU(c.Config, hostDevices)
	} else {
		b, err = newBackend(c.Config)
	}
	if err != nil {
		return nil, info, fmt.Errorf("compute: open %s backend %q: %w", c.Kind, c.Config, err)
	}
	info.Name = b.Name()
	info.Device = b.DeviceDescription(0)
	info.Devices = usableDevices(b, c.Kind, hostDevices)
	if c.Kind == KindSimpleGo {
		info.Device = fmt.Sprintf("CPU, %d threads (GOMAXPROCS), pure Go", runtime.GOMAXPROCS(0))
	}
	return b, info, nil
}

// newBackend calls backends.NewWithConfig, which panics for an unknown backend
// name, and turns any panic into an error.
func newBackend(config string) (b backends.Backend, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("%v", r)
		}
	}()
	return backends.NewWithConfig(config)
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

// Available lists one candidate per backend kind that this machine could open,
// SimpleGo last, without opening any: for benchmarks and `ifprobe doctor`.
func Available() []Candidate {
	f := Discover()
	var out []Candidate
	if f.XLACompiled && f.CUDAPlugin != "" && f.GPU {
		out = append(out, Candidate{Kind: KindXLACUDA, Config: "xla:" + f.CUDAPlugin, PluginPath: f.CUDAPlugin,
			CUDADataDir: f.CUDADataDir, Reason: "CUDA plugin at " + f.CUDAPlugin})
	}
	if f.XLACompiled && f.CPUPlugin != "" {
		out = append(out, Candidate{Kind: KindXLACPU, Config: "xla:" + f.CPUPlugin, PluginPath: f.CPUPlugin,
			Reason: "CPU plugin at " + f.CPUPlugin})
	}
	return append(out, Candidate{Kind: KindSimpleGo, Config: SimpleGoConfig, Reason: "always available"})
}
