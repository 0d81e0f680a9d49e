package compute

import (
	"os"
	"strings"
	"testing"
)

// unsetForTest removes key from the environment for the test, restoring it after.
func unsetForTest(t *testing.T, key string) {
	t.Setenv(key, "")
	if err := os.Unsetenv(key); err != nil {
		t.Fatal(err)
	}
}

func TestPrepareCUDA(t *testing.T) {
	cases := []struct {
		name                string
		env                 map[string]string // set before; others unset
		wantPrecision       string
		wantFlags, notFlags []string
		wantOverride        string
	}{
		{name: "default is full f32", wantPrecision: MatMulF32,
			wantFlags:    []string{"--xla_gpu_cuda_data_dir=/sp/nvidia/cu13", "--xla_gpu_enable_triton_gemm=false"},
			wantOverride: "0"},
		{name: "IFPROBE_TF32=1 opts in", env: map[string]string{EnvTF32: "1"}, wantPrecision: MatMulTF32,
			wantFlags: []string{"--xla_gpu_cuda_data_dir=/sp/nvidia/cu13"}, notFlags: []string{"triton"}},
		{name: "the user's NVIDIA_TF32_OVERRIDE wins", env: map[string]string{"NVIDIA_TF32_OVERRIDE": "1"},
			wantPrecision: MatMulTF32, wantOverride: "1"},
		{name: "the user's XLA flags win", env: map[string]string{"XLA_FLAGS": "--xla_gpu_cuda_data_dir=/mine --xla_gpu_enable_triton_gemm=true"},
			wantPrecision: MatMulF32, wantFlags: []string{"--xla_gpu_cuda_data_dir=/mine", "--xla_gpu_enable_triton_gemm=true"},
			notFlags: []string{"/sp/nvidia", "triton_gemm=false"}, wantOverride: "0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, k := range []string{EnvTF32, "NVIDIA_TF32_OVERRIDE", "XLA_FLAGS", "GOPJRT_CUDA_CHECKS"} {
				unsetForTest(t, k)
			}
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			if got := prepareCUDA("/sp/nvidia/cu13"); got != c.wantPrecision {
				t.Errorf("precision %q, want %q", got, c.wantPrecision)
			}
			flags := os.Getenv("XLA_FLAGS")
			for _, f := range c.wantFlags {
				if !strings.Contains(flags, f) {
					t.Errorf("XLA_FLAGS %q lacks %q", flags, f)
				}
			}
			for _, f := range c.notFlags {
				if strings.Contains(flags, f) {
					t.Errorf("XLA_FLAGS %q has %q", flags, f)
				}
			}
			if c.wantOverride != "" && os.Getenv("NVIDIA_TF32_OVERRIDE") != c.wantOverride {
				t.Errorf("NVIDIA_TF32_OVERRIDE=%q, want %q", os.Getenv("NVIDIA_TF32_OVERRIDE"), c.wantOverride)
			}
			if os.Getenv("GOPJRT_CUDA_CHECKS") != "0" {
				t.Errorf("GOPJRT_CUDA_CHECKS not silenced although the data directory is known")
			}
		})
	}
}
