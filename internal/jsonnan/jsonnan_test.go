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

type cell struct {
	Sel   float64            `json:"sel"`
	F32   float32            `json:"f32"`
	Folds []float64          `json:"folds"`
	Arr   [3]float64         `json:"arr"`
	ByInt map[int]float64    `json:"by_int"`
	Kids  []cell             `json:"kids,omitempty"`
	P     *float64           `json:"p"`
	Y     []int              `json:"y"`
	Any   any                `json:"any"`
	Sub   map[string][]inner `json:"sub"`
	inner
}

// TestUnmarshalRoundTrip: what Marshal writes, Unmarshal reads back equal, NaN (and
// ±Inf, written as null) as NaN wherever a float lives. encoding/json leaves a null
// float field at 0, which is how undefined selectivity became 0 in rebuilt grids.
func TestUnmarshalRoundTrip(t *testing.T) {
	nan := math.NaN()
	one := 1.0
	v := []cell{{Sel: nan, F32: float32(math.Inf(-1)), Folds: []float64{0.5, nan}, Arr: [3]float64{nan, 1, nan},
		ByInt: map[int]float64{3: nan, 4: 2}, Kids: []cell{{Sel: nan, Y: []int{1}}}, P: &one, Y: []int{0, 1},
		Any: "x", Sub: map[string][]inner{"k": {{nan}, {2}}}, inner: inner{nan}}, {Sel: 0.25}}
	b, err := Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var got []cell
	if err := Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	again, _ := Marshal(got)
	if string(again) != string(b) {
		t.Fatalf("round trip changed the JSON:\n%s\n%s", b, again)
	}
	c := got[0]
	for name, f := range map[string]float64{"sel": c.Sel, "f32": float64(c.F32), "folds[1]": c.Folds[1], "arr[0]": c.Arr[0],
		"by_int[3]": c.ByInt[3], "kids[0].sel": c.Kids[0].Sel, "sub[k][0].a": c.Sub["k"][0].A, "embedded a": c.A} {
		if !math.IsNaN(f) {
			t.Errorf("%s = %v, want NaN", name, f)
		}
	}
	if got[1].Sel != 0.25 || got[1].F32 != 0 || got[1].P != nil || c.Folds[0] != 0.5 || c.ByInt[4] != 2 || *c.P != 1 {
		t.Errorf("defined values changed: %+v", got)
	}
	// Where nothing is null, it decodes exactly as encoding/json.
	plain := []byte(`{"sel":1,"folds":[1,2],"by_int":{"7":3},"y":[4],"any":{"a":1},"a":5,"Y":[6]}`)
	var a, e cell
	if err := Unmarshal(plain, &a); err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(plain, &e)
	ja, _ := json.Marshal(a)
	je, _ := json.Marshal(e)
	if string(ja) != string(je) {
		t.Errorf("plain JSON: got %s, encoding/json %s", ja, je)
	}
	for _, bad := range []string{`{"sel":"x"}`, `{"folds":{}}`, `[1,`, `{"by_int":{"x":1}}`} {
		if err := Unmarshal([]byte(bad), &a); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	if err := Unmarshal([]byte(`1`), a); err == nil {
		t.Error("non-pointer: no error")
	}
}
