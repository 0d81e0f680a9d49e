package compute_test

import (
	"fmt"

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
