package findings_test

import (
	"context"
	"fmt"
	"os"

	"github.com/ifprobe/ifprobe/kernel/findings"
)

// How a user points the finding notebooks at a study: one environment variable
// (or gonb's %env in a notebook's first cell) names the run that
// `ifprobe reproduce --models smollm2-135m-instruct,gemma3-270m --out runs/two`
// wrote; another narrows the models shown.
func ExampleDefaultPolicy() {
	root, had := os.LookupEnv("IFPROBE_ROOT")
	defer func() {
		if had {
			os.Setenv("IFPROBE_ROOT", root)
		} else {
			os.Unsetenv("IFPROBE_ROOT")
		}
	}()
	os.Setenv("IFPROBE_ROOT", "/home/me/ifprobe") // the kernel sets it to the checkout
	os.Setenv(findings.EnvRun, "runs/two")
	os.Setenv(findings.EnvModels, "gemma3-270m")
	defer os.Unsetenv(findings.EnvRun)
	defer os.Unsetenv(findings.EnvModels)
	p := findings.DefaultPolicy()
	fmt.Println(p.Run, p.Models)
	// Output:
	// /home/me/ifprobe/runs/two [gemma3-270m]
}

// Every model of a run, with the finding's result or why it has none, and the
// verdicts side by side. (It reads a run on disk, so this example is compiled
// but not run by go test.)
func ExamplePolicy_Locate() {
	s, err := findings.Policy{Run: "runs/two"}.Locate(context.Background(), "transfer")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range s.Models {
		fmt.Println(m.Name, m.Missing)
	}
	rows, err := findings.VerdictRows(s)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, row := range rows[1:] {
		fmt.Println(row[0], row[1], row[3])
	}
}
