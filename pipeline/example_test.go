package pipeline_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/analyses/temporal"
	"github.com/ifprobe/ifprobe/pipeline"
)

// The planted study's findings, saved where a reproduction of one model would put
// them, and read back like one. (It takes about 15 s on 2 CPU cores, so this
// example is compiled but not run by go test.)
func ExamplePlanted() {
	dir := filepath.Join(os.TempDir(), "ifprobe-planted")
	if err := pipeline.Planted(context.Background(), dir, nil); err != nil {
		fmt.Println(err)
		return
	}
	var r temporal.Result
	if _, err := analyses.Load(filepath.Join(dir, r.Name()), &r); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Verdict())
}
