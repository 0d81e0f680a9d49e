package runner

import (
	"os"
	"testing"
)

// FuzzParseReport: any bytes give a Report or an error, never a panic.
func FuzzParseReport(f *testing.F) {
	for _, p := range []string{"testdata/executed.ipynb", "testdata/fail.ipynb", "testdata/noimage.ipynb"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"cells":[{"cell_type":"code","outputs":[{"output_type":"stream","name":"stderr","text":7}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := parseReport(b)
		if err == nil && rep.Images > len(b) {
			t.Fatalf("more images (%d) than input bytes", rep.Images)
		}
	})
}
