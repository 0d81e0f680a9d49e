// Package home holds the one rule for ifprobe's data directory (models, PJRT
// plugins, the notebook cache): $IFPROBE_HOME, or ~/.cache/ifprobe when it is
// unset. It is a leaf package so that pkg/registry, pkg/compute and kernel/nb
// can share the rule without importing each other (pkg/compute pulls in GoMLX).
package home

import (
	"os"
	"path/filepath"
)

// Env names the environment variable that overrides Dir.
const Env = "IFPROBE_HOME"

// Dir returns $IFPROBE_HOME, or ~/.cache/ifprobe when it is unset (a folder
// "ifprobe" in the system's temporary directory when the user has no home).
func Dir() string {
	if h := os.Getenv(Env); h != "" {
		return h
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".cache", "ifprobe")
	}
	return filepath.Join(os.TempDir(), "ifprobe")
}
