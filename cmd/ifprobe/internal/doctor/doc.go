// Package doctor checks that a machine has what ifprobe's Quickstart needs and
// says how to fix what is missing; `ifprobe doctor` prints its Report.
//
// # Usage
//
//	r := doctor.Run(ctx, doctor.Options{})
//	for _, c := range r.Checks {
//		fmt.Println(c.Name, c.Status, c.Detail, c.Fix)
//	}
//	if len(r.Problems()) > 0 { /* exit 4 */ }
//
// # Checks
//
//   - backend: the GoMLX backend compute.Open chooses (or Options.Backend), why,
//     its plugin and device. Required.
//   - matmul: a measured f32 matmul on that backend (512×512 for about a second),
//     checked against a float64 product. Not required, but a wrong result fails.
//   - xla-cpu: the XLA CPU PJRT plugin install.sh installs. Optional: without it
//     ifprobe runs on SimpleGo.
//   - models: the models installed under $IFPROBE_HOME/models (pkg/registry);
//     every registry default must be installed. Required.
//   - jupyter, kernel: Jupyter (the checkout's .venv/bin/jupyter, else PATH) and
//     its "ifprobe" kernelspec (`jupyter kernelspec list --json`). Required.
//   - go, gonb, goimports: on PATH or in Go's bin directory. Required (gonb
//     compiles notebook cells with go and needs goimports).
//
// # Invariants
//
// Run never returns an error and never panics on a broken install: every
// problem is a Check with Status Missing and a Fix. It only reads: nothing is
// installed or downloaded.
package doctor
