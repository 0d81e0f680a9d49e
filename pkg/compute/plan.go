package compute

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// Kind is a backend family as ifprobe chooses among them.
type Kind string

// The backend kinds, in the order automatic selection prefers them.
const (
	KindXLACUDA  Kind = "xla-cuda" // XLA on an NVIDIA GPU through a jax-cuda PJRT plugin
	KindXLACPU   Kind = "xla-cpu"  // XLA on the CPU through a PJRT plugin installed by install.sh
	KindSimpleGo Kind = "go"       // GoMLX's pure-Go backend: always available
)

// SimpleGoConfig is the GoMLX configuration ifprobe opens SimpleGo with.
//
// ops_sequential runs a graph's ops one after the other on the calling goroutine
// while each op (DotGeneral, large element-wise ops) still splits its own work over
// the CPU cores. With SimpleGo's default scheduling, ops run on pool workers and a
// DotGeneral inside a worker waits (WaitToStart) for more workers from the same
// pool without giving back its own slot. The pool has 2·NumCPU slots; training the
// 5M-parameter transformer of this package's tests on 2 cores hung in 3 of 3 runs
// with all 4 slots held by execDotGeneralLarge calls waiting for a fifth.
// parallelism=-1 also avoids that, but GoMLX then prints to stdout, which would
// corrupt --json output.
const SimpleGoConfig = "go:ops_sequential"

// Sentinel errors of Plan and Open; test them with errors.Is.
var (
	// ErrUnknownBackend: the choice names no backend ifprobe knows.
	ErrUnknownBackend = errors.New("compute: unknown backend")
	// ErrNoPlugin: an XLA backend was chosen but no PJRT plugin for it is installed.
	ErrNoPlugin = errors.New("compute: PJRT plugin not installed")
	// ErrNoXLA: an XLA backend was chosen but this binary was built without cgo,
	// so GoMLX's XLA backend is not compiled in.
	ErrNoXLA = errors.New("compute: XLA backend not compiled in (built with CGO_ENABLED=0)")
	// ErrNoGPU: the CUDA plugin was chosen but no NVIDIA device is visible.
	ErrNoGPU = errors.New("compute: no NVIDIA GPU visible")
)

// Found is what Discover saw on this machine; Plan decides from it alone, so the
// decision can be tested without the machine.
type Found struct {
	XLACompiled bool     `json:"xla_compiled"`  // GoMLX's XLA backend is linked in (cgo build)
	CPUPlugin   string   `json:"cpu_plugin"`    // absolute path of an XLA CPU PJRT plugin, "" if none
	CUDAPlugin  string   `json:"cuda_plugin"`   // absolute path of a jax-cuda PJRT plugin, "" if none
	CUDADataDir string   `json:"cuda_data_dir"` // the nvidia/ directory beside the CUDA plugin's packages
	GPU         bool     `json:"gpu"`           // an NVIDIA device node (/dev/nvidia*) exists
	Searched    []string `json:"searched"`      // where Discover looked for plugins, for error messages
}

// Candidate is one backend Open may try.
type Candidate struct {
	Kind        Kind   `json:"kind"`
	Config      string `json:"config"`      // GoMLX configuration string for backends.NewWithConfig
	PluginPath  string `json:"plugin_path"` // absolute PJRT plugin path for XLA kinds
	CUDADataDir string `json:"cuda_data_dir,omitempty"`
	Reason      string `json:"reason"` // why this candidate, in words
}

// Plan turns a backend choice and what was found into the candidates Open tries,
// in order. choice is "" or "auto" (automatic), "go" (SimpleGo with
// SimpleGoConfig), "go:<options>" (SimpleGo as given), "xla" (the best XLA
// plugin found), "xla:cpu", "xla:cuda", or "xla:/abs/path/plugin.so". source
// says where a non-automatic choice came from ("$IFPROBE_BACKEND", "--backend")
// and is used in errors. An explicit choice yields exactly one candidate or an
// error naming the source and the fix; automatic selection always ends with
// SimpleGo.
func Plan(choice, source string, f Found) ([]Candidate, error) {
	choice = strings.TrimSpace(choice)
	switch {
	case choice == "" || choice == "auto":
		return planAuto(f), nil
	case choice == "go" || choice == "simplego":
		return []Candidate{{Kind: KindSimpleGo, Config: SimpleGoConfig, Reason: "SimpleGo " + chosenBy(source)}}, nil
	case strings.HasPrefix(choice, "go:"):
		return []Candidate{{Kind: KindSimpleGo, Config: choice, Reason: "SimpleGo " + chosenBy(source)}}, nil
	case choice == "xla" || strings.HasPrefix(choice, "xla:"):
		c, err := planXLA(strings.TrimPrefix(strings.TrimPrefix(choice, "xla"), ":"), source, f)
		if err != nil {
			return nil, err
		}
		return []Candidate{c}, nil
	}
	return nil, fmt.Errorf("%w %q (%s): want go, xla, xla:cpu, xla:cuda or xla:/abs/path/plugin.so", ErrUnknownBackend, choice, source)
}

func chosenBy(source string) string {
	if source == "" {
		return "chosen explicitly"
	}
	return "chosen by " + source
}

