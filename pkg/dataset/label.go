package dataset

import (
	"encoding/json"
	"fmt"
	"io"
)

// Response is one model response produced outside ifprobe (llama.cpp, vLLM, a
// hosted API), keyed by item id: a line of the --responses file of
// `ifprobe dataset label`.
type Response struct {
	ID       string `json:"id"`
	Response string `json:"response"`
	Model    string `json:"model,omitempty"`
}

// ReadResponses reads JSON lines of Response.
func ReadResponses(r io.Reader) ([]Response, error) {
	var out []Response
	dec := json.NewDecoder(r)
	for n := 1; ; n++ {
		var x Response
		err := dec.Decode(&x)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("dataset: response %d: %w", n, err)
		}
		if x.ID == "" {
			return nil, fmt.Errorf("dataset: response %d: no id", n)
		}
		out = append(out, x)
	}
}

// Label verifies each response against its item and appends the records that w
// does not hold yet, in the order of responses. A response whose id is not
// among items is an error; items without a response are left out. It returns
// how many records were appended.
func Label(w *Writer, items []Item, responses []Response, model string) (int, error) {
	byID := make(map[string]Item, len(items))
	for _, it := range items {
		byID[it.ID] = it
	}
	n := 0
	for _, r := range responses {
		it, ok := byID[r.ID]
		if !ok {
			return n, fmt.Errorf("dataset: response for unknown item %q", r.ID)
		}
		if w.Has(r.ID) {
			continue
		}
		m := model
		if r.Model != "" {
			m = r.Model
		}
		rec, err := NewRecord(it, r.Response, m)
		if err != nil {
			return n, err
		}
		if err := w.Append(rec); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
