package labelnoise

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/stats"
)

// TestCeilingSimulated: a probe that scores each response by its true outcome,
// measured against labels from a verifier with the given sensitivity and
// specificity, reaches Ceiling's AUROC.
func TestCeilingSimulated(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct{ pi, se, sp float64 }{
		{0.5, 0.9, 0.9}, {0.3, 0.95, 0.8}, {0.7, 0.75, 0.97}, {0.5, 1, 1},
	} {
		const n = 200_000
		scores, y := make([]float64, n), make([]int, n)
		passed := 0
		for i := range n {
			truth := rng.Float64() < c.pi
			pass := (truth && rng.Float64() < c.se) || (!truth && rng.Float64() >= c.sp)
			if truth {
				scores[i] = 1
			}
			if pass {
				y[i] = 1
				passed++
			}
		}
		got, err := stats.AUROC(scores, y)
		if err != nil {
			t.Fatal(err)
		}
		want := Ceiling(c.se, c.sp, float64(passed)/n)
		if math.Abs(got-want) > 0.005 {
			t.Errorf("π=%.2f se=%.2f sp=%.2f: simulated AUROC %.4f, Ceiling %.4f", c.pi, c.se, c.sp, got, want)
		}
	}
}

// TestCeilingUndefined: a verifier no better than chance, or a pass rate of 0
// or 1, leaves no ceiling to state.
func TestCeilingUndefined(t *testing.T) {
	for _, c := range [][3]float64{{0.5, 0.5, 0.4}, {0.9, 0.9, 0}, {0.9, 0.9, 1}} {
		if v := Ceiling(c[0], c[1], c[2]); !math.IsNaN(v) {
			t.Errorf("Ceiling%v = %v, want NaN", c, v)
		}
	}
}

func ExampleCeiling() {
	// A verifier right 90% of the time on either outcome, passing 40% of responses.
	fmt.Printf("%.3f\n", Ceiling(0.9, 0.9, 0.4))
	// Output:
	// 0.891
}
