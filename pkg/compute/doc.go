// Package compute chooses and opens the GoMLX backend that every ifprobe graph
// (models, probes) runs on, and makes SimpleGo, the pure-Go fallback, fit for
// training.
//
// # Usage
//
//	backend, info, err := compute.Default() // process-wide, opened once
//	fmt.Println(info.Kind, info.Reason)     // e.g. "xla-cpu XLA on the CPU: PJRT plugin installed at ..."
//
// Open(choice) opens a new backend; choice "" means $IFPROBE_BACKEND, else
// automatic selection. Tests use Open("go") to stay hermetic.
//
// # Selection
//
// Plan turns a choice and what Discover found into candidates; Open takes the
// first that opens. The order is:
//
//  1. An explicit choice: the choice argument (a --backend flag) or
//     $IFPROBE_BACKEND. Accepted: "go", "go:<simplego options>", "xla" (the best
//     plugin found), "xla:cpu", "xla:cuda", "xla:/abs/path/plugin.so", "auto".
//     An explicit choice that cannot be opened is an error that names where the
//     choice came from and the fix (ErrNoPlugin, ErrNoXLA, ErrNoGPU,
//     ErrUnknownBackend); it never falls back.
//  2. XLA on an NVIDIA GPU, when a jax-cuda PJRT plugin
//     (site-packages/jax_plugins/xla_cuda*/xla_cuda_plugin.so, in the checkout's
//     .venv, $VIRTUAL_ENV, the user's or the system's Python) and /dev/nvidia*
//     exist. XLA_FLAGS gets --xla_gpu_cuda_data_dir pointing at the pip-installed
//     nvidia/ directory beside it, unless XLA_FLAGS already sets one. f32 matrix
//     products stay full f32 (see "Precision on the GPU").
//  3. XLA on the CPU, when a PJRT CPU plugin is installed: install.sh puts one
//     in $IFPROBE_HOME/pjrt/pjrt_c_api_cpu_plugin.so (from a PyPI wheel; see
//     BENCHMARKS.md, "Backends").
//  4. SimpleGo, always.
//
// Info.Reason says in words why the backend was chosen, including the XLA
// candidates that failed to open. Nothing is ever downloaded at run time:
// GOMLX_NO_AUTO_INSTALL is set and GoMLX's XLA auto-install is switched off.
//
// # Precision on the GPU
//
// XLA computes f32 matrix products on NVIDIA tensor cores in TF32 (10-bit
// mantissa inputs) unless told otherwise; on an H200 that made a tiny model's
// KV-cached logits differ from its full-forward logits by 1.9e-4 instead of under
// 1e-5.
// Open keeps full f32 by default (NVIDIA_TF32_OVERRIDE=0 and XLA's Triton matrix
// kernels off, set before the plugin loads; see EnvTF32), so GPU activations and
// probe scores agree with the CPU's and with PyTorch's defaults. $IFPROBE_TF32=1
// trades that for speed; Info.MatMul and `ifprobe doctor` say which is in force.
//
// # Devices
//
// Info.Devices is how many devices a model may generate on at once (--devices
// all): the GPUs for XLA CUDA, 1 for SimpleGo, and for XLA CPU the host devices
// $IFPROBE_CPU_DEVICES asks for, else 1. The CPU plugin's host devices share the
// machine's cores (the plugin opens 4 by default), so using more of them only
// holds more copies of the weights; their count is the PJRT client option
// cpu_device_count, fixed when the client starts (XLA_FLAGS'
// --xla_force_host_platform_device_count does not reach a plugin's client).
// Devices is the one vocabulary of the --devices flag (ParseDevices, Count);
// RequestCPUDevices sets the variable before Open for a count on the CPU, so that
// multi-device code can be tested on a machine without GPUs.
//
// # Builds without cgo
//
// GoMLX's XLA backend loads PJRT plugins with dlopen and so needs cgo (no C
// library at build time: the binary links only libc). With CGO_ENABLED=0 it is
// left out (xla_nocgo.go), Found.XLACompiled is false, automatic selection uses
// SimpleGo and an explicit XLA choice fails with ErrNoXLA.
//
// The race detector needs -tags race_mu (go test -race -tags race_mu ...):
// go-xla's buffer-arena pool synchronises through runtime.procPin, which the
// detector cannot see, so without the tag it reports races when the garbage
// collector frees XLA buffers; the tag makes the pool use a mutex.
//
// # SimpleGo for training
//
// GoMLX's own gradients of DotGeneral and Dot broadcast the cotangent against
// the other operand and reduce, materialising [batch, M, N, K]; Slice's calls
// Pad, which SimpleGo lacks. Code that takes gradients opts in to faster rules
// with FastGradient (in place of graph.Gradient) or WithFastGradients (around code
// that builds gradients inside GoMLX, such as a train.Trainer's first step):
// DotGeneral's and Dot's become DotGenerals, as in JAX, and Slice's
// concatenates zero blocks. The rules are exact on every backend and are in
// force only while the gradient graph is built; GoMLX's registry is restored
// afterwards, so importing this package changes nothing in GoMLX.
// docs/upstream/gomlx-dotgeneral-vjp.md is the change proposed to GoMLX.
// SimpleGo is opened with SimpleGoConfig ("go:ops_sequential"), which cannot deadlock the way the
// default op scheduling did during training.
//
// # Invariants
//
//   - Open never panics: GoMLX panics while opening are returned as errors.
//   - Plan is a pure function of its arguments; Discover only stats files.
//   - Automatic selection always ends with SimpleGo, so Open("") fails only if
//     SimpleGo itself cannot open.
package compute
