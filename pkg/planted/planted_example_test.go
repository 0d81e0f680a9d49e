package planted_test

import (
	"fmt"

	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/planted"
)

// The planted study's tasks, their kinds, and the layer where each kind's signal
// switches on (Scale is zero below it).
func ExamplePaperConfig() {
	cfg := planted.PaperConfig()
	for _, t := range cfg.Tasks {
		onset := 0
		for cfg.Scale(t.Name, onset, hook.EOS) == 0 {
			onset++
		}
		fmt.Printf("%-15s %-10s onset layer %d, %d components\n", t.Name, t.Kind, onset, len(cfg.Components[t.Name]))
	}
	src, err := planted.New(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(src.Model(), src.NumLayers(), "layers", src.Positions())
	// Output:
	// word_limit      structural onset layer 1, 2 components
	// lowercase       structural onset layer 1, 2 components
	// json_format     structural onset layer 1, 2 components
	// bullet_count    structural onset layer 1, 2 components
	// include_keyword lexical    onset layer 2, 2 components
	// forbidden_word  lexical    onset layer 2, 2 components
	// end_phrase      lexical    onset layer 2, 2 components
	// sentiment       semantic   onset layer 4, 2 components
	// topic           semantic   onset layer 4, 2 components
	// planted 6 layers [prompt_last response_first frac:0.5 frac:1 eos]
}
