package compute

import (
	"os"
	"strings"
)

// EnvTF32 names the environment variable that lets f32 matrix products on an
// NVIDIA GPU use TF32 tensor cores: "1" (or "true") allows it. By default
// ifprobe asks for full f32 products on the GPU, as on the CPU.
//
// Why the default differs from XLA's: XLA runs f32 matrix products on tensor
// cores in TF32 (10 mantissa bits, about 5e-4 relative rounding per product)
// unless told otherwise, so logits, activations and probe scores on the GPU
// would drift from the CPU's and from a PyTorch reference by about 1e-4 to 1e-3
// (measured on an H200: KV-cached and full-forward logits of the same tiny model
// differed by 1.9e-4; BENCHMARKS.md, "GPU"). Interpretability work compares
// numbers across runs and backends, so exact f32 is the default, as PyTorch's
// is; TF32 is an opt-in for speed.
const EnvTF32 = "IFPROBE_TF32"

// Matrix-product precisions reported in Info.MatMul.
const (
	MatMulF32  = "f32"  // full single precision
	MatMulTF32 = "tf32" // NVIDIA TF32 tensor cores: f32 range, 10-bit mantissa inputs, f32 accumulation
)

// tf32Allowed reports whether $IFPROBE_TF32 opts in to TF32.
func tf32Allowed() bool {
	v := strings.ToLower(strings.TrimSpace(os.Getenv(EnvTF32)))
	return v == "1" || v == "true" || v == "yes"
}

// prepareCUDA sets the process environment the XLA CUDA plugin reads when its
// client starts, and returns the matrix-product precision that results. It must
// run before the plugin is loaded.
//
//   - XLA_FLAGS gets --xla_gpu_cuda_data_dir (the pip-installed CUDA libraries,
//     where XLA finds libdevice), unless the user set it.
//   - GOPJRT_CUDA_CHECKS=0: go-xla looks for the NVIDIA libraries in a layout pip
//     does not use and warns wrongly; the data directory above is the real one.
//   - Full f32 unless $IFPROBE_TF32 opts in: NVIDIA_TF32_OVERRIDE=0 keeps cuBLAS
//     and cuDNN off TF32, and --xla_gpu_enable_triton_gemm=false keeps XLA's own
//     Triton matrix kernels (which take TF32 for f32 at default precision) out.
//     Settings the user made in the environment win.
func prepareCUDA(dataDir string) string {
	flags := os.Getenv("XLA_FLAGS")
	add := func(flag string) {
		name, _, _ := strings.Cut(flag, "=")
		if !strings.Contains(flags, name) {
			flags = strings.TrimSpace(flags + " " + flag)
		}
	}
	if dataDir != "" {
		add("--xla_gpu_cuda_data_dir=" + dataDir)
		setDefaultEnv("GOPJRT_CUDA_CHECKS", "0")
	}
	precision := MatMulTF32
	if !tf32Allowed() {
		add("--xla_gpu_enable_triton_gemm=false")
		setDefaultEnv("NVIDIA_TF32_OVERRIDE", "0")
		if os.Getenv("NVIDIA_TF32_OVERRIDE") == "0" {
			precision = MatMulF32
		}
	}
	_ = os.Setenv("XLA_FLAGS", flags)
	return precision
}

// setDefaultEnv sets key to value unless the environment already has key.
func setDefaultEnv(key, value string) {
	if _, ok := os.LookupEnv(key); !ok {
		_ = os.Setenv(key, value)
	}
}
