package acts_test

import (
	"fmt"
	"log"
	"os"

	"github.com/ifprobe/ifprobe/pkg/acts"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/safetensors"
)

func Example() {
	dir, err := os.MkdirTemp("", "acts-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	w, err := acts.Create(dir, acts.Config{
		Model:     acts.Model{Name: "demo"},
		DModel:    3,
		Hooks:     []hook.Point{hook.ResidPost(0), hook.ResidPost(1)},
		Positions: []hook.Position{hook.PromptLast},
		DType:     safetensors.F32,
		ShardRows: 2,
	})
	if err != nil {
		log.Fatal(err)
	}
	for i, task := range []string{"lowercase", "json", "lowercase"} {
		x := map[hook.Key][]float32{
			{Point: hook.ResidPost(0), Position: hook.PromptLast}: {float32(i), 0, 1},
			{Point: hook.ResidPost(1), Position: hook.PromptLast}: {float32(i), 10, 11},
		}
		ex := acts.Example{ID: fmt.Sprintf("p%d", i), Task: task, Label: i % 2, Split: "train"}
		if err := w.Add(ex, x); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	s, err := acts.Open(dir)
	if err != nil {
		log.Fatal(err)
	}
	a, err := s.Get(hook.ResidPost(1), hook.PromptLast, acts.Task("lowercase"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(a.N, a.D, a.IDs(), a.Labels())
	for i := 0; i < a.N; i++ {
		fmt.Printf("%.1f\n", a.Row(i))
	}
	st, err := s.Stack(hook.KindResidPost, hook.PromptLast)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(st.Hooks, st.N)
	// Output:
	// 2 3 [p0 p2] [0 0]
	// [0.0 10.0 11.0]
	// [2.0 10.0 11.0]
	// [blocks.0.resid_post blocks.1.resid_post] 3
}

func ExampleStore_String() {
	s, err := acts.Open("testdata/store")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(s)
	// Output:
	// acts.Store testdata/store: model synthetic@test, 10 examples in 3 shards, F16, d_model 8
	//   tasks: json_format 3 lowercase 4 word_count 3
	//   splits: test 2 train 8
	//   labels: 0 5 1 5
	//   key                              shape
	//   blocks.0.resid_post@prompt_last  [10 8]
	//   blocks.0.resid_post@step:4       [10 8]
	//   blocks.2.resid_post@prompt_last  [10 8]
	//   blocks.2.resid_post@step:4       [10 8]
	//   blocks.1.resid_post@prompt_last  [10 8]
	//   blocks.1.resid_post@step:4       [10 8]
	//   final_norm@prompt_last           [10 8]
	//   final_norm@step:4                [10 8]
}

// A rerun over the same prompts skips what an earlier run stored: the pattern that makes
// capture resumable after an interruption (a killed run keeps every complete shard).
func ExampleWriter_Has() {
	dir, err := os.MkdirTemp("", "acts-rerun")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	cfg := acts.Config{Model: acts.Model{Name: "demo"}, DModel: 2,
		Hooks: []hook.Point{hook.ResidPost(0)}, Positions: []hook.Position{hook.EOS}, ShardRows: 2}
	run := func(ids []string) {
		w, err := acts.Create(dir, cfg)
		if err != nil {
			log.Fatal(err)
		}
		defer w.Close()
		added := 0
		for _, id := range ids {
			if w.Has(id) {
				continue
			}
			x := map[hook.Key][]float32{{Point: hook.ResidPost(0), Position: hook.EOS}: {1, 2}}
			if err := w.Add(acts.Example{ID: id, Task: "demo"}, x); err != nil {
				log.Fatal(err)
			}
			added++
		}
		fmt.Printf("found %d, added %d\n", w.Resumed(), added)
	}
	run([]string{"a", "b", "c"})
	run([]string{"a", "b", "c", "d", "e"})
	s, err := acts.Open(dir)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.Len(), len(s.Manifest().Shards))
	// Output:
	// found 0, added 3
	// found 3, added 2
	// 5 3
}
