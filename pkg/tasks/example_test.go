package tasks_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/ifprobe/ifprobe/pkg/tasks"
)

func ExampleVerify() {
	for _, c := range []struct {
		task     string
		params   tasks.Params
		response string
	}{
		{"word_limit", tasks.Params{"n": 5}, "Short and sweet."},
		{"lowercase", nil, "all quiet here. Mostly."},
		{"json_format", nil, "```json\n{\"ok\": true}\n```"},
		{"bullet_count", tasks.Params{"n": 2}, "* tea\n* coffee\n* water"},
		{"forbidden_word", tasks.Params{"word": "very"}, "Every day is fine."},
		{"end_phrase", tasks.Params{"phrase": "Hope this helps."}, "Use a map. Hope this helps.  "},
		{"sentiment", tasks.Params{"polarity": "negative"}, "The trip was a miserable, awful failure."},
	} {
		v, err := tasks.Verify(c.task, c.response, c.params)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%-14s %-5v %s\n", c.task, v.Satisfied, v.Reason)
	}
	// Output:
	// word_limit     true  3 words, fewer than 5
	// lowercase      false capital 'M' at byte 16: "…ll quiet here. Mostly."
	// json_format    true  valid JSON (object)
	// bullet_count   false 3 bullets, want exactly 2
	// forbidden_word true  never uses "very"
	// end_phrase     true  ends with "Hope this helps."
	// sentiment      true  VADER compound -0.8591 (negative), asked negative
}

func ExampleTask_Sample() {
	t, _ := tasks.Get("bullet_count")
	rng := rand.New(rand.NewPCG(42, 0))
	for k := range 3 {
		p, _ := t.Sample(rng, tasks.Space{"n": {Min: 3, Max: 5}})
		ins, _ := t.Instruction(p, k)
		fmt.Println(p.Int("n"), ins)
	}
	// Output:
	// 5 Your answer must contain exactly 5 bullet points, using markdown bullets such as "* item".
	// 5 Format the response as a list of exactly 5 markdown bullet points.
	// 3 Use exactly 3 bullet points (lines starting with "- " or "* ") in your reply.
}
