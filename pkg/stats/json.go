package stats

import (
	"encoding/json"
	"math"
)

// Float is a float64 that JSON-encodes NaN and ±Inf as null (JSON has no such
// numbers) and decodes null back as NaN, so a result holding an undefined statistic
// survives a save and load unchanged. Use it for result fields that may be NaN.
type Float float64

// jsonFloat is Float under its historical name inside this package.
type jsonFloat = Float

// MarshalJSON writes NaN and ±Inf as null.
func (f Float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(v)
}

// UnmarshalJSON reads null as NaN.
func (f *Float) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = jsonFloat(math.NaN())
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = jsonFloat(v)
	return nil
}

// intervalJSON mirrors Interval with NaN-safe floats.
type intervalJSON struct {
	Estimate jsonFloat `json:"estimate"`
	Lo       jsonFloat `json:"lo"`
	Hi       jsonFloat `json:"hi"`
	Level    jsonFloat `json:"level"`
	Reps     int       `json:"reps"`
}

// MarshalJSON writes an undefined (NaN) estimate or bound as null.
func (iv Interval) MarshalJSON() ([]byte, error) {
	return json.Marshal(intervalJSON{jsonFloat(iv.Estimate), jsonFloat(iv.Lo), jsonFloat(iv.Hi), jsonFloat(iv.Level), iv.Reps})
}

// UnmarshalJSON reads null as NaN.
func (iv *Interval) UnmarshalJSON(b []byte) error {
	var j intervalJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*iv = Interval{float64(j.Estimate), float64(j.Lo), float64(j.Hi), float64(j.Level), j.Reps}
	return nil
}
