package compute

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ifprobe/ifprobe/internal/home"
)

// EnvHome names the environment variable of ifprobe's data directory (models,
// PJRT plugins, the notebook cache); it defaults to ~/.cache/ifprobe. pkg/registry
// owns the models below it and kernel/nb the notebook cache; this package only
// reads $IFPROBE_HOME/pjrt.
const EnvHome = home.Env

// CPUPluginFile is the name install.sh gives the XLA CPU PJRT plugin inside
// PJRTDir(). It follows go-xla's naming (pjrt_c_api_<name>_plugin.so), so
// PJRT_PLUGIN_LIBRARY_PATH=PJRTDir() with GOMLX_BACKEND=xla:cpu finds it too.
const CPUPluginFile = "pjrt_c_api_cpu_plugin.so"

// HomeDir returns ifprobe's data directory: $IFPROBE_HOME, or ~/.cache/ifprobe
// when it is unset. The rule lives in internal/home, shared with pkg/registry and
// kernel/nb.
func HomeDir() string { return home.Dir() }

// PJRTDir is where install.sh puts PJRT plugins: $IFPROBE_HOME/pjrt.
func PJRTDir() string { return filepath.Join(HomeDir(), "pjrt") }

// cpuPluginsInPackages are XLA CPU PJRT plugins as PyPI packages lay them out in
// site-packages, in order of preference (see BENCHMARKS.md, "Backends").
var cpuPluginsInPackages = []string{
	"fastatomstruct_xla_cpu/libpjrt_cpu.so",
	"lammps_jax_pjrt_cpu/pjrt_c_api_cpu_plugin.so",
	"xla_plugins/xla_cpu_pjrt/xla_cpu_pjrt.so",
}

// Discover looks for PJRT plugins and GPUs on this machine. It only stats files
// (and, on a machine with an NVIDIA device but no plugin in the usual places,
// asks python3 for its site-packages); it never loads a plugin.
func Discover() Found {
	f := Found{XLACompiled: xlaCompiled}
	if _, err := os.Stat("/dev/nvidiactl"); err == nil {
		f.GPU = true
	} else if m, _ := filepath.Glob("/dev/nvidia[0-9]*"); len(m) > 0 {
		f.GPU = true
	}
	own := filepath.Join(PJRTDir(), CPUPluginFile)
	f.Searched = append(f.Searched, own)
	if isFile(own) {
		f.CPUPlugin = own
	}
	dirs := sitePackages()
	f.Searched = append(f.Searched, dirs...)
	f.CPUPlugin, f.CUDAPlugin, f.CUDADataDir = scanSitePackages(dirs, f.CPUPlugin)
	if f.CUDAPlugin == "" && f.GPU {
		more := pythonSitePackages()
		f.Searched = append(f.Searched, more...)
		f.CPUPlugin, f.CUDAPlugin, f.CUDADataDir = scanSitePackages(more, f.CPUPlugin)
	}
	return f
}

// scanSitePackages finds the first CPU plugin (unless one is already known) and
// the first jax-cuda plugin in dirs.
func scanSitePackages(dirs []string, cpu string) (cpuPlugin, cudaPlugin, cudaDataDir string) {
	cpuPlugin = cpu
	for _, sp := range dirs {
		for _, rel := range cpuPluginsInPackages {
			if p := filepath.Join(sp, rel); cpuPlugin == "" && isFile(p) {
				cpuPlugin = p
			}
		}
		if cudaPlugin != "" {
			continue
		}
		m, _ := filepath.Glob(filepath.Join(sp, "jax_plugins", "xla_cuda*", "xla_cuda_plugin.so"))
		slices.Sort(m)
		if len(m) > 0 {
			cudaPlugin = m[len(m)-1] // xla_cuda13 before xla_cuda12
			cudaDataDir = nvidiaDataDir(sp)
		}
	}
	return cpuPlugin, cudaPlugin, cudaDataDir
}

// nvidiaDataDir returns the directory XLA should use as --xla_gpu_cuda_data_dir
// for CUDA libraries installed by pip under sitePackages/nvidia: the first of
// nvidia/cu13, nvidia/cuda_nvcc, nvidia/cu12 that has nvvm/libdevice (what XLA
// looks for), else nvidia/ itself when it exists, else "".
func nvidiaDataDir(sitePackages string) string {
	nv := filepath.Join(sitePackages, "nvidia")
	for _, sub := range []string{"cu13", "cuda_nvcc", "cu12"} {
		if isDir(filepath.Join(nv, sub, "nvvm", "libdevice")) {
			return filepath.Join(nv, sub)
		}
	}
	if isDir(nv) {
		return nv
	}
	return ""
}

// sitePackages lists the Python package directories Discover searches without
// running Python: the checkout's .venv ($IFPROBE_ROOT), $VIRTUAL_ENV, the user's
// and the system's.
func sitePackages() []string {
	var roots []string
	if r := os.Getenv("IFPROBE_ROOT"); r != "" {
		roots = append(roots, filepath.Join(r, ".venv"))
	}
	if v := os.Getenv("VIRTUAL_ENV"); v != "" {
		roots = append(roots, v)
	}
	var dirs []string
	for _, r := range roots {
		m, _ := filepath.Glob(filepath.Join(r, "lib", "python3*", "site-packages"))
		dirs = append(dirs, m...)
	}
	if h, err := os.UserHomeDir(); err == nil {
		m, _ := filepath.Glob(filepath.Join(h, ".local", "lib", "python3*", "site-packages"))
		dirs = append(dirs, m...)
	}
	for _, pat := range []string{"/usr/local/lib/python3*/dist-packages", "/usr/local/lib/python3*/site-packages",
		"/usr/lib/python3/dist-packages", "/usr/lib/python3*/site-packages"} {
		m, _ := filepath.Glob(pat)
		dirs = append(dirs, m...)
	}
	return dedupDirs(dirs)
}

// pythonSitePackages asks python3 on PATH where it installs packages (pyenv,
// conda and other layouts the globs above miss). Bounded to a few seconds.
func pythonSitePackages() []string {
	py, err := exec.LookPath("python3")
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, py, "-c",
		"import site; print('\\n'.join(site.getsitepackages()+[site.getusersitepackages()]))").Output()
	if err != nil {
		return nil
	}
	return dedupDirs(strings.Fields(string(out)))
}

func dedupDirs(dirs []string) []string {
	out := dirs[:0:0]
	for _, d := range dirs {
		if isDir(d) && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
