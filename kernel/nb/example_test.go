package nb_test

import (
	"fmt"
	"image"
	"os"

	"github.com/ifprobe/ifprobe/kernel/nb"
)

// Outside a notebook a table prints as aligned text; in a notebook it is HTML.
func ExampleTable() {
	err := nb.Table([]string{"task", "layer", "AUROC"}, [][]string{
		{"lowercase", "4", "0.9731"},
		{"json_format", "12", "0.8120"},
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// task         layer  AUROC
	// lowercase    4      0.9731
	// json_format  12     0.8120
}

// Cache computes a value once; later calls (in later cells) read it from disk.
func ExampleCache() {
	home, _ := os.MkdirTemp("", "nbcache-example")
	defer os.RemoveAll(home)
	os.Setenv(nb.EnvCacheDir, home)
	defer os.Unsetenv(nb.EnvCacheDir)

	squares := func() ([]float64, error) {
		fmt.Println("computing...")
		return []float64{0, 1, 4, 9}, nil
	}
	for cell := 1; cell <= 2; cell++ {
		v, err := nb.Cache("squares-v1", squares)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("cell %d: %.4f\n", cell, v)
	}
	// Output:
	// computing...
	// cell 1: [0.0000 1.0000 4.0000 9.0000]
	// cell 2: [0.0000 1.0000 4.0000 9.0000]
}

// Pick chooses a sample size by profile: IFPROBE_PROFILE=ci runs the small one.
func ExamplePick() {
	os.Setenv(nb.EnvProfile, nb.ProfileCI)
	defer os.Unsetenv(nb.EnvProfile)
	fmt.Println(nb.Profile(), nb.Pick(2000, 200))
	// Output:
	// ci 200
}

// Outside a notebook a figure prints a one-line description (and is saved under
// $IFPROBE_NB_OUT when that is set); in a notebook it is drawn inline.
func ExampleImage() {
	img := image.NewGray(image.Rect(0, 0, 4, 3))
	if err := nb.Image(img); err != nil {
		fmt.Println(err)
	}
	// Output:
	// <figure 4x3: PNG 76 B> (not in a notebook; set $IFPROBE_NB_OUT to save figures)
}
