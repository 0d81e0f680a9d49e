package stats

import (
	"encoding/json"
	"math"
	"testing"
)

func TestIntervalJSONNaN(t *testing.T) {
	in := Interval{Estimate: 0.75, Lo: math.NaN(), Hi: math.Inf(1), Level: 0.95, Reps: 10}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"estimate":0.75,"lo":null,"hi":null,"level":0.95,"reps":10}` {
		t.Fatalf("got %s", b)
	}
	var out Interval
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.Estimate != 0.75 || !math.IsNaN(out.Lo) || !math.IsNaN(out.Hi) || out.Reps != 10 {
		t.Fatalf("round trip: %+v", out)
	}
}
