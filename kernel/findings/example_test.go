package findings_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ifprobe/ifprobe/kernel/findings"
)

// Where a notebook's numbers come from when `ifprobe reproduce` already saved the
// finding: its directory and the profile its report.json names. Nothing runs.
func ExamplePolicy_Locate() {
	base, err := os.MkdirTemp("", "findings-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(base)
	// What `ifprobe reproduce --profile paper --out runs/paper` leaves (in part).
	saved := filepath.Join(base, "runs", "paper")
	finding := filepath.Join(saved, findings.DefaultModel, "layers")
	if err := os.MkdirAll(finding, 0o755); err != nil {
		fmt.Println(err)
		return
	}
	_ = os.WriteFile(filepath.Join(finding, "result.json"), []byte("{}"), 0o644)
	_ = os.WriteFile(filepath.Join(saved, "report.json"), []byte(`{"config": {"profile": {"name": "paper"}}}`), 0o644)

	p := findings.Policy{Model: findings.DefaultModel, Saved: saved, Profile: "ci",
		Out: filepath.Join(base, "ci"), Planted: filepath.Join(base, "planted"), Strict: true}
	loc, err := p.Locate(context.Background(), "layers")
	if err != nil {
		fmt.Println(err)
		return
	}
	rel, _ := filepath.Rel(base, loc.Dir)
	fmt.Printf("%s (profile %s, planted: %v)\n", filepath.ToSlash(rel), loc.Profile, loc.Planted())
	// Output:
	// runs/paper/smollm2-135m-instruct (profile paper, planted: false)
}
