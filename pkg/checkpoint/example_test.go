package checkpoint_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/ifprobe/ifprobe/pkg/checkpoint"
)

// Locate decides once what a path is; here a Hugging Face directory (it has
// config.json). Open then opens it for every reader.
func ExampleLocate() {
	dir, err := os.MkdirTemp("", "model")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"model_type": "qwen2"}`), 0o644); err != nil {
		panic(err)
	}
	loc, err := checkpoint.Locate(dir)
	if err != nil {
		panic(err)
	}
	ck, err := loc.Open()
	if err != nil {
		panic(err)
	}
	defer ck.Close()
	fmt.Println(loc.Format, ck.Dir() == loc.Path, ck.GGUF() == nil)
	// Output:
	// hf-dir true true
}
