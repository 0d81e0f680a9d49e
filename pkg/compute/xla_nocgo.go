//go:build !cgo

package compute

// xlaCompiled is false in CGO_ENABLED=0 builds: GoMLX's XLA backend needs cgo to
// dlopen PJRT plugins, so only SimpleGo is available.
const xlaCompiled = false
