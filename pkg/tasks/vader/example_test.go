package vader_test

import (
	"fmt"

	"github.com/ifprobe/ifprobe/pkg/tasks/vader"
)

func ExampleAnalyzer_PolarityScores() {
	a := vader.Default()
	for _, text := range []string{
		"The book was good.",
		"The book was not good.",
		"The plot was good, but the characters are dull!",
	} {
		s := a.PolarityScores(text)
		fmt.Printf("%+.4f %s\n", s.Compound, text)
	}
	// Output:
	// +0.4404 The book was good.
	// -0.3412 The book was not good.
	// -0.4389 The plot was good, but the characters are dull!
}
