package runner_test

import (
	"fmt"
	"strings"

	"github.com/ifprobe/ifprobe/kernel/runner"
)

// ReadReport inspects an executed notebook: here a real gonb execution with a table
// and a figure in cell 0, a compile error in cell 1 and a panic in cell 2. Each
// error's Detail holds the compiler's or the panic's own words.
func ExampleReadReport() {
	rep, err := runner.ReadReport("testdata/executed.ipynb")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("code cells:", rep.CodeCells, "images:", rep.Images, rep.ImageTypes)
	for _, e := range rep.Errors {
		for _, line := range strings.Split(e.Detail, "\n") {
			if i := strings.Index(line, "undefined:"); i >= 0 {
				fmt.Printf("cell %d: %s\n", e.Cell, line[i:])
			} else if strings.HasPrefix(line, "panic:") {
				fmt.Printf("cell %d: %s\n", e.Cell, line)
			}
		}
	}
	// Output:
	// code cells: 3 images: 1 map[image/png:1 image/svg+xml:1]
	// cell 1: undefined: undefinedThing
	// cell 2: panic: boom
}
