package compute

import (
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

const dtypesF64 = dtypes.Float64

// mustGo opens SimpleGo the way ifprobe does.
func mustGo(t testing.TB) backends.Backend {
	t.Helper()
	b, _, err := Open("go")
	if err != nil {
		t.Fatalf("Open(\"go\"): %v", err)
	}
	return b
}

func flat(t *tensors.Tensor) []float64 {
	v, err := tensors.CopyFlatData[float64](t)
	if err != nil {
		panic(err)
	}
	return v
}

// execN builds and runs a multi-output graph once.
func execN(b backends.Backend, fn any, args ...any) ([]*tensors.Tensor, error) {
	e, err := graph.NewExecAny(b, fn)
	if err != nil {
		return nil, err
	}
	defer e.Finalize()
	return e.Exec(args...)
}
