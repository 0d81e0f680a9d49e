package doctor_test

import (
	"context"
	"fmt"

	"github.com/ifprobe/ifprobe/cmd/ifprobe/internal/doctor"
)

// Run checks everything in a fixed order; each Check says whether the
// Quickstart needs it. (The statuses depend on the machine; the names do not.)
func ExampleRun() {
	r := doctor.Run(context.Background(), doctor.Options{Backend: "go", SkipMatMul: true})
	for _, c := range r.Checks {
		fmt.Println(c.Name, c.Required)
	}
	// Output:
	// backend true
	// matmul false
	// xla-cpu false
	// models true
	// jupyter true
	// kernel true
	// go true
	// gonb true
	// goimports true
}
