package safetensors_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/ifprobe/ifprobe/pkg/safetensors"
)

func Example() {
	dir, err := os.MkdirTemp("", "safetensors-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "x.safetensors")

	w, err := safetensors.NewTensor("blocks.0.resid_post", safetensors.F16, []int{2, 3},
		[]float32{0.1, 0.2, 0.3, -1, -2, 65504})
	if err != nil {
		log.Fatal(err)
	}
	if err := safetensors.WriteFile(path, []safetensors.Tensor{w}, map[string]string{"model": "demo"}); err != nil {
		log.Fatal(err)
	}

	f, err := safetensors.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	info, _ := f.Info("blocks.0.resid_post")
	x, err := f.Float32("blocks.0.resid_post", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(f.Names(), info.DType, info.Shape, f.Metadata()["model"])
	fmt.Printf("%.6f\n", x) // F16 keeps about 3 significant digits
	// Output:
	// [blocks.0.resid_post] F16 [2 3] demo
	// [0.099976 0.199951 0.300049 -1.000000 -2.000000 65504.000000]
}

func ExampleOpenCheckpoint() {
	// A sharded checkpoint written by Python (see scripts/fixtures/safetensors).
	c, err := safetensors.OpenCheckpoint("testdata/py_sharded")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	for _, name := range c.Names() {
		info, _ := c.Info(name)
		f, _ := c.File(name)
		fmt.Println(name, info.DType, info.Shape, filepath.Base(f.Name()))
	}
	// Output:
	// lm_head.weight F16 [8 4] model-00002-of-00002.safetensors
	// model.embed_tokens.weight F16 [8 4] model-00001-of-00002.safetensors
	// model.layers.0.mlp.up_proj.weight F32 [6 4] model-00001-of-00002.safetensors
	// model.norm.weight F32 [4] model-00002-of-00002.safetensors
}
