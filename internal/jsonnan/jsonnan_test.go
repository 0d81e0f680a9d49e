package jsonnan

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

type inner struct {
	A float64 `json:"a"`
}

type outer struct {
	Name   string             `json:"name"`
	X      float64            `json:"x"`
	Skip   int                `json:"-"`
	Empty  string             `json:"empty,omitempty"`
	List   []float64          `json:"list"`
	Map    map[string]float64 `json:"map"`
	Ptr    *inner             `json:"ptr"`
	When   time.Time          `json:"when"`
	hidden int
	inner
}

// The same value encodes as encoding/json would, except non-finite floats.
func TestMatchesEncodingJSON(t *testing.T) {
	v := outer{Name: "a", X: 1.5, Skip: 3, List: []float64{1, 2}, Map: map[string]float64{"k": 2}, Ptr: &inner{3}, When: time.Unix(0, 0).UTC(), inner: inner{4}}
	want, _ := json.Marshal(v)
	got, err := Marshal(v)
	if err != nil || string(got) != string(want) {
		t.Fatalf("got  %s\nwant %s (%v)", got, want, err)
	}
}

func TestNaNIsNull(t *testing.T) {
	v := outer{X: math.NaN(), List: []float64{math.Inf(1), 1}, Map: map[string]float64{"k": math.NaN()}}
	got, err := Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"name":"","x":null,"list":[null,1],"map":{"k":null},"ptr":null,"when":"0001-01-01T00:00:00Z","a":0}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
