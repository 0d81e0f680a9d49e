package textfeat

import (
	"fmt"
	"math"
	"slices"

	"github.com/ifprobe/ifprobe/pkg/tasks"
)

// Instruction is the instruction-only encoding of one task's items: what a probe
// could read from the instruction before the model writes anything.
type Instruction struct {
	task   *tasks.Task
	values map[string][]string // text parameter -> its one-hot vocabulary
	names  []string
}

// NewInstruction prepares the encoding of a task's instructions. A text
// parameter's vocabulary is its Choices, or else the values params holds (the
// items to be encoded), sorted.
func NewInstruction(task string, params []tasks.Params) (*Instruction, error) {
	t, err := tasks.Get(task)
	if err != nil {
		return nil, fmt.Errorf("textfeat: %w", err)
	}
	in := &Instruction{task: t, values: map[string][]string{}}
	for _, s := range t.Params {
		if s.Type == tasks.Int {
			in.names = append(in.names, s.Name, "log_"+s.Name)
			continue
		}
		vocab := slices.Clone(s.Choices)
		if len(vocab) == 0 {
			for _, p := range params {
				if v := p.String(s.Name); v != "" && !slices.Contains(vocab, v) {
					vocab = append(vocab, v)
				}
			}
			slices.Sort(vocab)
		}
		in.values[s.Name] = vocab
		for _, v := range vocab {
			in.names = append(in.names, s.Name+"="+v)
		}
	}
	for k := range t.Phrasings {
		in.names = append(in.names, fmt.Sprintf("phrasing=%d", k))
	}
	return in, nil
}

// Names names the features, in order.
func (in *Instruction) Names() []string { return slices.Clone(in.names) }

// Vector encodes one instruction: numeric parameters as value and log(1+value),
// text parameters and the phrasing one-hot. A value outside the vocabulary
// encodes as all zeros in its block.
func (in *Instruction) Vector(p tasks.Params, phrasing int) ([]float64, error) {
	np, err := in.task.Normalize(p)
	if err != nil {
		return nil, fmt.Errorf("textfeat: %w", err)
	}
	v := make([]float64, 0, len(in.names))
	for _, s := range in.task.Params {
		if s.Type == tasks.Int {
			n := float64(np.Int(s.Name))
			v = append(v, n, math.Log1p(math.Max(n, 0)))
			continue
		}
		hot := make([]float64, len(in.values[s.Name]))
		if i := slices.Index(in.values[s.Name], np.String(s.Name)); i >= 0 {
			hot[i] = 1
		}
		v = append(v, hot...)
	}
	hot := make([]float64, len(in.task.Phrasings))
	if phrasing >= 0 {
		hot[phrasing%len(hot)] = 1
	}
	return append(v, hot...), nil
}
