package compute_test

import (
	"fmt"
	"time"

	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/ifprobe/ifprobe/pkg/compute"
)

// Plan is a pure function of the choice and of what was found, so the
// selection order can be shown without the machine.
func ExamplePlan() {
	found := compute.Found{XLACompiled: true, CPUPlugin: "/home/me/.cache/ifprobe/pjrt/pjrt_c_api_cpu_plugin.so"}
	cands, _ := compute.Plan("", "", found)
	for _, c := range cands {
		fmt.Println(c.Kind, c.Config)
	}
	_, err := compute.Plan("xla:cuda", "$IFPROBE_BACKEND", found)
	fmt.Println(err != nil)
	// Output:
	// xla-cpu xla:/home/me/.cache/ifprobe/pjrt/pjrt_c_api_cpu_plugin.so
	// go go:ops_sequential
	// true
}

// Open("go") gives the pure-Go backend, configured for training.
func ExampleOpen() {
	backend, info, err := compute.Open("go")
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := graph.ExecOnce(backend, func(x *graph.Node) *graph.Node {
		return graph.ReduceAllSum(graph.Mul(x, x))
	}, []float32{1, 2, 3})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(info.Kind, info.Config)
	fmt.Printf("%.4f\n", out.Value())
	// Output:
	// go go:ops_sequential
	// 14.0000
}

// FastGradient takes the place of graph.Gradient where a graph needs gradients
// that SimpleGo runs fast: here the gradient of Σ (x·W) with respect to W, a
// DotGeneral contracting x's last axis with W's first, is x's column sums
// repeated over W's columns.
func ExampleFastGradient() {
	backend, _, err := compute.Open("go")
	if err != nil {
		fmt.Println(err)
		return
	}
	grad, err := graph.ExecOnce(backend, func(x, w *graph.Node) *graph.Node {
		loss := graph.ReduceAllSum(graph.DotGeneral(x, []int{1}, nil, w, []int{0}, nil))
		return compute.FastGradient(loss, w)[0]
	}, [][]float32{{1, 2}, {3, 4}}, [][]float32{{0, 0, 0}, {0, 0, 0}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(grad.Value())
	// Output:
	// [[4 4 4] [6 6 6]]
}

// MeasureMatMul times a matmul and checks its first row against float64.
func ExampleMeasureMatMul() {
	backend, _, err := compute.Open("go")
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := compute.MeasureMatMul(backend, 64, 10*time.Millisecond)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.N, res.Runs >= 1, res.GFLOPs > 0)
	// Output:
	// 64 true true
}

// CheckChoice validates a --backend flag without looking at the machine.
func ExampleCheckChoice() {
	for _, choice := range []string{"go", "xla:cpu", "xla:/opt/pjrt/plugin.so", "tpu"} {
		fmt.Println(choice, compute.CheckChoice(choice) == nil)
	}
	// Output:
	// go true
	// xla:cpu true
	// xla:/opt/pjrt/plugin.so true
	// tpu false
}
