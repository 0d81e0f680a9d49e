package cli

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"
)

// addCPUProfileFlag gives every command --cpuprofile FILE: a Go CPU profile of
// the whole command (`go tool pprof bin/ifprobe FILE`). It samples the Go code
// (probes, verifiers, text features, the host side of generation); time spent
// inside XLA's own threads shows only as cgo calls.
func addCPUProfileFlag(root *cobra.Command) (stop func()) {
	var path string
	var f *os.File
	root.PersistentFlags().StringVar(&path, "cpuprofile", "", "write a Go CPU profile of the command to this file")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		if path == "" {
			return nil
		}
		var err error
		if f, err = os.Create(path); err != nil {
			return Usagef("--cpuprofile: %v", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			f = nil
			return Usagef("--cpuprofile %s: %v", path, err)
		}
		return nil
	}
	return func() {
		if f == nil {
			return
		}
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "ifprobe: --cpuprofile:", err)
		}
	}
}
