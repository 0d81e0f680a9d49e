package dataset

import (
	"fmt"

	"github.com/ifprobe/ifprobe/pkg/tasks"
)

// Baseline says, for each instructed record, whether the control response to
// the same base request (written with no instruction) already satisfies the
// same constraint with the same parameters. It separates "the model followed
// the instruction" from "the constraint held anyway": a word limit of 500 is met
// by most uninstructed answers. Records whose base request has no control
// record are left out of the map.
func Baseline(records []Record) (map[string]tasks.Verdict, error) {
	control := map[string]string{} // base id -> control response
	for _, r := range records {
		if r.Task == Control {
			control[r.BaseID] = r.Response
		}
	}
	out := map[string]tasks.Verdict{}
	for _, r := range records {
		resp, ok := control[r.BaseID]
		if r.Task == Control || !ok {
			continue
		}
		v, err := tasks.Verify(r.Task, resp, r.Params)
		if err != nil {
			return nil, fmt.Errorf("dataset: baseline of %s: %w", r.ID, err)
		}
		out[r.ID] = v
	}
	return out, nil
}
