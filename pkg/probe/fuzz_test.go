package probe_test

import (
	"bytes"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/probe/probetest"
	"gonum.org/v1/gonum/mat"
)

// Load reads untrusted files: it must return an error, never panic, and a probe it
// accepts must predict.
func FuzzLoad(f *testing.F) {
	X, y, _ := probetest.Planted(40, 3, 0.5, 1)
	pr, err := probe.DefaultParams().Fit(X, y)
	if err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	if err := pr.Save(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"format":"ifprobe.probe/v1","mean":[0],"scale":[0],"coef_standardized":[1]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := probe.Load(bytes.NewReader(data))
		if err != nil {
			return
		}
		x := mat.NewDense(2, p.Dim(), nil)
		if _, err := p.PredictProba(x); err != nil {
			t.Fatalf("loaded probe cannot predict: %v", err)
		}
	})
}
