package analyses

import (
	"math"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/plot"
)

// nanResult is a result with undefined statistics, as a finding on too few examples
// has.
type nanResult struct {
	Score  float64   `json:"score"`
	ByTask []float64 `json:"by_task"`
	Fine   float64   `json:"fine"`
}

func (nanResult) Name() string                     { return "nan" }
func (nanResult) Figures() ([]*plot.Figure, error) { return nil, nil }
func (nanResult) Table() [][]string                { return [][]string{{"a"}, {"1"}} }
func (nanResult) Verdict() Verdict                 { return Verdict{Finding: "nan", Text: "undefined"} }

// TestLoadKeepsNaN: an undefined statistic saved as null is undefined again when the
// result is loaded (encoding/json left it at 0: a rerun showed a number that was
// never computed).
func TestLoadKeepsNaN(t *testing.T) {
	dir := t.TempDir()
	if _, err := Save(dir, nanResult{Score: math.NaN(), ByTask: []float64{0.5, math.NaN()}, Fine: 0.25}); err != nil {
		t.Fatal(err)
	}
	var r nanResult
	if _, err := Load(dir, &r); err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(r.Score) || !math.IsNaN(r.ByTask[1]) || r.ByTask[0] != 0.5 || r.Fine != 0.25 {
		t.Errorf("loaded %+v, want NaN where NaN was saved", r)
	}
}
