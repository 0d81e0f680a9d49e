package topic_test

import (
	"fmt"

	"github.com/ifprobe/ifprobe/pkg/tasks/topic"
)

func ExampleClassifier_Classify() {
	c := topic.Default()
	for _, text := range []string{
		"The striker scored twice and the goalkeeper saved a penalty in the final match of the season.",
		"Simmer the onions in butter, add the flour, then bake the pie until the crust is golden.",
		"The court ruled that the contract was void, and the defendant's lawyer filed an appeal.",
	} {
		r := c.Classify(text)
		fmt.Printf("%-6s %.4f\n", r.Best(), r.Scores[0].Score)
	}
	// Output:
	// sports 1.5743
	// food   2.6884
	// law    3.4357
}
