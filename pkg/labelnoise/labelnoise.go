package labelnoise

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/ifprobe/ifprobe/pkg/stats"
	"github.com/ifprobe/ifprobe/pkg/tasks"
)

//go:embed data/*.jsonl
var samples embed.FS

// Label is one hand-labelled response.
type Label struct {
	ID       string       `json:"id"` // the dataset record it comes from
	Model    string       `json:"model"`
	Task     string       `json:"task"`
	Params   tasks.Params `json:"params"`
	Prompt   string       `json:"prompt"` // the user message, instruction included
	Response string       `json:"response"`
	// Human is the labeller's reading: does the response do what the
	// instruction asks? Verifier is the verifier's verdict on the same response.
	Human    bool   `json:"human"`
	Verifier bool   `json:"verifier"`
	Note     string `json:"note,omitempty"` // why, where it was a close call
}

// maxSample bounds one committed sample file.
const maxSample = 8 << 20

// Samples returns the committed labelled samples of every model.
func Samples() ([]Label, error) {
	files, err := fs.Glob(samples, "data/*.jsonl")
	if err != nil {
		return nil, err
	}
	var out []Label
	for _, f := range files {
		b, err := samples.ReadFile(f)
		if err != nil {
			return nil, err
		}
		ls, err := Parse(path.Base(f), b)
		if err != nil {
			return nil, err
		}
		out = append(out, ls...)
	}
	return out, nil
}

// Parse reads a labelled sample in JSON Lines; name names it in errors.
func Parse(name string, b []byte) ([]Label, error) {
	if len(b) > maxSample {
		return nil, fmt.Errorf("labelnoise: %s: %d bytes, more than the %d a sample may have", name, len(b), maxSample)
	}
	var out []Label
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var l Label
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			return nil, fmt.Errorf("labelnoise: %s:%d: %w", name, i+1, err)
		}
		if l.Task == "" || l.Model == "" {
			return nil, fmt.Errorf("labelnoise: %s:%d: a label needs its model and task", name, i+1)
		}
		out = append(out, l)
	}
	return out, nil
}

// Agreement is a verifier's agreement with the human labels of one model's
// responses to one task.
type Agreement struct {
	Model string `json:"model"`
	Task  string `json:"task"`
	N     int    `json:"n"`
	// Accuracy is the share of responses where verifier and human agree (Wilson
	// 95% CI). Sensitivity is P(verifier passes | human passes), Specificity
	// P(verifier fails | human fails): what Ceiling needs.
	Accuracy     stats.Interval `json:"accuracy"`
	Sensitivity  stats.Interval `json:"sensitivity"`
	Specificity  stats.Interval `json:"specificity"`
	HumanPass    int            `json:"human_pass"`
	VerifierPass int            `json:"verifier_pass"`
}

// Measure groups labels by model and task and measures each verifier's
// agreement, in the order of first appearance.
func Measure(labels []Label) []Agreement {
	type key struct{ model, task string }
	var order []key
	counts := map[key]*[4]int{} // [human pass & verifier pass, human pass & verifier fail, human fail & verifier pass, both fail]
	for _, l := range labels {
		k := key{l.Model, l.Task}
		if counts[k] == nil {
			counts[k] = &[4]int{}
			order = append(order, k)
		}
		i := 0
		if !l.Human {
			i = 2
		}
		if !l.Verifier {
			i++
		}
		counts[k][i]++
	}
	out := make([]Agreement, 0, len(order))
	for _, k := range order {
		c := counts[k]
		n := c[0] + c[1] + c[2] + c[3]
		out = append(out, Agreement{Model: k.model, Task: k.task, N: n,
			Accuracy:    stats.Wilson(c[0]+c[3], n, 0.95),
			Sensitivity: stats.Wilson(c[0], c[0]+c[1], 0.95),
			Specificity: stats.Wilson(c[3], c[2]+c[3], 0.95),
			HumanPass:   c[0] + c[1], VerifierPass: c[0] + c[2]})
	}
	return out
}

// For returns the agreement measured for model's responses to task, or, when
// that model has no labelled sample, the one of another model (from reports
// that it was measured elsewhere); ok is false when no sample has the task.
func For(ags []Agreement, model, task string) (a Agreement, same bool, ok bool) {
	i := slices.IndexFunc(ags, func(a Agreement) bool { return a.Model == model && a.Task == task })
	if i >= 0 {
		return ags[i], true, true
	}
	i = slices.IndexFunc(ags, func(a Agreement) bool { return a.Task == task })
	if i >= 0 {
		return ags[i], false, true
	}
	return Agreement{}, false, false
}
