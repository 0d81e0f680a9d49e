package atomicfile_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/ifprobe/ifprobe/pkg/atomicfile"
)

// A result file is replaced whole or not at all.
func ExampleWriteFile() {
	dir, _ := os.MkdirTemp("", "atomicfile")
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "result.json")
	if err := atomicfile.WriteFile(p, []byte(`{"auroc": 0.91}`)); err != nil {
		fmt.Println(err)
		return
	}
	b, _ := os.ReadFile(p)
	fmt.Println(string(b))
	// Output: {"auroc": 0.91}
}
