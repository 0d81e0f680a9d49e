package compute

import (
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

func TestOpenSimpleGo(t *testing.T) {
	b, info, err := Open("go")
	if err != nil {
		t.Fatal(err)
	}
	if info.Kind != KindSimpleGo || info.Config != SimpleGoConfig || b.Name() != info.Name {
		t.Errorf("Open(go) info = %+v", info)
	}
	out, err := ExecOnce(b, func(x *Node) *Node { return ReduceAllSum(Mul(x, x)) }, []float32{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Value().(float32); got != 14 {
		t.Errorf("Σx² of [1 2 3] = %v, want 14", got)
	}
}

// TestOpenAutomaticFollowsPlan: Open("") opens the first candidate Plan gives for
// what is on this machine (SimpleGo on a bare one, XLA CPU after install.sh).
func TestOpenAutomaticFollowsPlan(t *testing.T) {
	t.Setenv(EnvBackend, "")
	cands, err := Plan("", "", Discover())
	if err != nil {
		t.Fatal(err)
	}
	_, info, err := Open("")
	if err != nil {
		t.Fatal(err)
	}
	if info.Kind != cands[0].Kind || info.Reason == "" {
		t.Errorf("Open(\"\") = %+v, want kind %s with a reason", info, cands[0].Kind)
	}
}

// TestOpenForcedMissing: a forced backend that cannot open is an error that says
// where the choice came from; it does not fall back to SimpleGo.
func TestOpenForcedMissing(t *testing.T) {
	t.Setenv(EnvHome, t.TempDir())
	t.Setenv(EnvBackend, "xla:/nonexistent/pjrt_c_api_cpu_plugin.so")
	b, _, err := Open("")
	if err == nil {
		t.Fatalf("Open with a missing plugin succeeded: %s", b.Name())
	}
	if xlaCompiled && !strings.Contains(err.Error(), "/nonexistent/pjrt_c_api_cpu_plugin.so") {
		t.Errorf("error %q does not name the plugin", err)
	}
	if !xlaCompiled && !errors.Is(err, ErrNoXLA) {
		t.Errorf("error %v, want ErrNoXLA in a CGO_ENABLED=0 build", err)
	}
	t.Setenv(EnvBackend, "tpu")
	if _, _, err := Open(""); !errors.Is(err, ErrUnknownBackend) || !strings.Contains(err.Error(), "$IFPROBE_BACKEND") {
		t.Errorf("Open with IFPROBE_BACKEND=tpu: %v, want ErrUnknownBackend naming the variable", err)
	}
}

// TestXLACPUMatchesSimpleGo runs the same graph (a matmul, tanh, softmax and a
// gradient) on the installed XLA CPU plugin and on SimpleGo. Without a plugin it
// skips, except under CI=true, where install.sh must have installed one.
func TestXLACPUMatchesSimpleGo(t *testing.T) {
	f := Discover()
	if f.CPUPlugin == "" || !f.XLACompiled {
		msg := "no XLA CPU plugin installed (run ./install.sh) or built without cgo"
		if os.Getenv("CI") == "true" && f.XLACompiled {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	xb, info, err := Open("xla:cpu")
	if err != nil {
		t.Fatal(err)
	}
	if info.Kind != KindXLACPU || info.PluginPath != f.CPUPlugin {
		t.Errorf("Open(xla:cpu) info = %+v", info)
	}
	fn := func(x, w *Node) []*Node {
		y := Softmax(Tanh(MatMul(x, w)), -1)
		loss := ReduceAllSum(Mul(y, y))
		return []*Node{y, FastGradient(loss, w)[0]}
	}
	x, w := make([]float32, 16*32), make([]float32, 32*8)
	for i := range x {
		x[i] = float32(math.Sin(float64(i)))
	}
	for i := range w {
		w[i] = float32(math.Cos(0.3 * float64(i)))
	}
	run := func(b backends.Backend) [][]float32 {
		out, err := execN(b, fn, tensors.FromFlatDataAndDimensions(x, 16, 32), tensors.FromFlatDataAndDimensions(w, 32, 8))
		if err != nil {
			t.Fatalf("%s: %v", b.Name(), err)
		}
		return [][]float32{tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1])}
	}
	got, want := run(xb), run(mustGo(t))
	const tol = 1e-5 // float32, different summation order and vectorised tanh/exp
	for k := range got {
		for i := range got[k] {
			if d := math.Abs(float64(got[k][i] - want[k][i])); d > tol {
				t.Fatalf("output %d [%d]: XLA %g, SimpleGo %g", k, i, got[k][i], want[k][i])
			}
		}
	}
}

func TestMeasureMatMul(t *testing.T) {
	b := mustGo(t)
	res, err := MeasureMatMul(b, 64, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.N != 64 || res.Runs < 1 || !(res.GFLOPs > 0) {
		t.Errorf("MeasureMatMul = %+v", res)
	}
	if _, err := MeasureMatMul(b, 0, 0); err == nil {
		t.Error("MeasureMatMul(n=0) succeeded")
	}
}
