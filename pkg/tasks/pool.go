package tasks

import (
	"bufio"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
)

//go:embed data/base_requests.jsonl
var baseRequestsJSONL string

// BaseRequest is one neutral request of the prompt pool ("Describe a quiet place
// where someone could think."), written for this project so that any of the nine
// constraints can be added to it.
type BaseRequest struct {
	ID   string `json:"id"`   // stable: "b001"...
	Verb string `json:"verb"` // write, explain, describe, advise, list, compare, summarise, argue, imagine
	Text string `json:"text"`
}

var (
	baseOnce sync.Once
	baseReqs []BaseRequest
	baseErr  error
)

// BaseRequests returns the embedded pool of base requests (data/base_requests.jsonl)
// in file order. The slice is a copy.
func BaseRequests() ([]BaseRequest, error) {
	baseOnce.Do(func() { baseReqs, baseErr = ParseBaseRequests(baseRequestsJSONL) })
	return append([]BaseRequest(nil), baseReqs...), baseErr
}

// ParseBaseRequests parses JSON lines of BaseRequest, checking that ids are
// present and unique and texts not empty.
func ParseBaseRequests(jsonl string) ([]BaseRequest, error) {
	var out []BaseRequest
	seen := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(jsonl))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var b BaseRequest
		if err := json.Unmarshal(sc.Bytes(), &b); err != nil {
			return nil, fmt.Errorf("tasks: base requests line %d: %w", n, err)
		}
		switch {
		case b.ID == "" || strings.TrimSpace(b.Text) == "":
			return nil, fmt.Errorf("tasks: base requests line %d: empty id or text", n)
		case seen[b.ID]:
			return nil, fmt.Errorf("tasks: base requests line %d: duplicate id %q", n, b.ID)
		}
		seen[b.ID] = true
		out = append(out, b)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("tasks: base requests: %w", err)
	}
	return out, nil
}

// Compose builds the user message: the base request, then the instruction in
// the same paragraph, as IFEval's prompts do. An empty instruction gives the
// base request alone (the control condition).
func Compose(base, instruction string) string {
	if instruction == "" {
		return base
	}
	return base + " " + instruction
}
