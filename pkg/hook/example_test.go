package hook_test

import (
	"fmt"

	"github.com/ifprobe/ifprobe/pkg/hook"
)

func ExampleParsePoint() {
	h, err := hook.ParsePoint("blocks.3.resid_post")
	fmt.Println(h == hook.ResidPost(3), err, h)
	_, err = hook.ParsePoint("blocks.x.resid_post")
	fmt.Println(err)
	// Output:
	// true <nil> blocks.3.resid_post
	// hook: bad hook point "blocks.x.resid_post": layer "x" is not a non-negative integer
}

func ExampleParsePosition() {
	for _, s := range []string{"prompt_last", "step:4", "frac:0.5"} {
		p, _ := hook.ParsePosition(s)
		idx, ok := p.Index(10, 6, true) // 10 prompt tokens, 6 generated
		fmt.Println(p, idx, ok)
	}
	// Output:
	// prompt_last [9] true
	// step:4 [14] true
	// frac:0.5 [12] true
}

func ExampleParsePoints() {
	ps, err := hook.ParsePoints("blocks.*.resid_post,final_norm", 3)
	fmt.Println(ps, err)
	// Output:
	// [blocks.0.resid_post blocks.1.resid_post blocks.2.resid_post final_norm] <nil>
}

func ExampleKey() {
	k, err := hook.ParseKey("blocks.12.resid_post@frac:0.5")
	fmt.Println(k.Point.Layer, k.Point.Kind, k.Position, err)
	// Output:
	// 12 resid_post frac:0.5 <nil>
}