// planAuto: XLA CUDA when its plugin and a GPU are present, then XLA CPU when its
// plugin is installed, then SimpleGo.
func planAuto(f Found) []Candidate {
	var out []Candidate
	var skipped []string
	if f.CUDAPlugin != "" {
		switch {
		case !f.XLACompiled:
			skipped = append(skipped, "a CUDA plugin is installed but this binary has no XLA (built without cgo)")
		case !f.GPU:
			skipped = append(skipped, "a CUDA plugin is installed but no NVIDIA GPU is visible")
		default:
			out = append(out, Candidate{Kind: KindXLACUDA, Config: "xla:" + f.CUDAPlugin, PluginPath: f.CUDAPlugin,
				CUDADataDir: f.CUDADataDir, Reason: "XLA on the GPU: CUDA PJRT plugin found at " + f.CUDAPlugin})
		}
	}
	if f.CPUPlugin != "" {
		if f.XLACompiled {
			reason := "XLA on the CPU: PJRT plugin installed at " + f.CPUPlugin
			if f.CUDAPlugin == "" {
				reason += " (no CUDA plugin found)"
			}
			out = append(out, Candidate{Kind: KindXLACPU, Config: "xla:" + f.CPUPlugin, PluginPath: f.CPUPlugin, Reason: reason})
		} else {
			skipped = append(skipped, "an XLA CPU plugin is installed but this binary has no XLA (built without cgo)")
		}
	}
	reason := "SimpleGo (pure Go): no XLA PJRT plugin installed (run ./install.sh for the XLA CPU plugin)"
	if len(skipped) > 0 {
		reason = "SimpleGo (pure Go): " + strings.Join(skipped, "; ")
	} else if f.CPUPlugin != "" || f.CUDAPlugin != "" {
		reason = "SimpleGo (pure Go): the XLA plugins found failed to open"
	}
	return append(out, Candidate{Kind: KindSimpleGo, Config: SimpleGoConfig, Reason: reason})
}

// planXLA resolves "", "cpu", "cuda" or an absolute plugin path.
func planXLA(plugin, source string, f Found) (Candidate, error) {
	fix := "run ./install.sh, or choose another backend"
	if strings.HasPrefix(source, "$") {
		fix = "run ./install.sh, or unset " + strings.TrimPrefix(source, "$") + " to choose automatically"
	}
	if !f.XLACompiled {
		return Candidate{}, fmt.Errorf("%w: %s asks for %q; rebuild with cgo (CGO_ENABLED=1, a C compiler) or choose go", ErrNoXLA, source, "xla:"+plugin)
	}
	searched := strings.Join(f.Searched, ", ")
	switch {
	case plugin == "":
		if f.CUDAPlugin != "" && f.GPU {
			return Candidate{Kind: KindXLACUDA, Config: "xla:" + f.CUDAPlugin, PluginPath: f.CUDAPlugin,
				CUDADataDir: f.CUDADataDir, Reason: "XLA on the GPU " + chosenBy(source) + ": CUDA plugin at " + f.CUDAPlugin}, nil
		}
		if f.CPUPlugin != "" {
			return Candidate{Kind: KindXLACPU, Config: "xla:" + f.CPUPlugin, PluginPath: f.CPUPlugin,
				Reason: "XLA on the CPU " + chosenBy(source) + ": plugin at " + f.CPUPlugin}, nil
		}
		return Candidate{}, fmt.Errorf("%w: %s asks for xla but no XLA PJRT plugin was found (searched %s): %s", ErrNoPlugin, source, searched, fix)
	case plugin == "cpu":
		if f.CPUPlugin == "" {
			return Candidate{}, fmt.Errorf("%w: %s asks for xla:cpu but no XLA CPU PJRT plugin was found (searched %s): %s", ErrNoPlugin, source, searched, fix)
		}
		return Candidate{Kind: KindXLACPU, Config: "xla:" + f.CPUPlugin, PluginPath: f.CPUPlugin,
			Reason: "XLA on the CPU " + chosenBy(source) + ": plugin at " + f.CPUPlugin}, nil
	case plugin == "cuda":
		if f.CUDAPlugin == "" {
			return Candidate{}, fmt.Errorf("%w: %s asks for xla:cuda but no jax-cuda PJRT plugin (jax_plugins/xla_cuda*/xla_cuda_plugin.so) was found (searched %s): pip install jax-cuda13-pjrt, or choose another backend", ErrNoPlugin, source, searched)
		}
		if !f.GPU {
			return Candidate{}, fmt.Errorf("%w: %s asks for xla:cuda and the plugin is at %s, but no /dev/nvidia* device exists", ErrNoGPU, source, f.CUDAPlugin)
		}
		return Candidate{Kind: KindXLACUDA, Config: "xla:" + f.CUDAPlugin, PluginPath: f.CUDAPlugin,
			CUDADataDir: f.CUDADataDir, Reason: "XLA on the GPU " + chosenBy(source) + ": CUDA plugin at " + f.CUDAPlugin}, nil
	case filepath.IsAbs(plugin):
		kind := KindXLACPU
		if strings.Contains(strings.ToLower(plugin), "cuda") {
			kind = KindXLACUDA
		}
		c := Candidate{Kind: kind, Config: "xla:" + plugin, PluginPath: plugin, Reason: "XLA plugin " + chosenBy(source) + ": " + plugin}
		if kind == KindXLACUDA {
			c.CUDADataDir = nvidiaDataDir(filepath.Dir(filepath.Dir(filepath.Dir(plugin))))
		}
		return c, nil
	}
	return Candidate{}, fmt.Errorf("%w %q (%s): after xla: want cpu, cuda or an absolute plugin path", ErrUnknownBackend, "xla:"+plugin, source)
}

// CheckChoice checks the syntax of a backend choice without looking at the
// machine, for validating flags: the error, if any, wraps ErrUnknownBackend.
func CheckChoice(choice string) error {
	everything := Found{XLACompiled: true, CPUPlugin: "/cpu.so", CUDAPlugin: "/cuda.so", GPU: true}
	_, err := Plan(choice, "the choice", everything)
	return err
}
