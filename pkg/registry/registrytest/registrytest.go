// Package registrytest gives tests the installed default models: a test about real
// behaviour calls Model and gets the file path, is skipped with an install hint when
// the model is missing, and fails instead when CI=true (where install.sh must have
// installed it).
package registrytest

import (
	"os"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/registry"
)

// Model returns the path of the installed registry model name ("smollm2-135m-instruct").
// When it is not installed the test fails if $CI is "true" and is skipped otherwise.
func Model(tb testing.TB, name string) string {
	tb.Helper()
	p, err := registry.Path(name)
	if err != nil {
		Missing(tb, err)
	}
	return p
}

// Missing ends the test for a missing real model: Fatal under CI=true, Skip otherwise.
func Missing(tb testing.TB, err error) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("CI=true and a real model is missing: %v", err)
	}
	tb.Skipf("skipping (real model missing; install with ./install.sh or `ifprobe models install`): %v", err)
}
