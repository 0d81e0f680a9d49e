package tasks

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Kind groups tasks by the skill they exercise.
type Kind string

// The three kinds of task in the study.
const (
	Structural Kind = "structural" // the form of the output: length, case, format, layout
	Lexical    Kind = "lexical"    // particular words or phrases
	Semantic   Kind = "semantic"   // what the output means: tone, subject
)

// Sentinel errors; test them with errors.Is.
var (
	ErrUnknownTask = errors.New("tasks: unknown task")
	ErrBadParams   = errors.New("tasks: bad parameters")
)

// Verdict is a verifier's decision on one response.
type Verdict struct {
	Satisfied bool   `json:"satisfied"`
	Reason    string `json:"reason"` // one line a person can check by eye
}

// ParamType is the type of a task parameter.
type ParamType string

// Parameter types.
const (
	Int    ParamType = "int"
	String ParamType = "string"
)

// ParamSpec declares one parameter of a task: what values are valid, and the
// default domain the sampler draws from (the difficulty knob).
type ParamSpec struct {
	Name string    `json:"name"`
	Type ParamType `json:"type"`
	Doc  string    `json:"doc"`
	// Valid values. For Int: Min <= v <= Max. For String: one of Choices if
	// Choices is not empty, else any word or phrase accepted by the task.
	Min     int      `json:"min,omitempty"`
	Max     int      `json:"max,omitempty"`
	Choices []string `json:"choices,omitempty"`
	// Sample is the default domain of the sampler.
	Sample Domain `json:"sample"`
}

// Domain is the set of values the sampler draws a parameter from, uniformly:
// integers in [Min, Max] for Int parameters, one of Values for String ones.
type Domain struct {
	Min    int      `json:"min,omitempty"`
	Max    int      `json:"max,omitempty"`
	Values []string `json:"values,omitempty"`
}

// Space maps parameter names to sampling domains. A Space passed to Sample
// overrides the task's defaults for the parameters it names; this is how
// difficulty is tuned (see the package documentation).
type Space map[string]Domain

// Params holds a task's parameter values: int for Int parameters, string for
// String ones. JSON numbers decoded as float64 are accepted by Task.Normalize.
type Params map[string]any

// Int returns an Int parameter (0 when absent or not an integer). Values
// decoded from JSON (float64) are accepted.
func (p Params) Int(name string) int { v, _ := toInt(p[name]); return v }

// String returns a String parameter ("" when absent).
func (p Params) String(name string) string { v, _ := p[name].(string); return v }

// Task is one instruction-following task: its kind, parameters, phrasings and
// verifier. Tasks are immutable values registered by this package; get them with
// Get or All.
type Task struct {
	Name   string      `json:"name"`
	Kind   Kind        `json:"kind"`
	Doc    string      `json:"doc"`    // the constraint, in one sentence
	Mode   string      `json:"mode"`   // how the verifier decides, and from which reference
	Params []ParamSpec `json:"params"` // in a fixed order
	// Phrasings are instruction templates; {name} is replaced by the parameter
	// value (see Task.Instruction).
	Phrasings []string `json:"phrasings"`

	verify func(response string, p Params) Verdict
	// check validates string parameters beyond Choices (nil: any non-empty value).
	check func(name, value string) error
	// render turns a parameter value into the words used in the instruction
	// (nil: the value itself).
	render func(name string, value any) string
}

var registry = map[string]*Task{}

// register adds a task; called from init functions of this package.
func register(t *Task) {
	if _, dup := registry[t.Name]; dup {
		panic("tasks: duplicate task " + t.Name)
	}
	registry[t.Name] = t
}

// All returns the tasks in the study's order: structural, lexical, semantic.
func All() []*Task {
	out := make([]*Task, 0, len(order))
	for _, n := range order {
		out = append(out, registry[n])
	}
	return out
}

// order is the study's order of the nine tasks.
var order = []string{"word_limit", "lowercase", "json_format", "bullet_count",
	"include_keyword", "forbidden_word", "end_phrase", "sentiment", "topic"}

// Names returns the task names in the study's order.
func Names() []string { return append([]string(nil), order...) }

// Get returns the task called name, or an error wrapping ErrUnknownTask that
// lists the valid names.
func Get(name string) (*Task, error) {
	if t, ok := registry[name]; ok {
		return t, nil
	}
	return nil, fmt.Errorf("%w %q (valid: %s)", ErrUnknownTask, name, strings.Join(order, ", "))
}

// Verify checks response against the task called name with parameters p.
func Verify(name, response string, p Params) (Verdict, error) {
	t, err := Get(name)
	if err != nil {
		return Verdict{}, err
	}
	return t.Verify(response, p)
}

// Verify checks response against the task's constraint. Invalid parameters give
// an error wrapping ErrBadParams; the verdict itself never fails.
func (t *Task) Verify(response string, p Params) (Verdict, error) {
	np, err := t.Normalize(p)
	if err != nil {
		return Verdict{}, err
	}
	return t.verify(response, np), nil
}

// spec returns the parameter called name.
func (t *Task) spec(name string) (ParamSpec, bool) {
	for _, s := range t.Params {
		if s.Name == name {
			return s, true
		}
	}
	return ParamSpec{}, false
}

// ParamNames lists the task's parameter names.
func (t *Task) ParamNames() []string {
	out := make([]string, len(t.Params))
	for i, s := range t.Params {
		out[i] = s.Name
	}
	return out
}

func (t *Task) badParams(format string, args ...any) error {
	return fmt.Errorf("%w: task %s: %s (parameters: %s)", ErrBadParams, t.Name,
		fmt.Sprintf(format, args...), t.paramUsage())
}

// paramUsage describes the valid parameters for error messages.
func (t *Task) paramUsage() string {
	if len(t.Params) == 0 {
		return "none"
	}
	parts := make([]string, len(t.Params))
	for i, s := range t.Params {
		switch {
		case s.Type == Int:
			parts[i] = fmt.Sprintf("%s=int in [%d, %d]", s.Name, s.Min, s.Max)
		case len(s.Choices) > 0:
			parts[i] = fmt.Sprintf("%s=one of %s", s.Name, strings.Join(s.Choices, "|"))
		default:
			parts[i] = fmt.Sprintf("%s=text", s.Name)
		}
	}
	return strings.Join(parts, ", ")
}

// Normalize validates p and returns a copy with every value in its canonical
// type (int or string). Integers may come as int, integral float64 (from JSON)
// or decimal strings (from a command line).
func (t *Task) Normalize(p Params) (Params, error) {
	out := make(Params, len(t.Params))
	for k := range p {
		if _, ok := t.spec(k); !ok {
			return nil, t.badParams("unknown parameter %q", k)
		}
	}
	for _, s := range t.Params {
		v, ok := p[s.Name]
		if !ok {
			return nil, t.badParams("missing parameter %q", s.Name)
		}
		cv, err := t.normalizeValue(s, v)
		if err != nil {
			return nil, err
		}
		out[s.Name] = cv
	}
	return out, nil
}

func (t *Task) normalizeValue(s ParamSpec, v any) (any, error) {
	switch s.Type {
	case Int:
		n, ok := toInt(v)
		if !ok {
			return nil, t.badParams("%s=%v is not an integer", s.Name, v)
		}
		if n < s.Min || n > s.Max {
			return nil, t.badParams("%s=%d is out of range", s.Name, n)
		}
		return n, nil
	default:
		str, ok := v.(string)
		if !ok {
			return nil, t.badParams("%s=%v is not text", s.Name, v)
		}
		if len(s.Choices) > 0 {
			for _, c := range s.Choices {
				if c == str {
					return str, nil
				}
			}
			return nil, t.badParams("%s=%q is not a valid choice", s.Name, str)
		}
		if strings.TrimSpace(str) == "" {
			return nil, t.badParams("%s is empty", s.Name)
		}
		if t.check != nil {
			if err := t.check(s.Name, str); err != nil {
				return nil, t.badParams("%s=%q: %v", s.Name, str, err)
			}
		}
		return str, nil
	}
}

func toInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		return int(x), x == int64(int(x))
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1<<31 {
			return 0, false
		}
		return int(x), true
	case json.Number:
		n, err := strconv.Atoi(string(x))
		return n, err == nil
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(x))
		return n, err == nil
	}
	return 0, false
}

// ParseParams turns name=value strings (as typed on a command line) into
// normalized Params.
func (t *Task) ParseParams(kv []string) (Params, error) {
	p := Params{}
	for _, s := range kv {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return nil, t.badParams("%q is not name=value", s)
		}
		if _, dup := p[k]; dup {
			return nil, t.badParams("parameter %q given twice", k)
		}
		p[k] = v
	}
	return t.Normalize(p)
}

// Instruction renders phrasing k (taken modulo the number of phrasings) with the
// parameters p.
func (t *Task) Instruction(p Params, k int) (string, error) {
	np, err := t.Normalize(p)
	if err != nil {
		return "", err
	}
	if k < 0 {
		return "", t.badParams("phrasing index %d is negative", k)
	}
	s := t.Phrasings[k%len(t.Phrasings)]
	for _, spec := range t.Params {
		val := fmt.Sprint(np[spec.Name])
		if t.render != nil {
			val = t.render(spec.Name, np[spec.Name])
		}
		s = strings.ReplaceAll(s, "{"+spec.Name+"}", val)
	}
	return s, nil
}

// DefaultSpace returns the task's default sampling domains.
func (t *Task) DefaultSpace() Space {
	sp := Space{}
	for _, s := range t.Params {
		d := s.Sample
		d.Values = append([]string(nil), d.Values...)
		sp[s.Name] = d
	}
	return sp
}

// Sample draws parameters from the task's default domains, overridden by sp for
// the parameters sp names. The same rng state gives the same parameters. Domains
// outside the valid range give an error wrapping ErrBadParams.
func (t *Task) Sample(rng *rand.Rand, sp Space) (Params, error) {
	p := Params{}
	for _, s := range t.Params {
		d, ok := sp[s.Name]
		if !ok {
			d = s.Sample
		}
		switch s.Type {
		case Int:
			if d.Min > d.Max {
				return nil, t.badParams("sampling domain of %s is empty: [%d, %d]", s.Name, d.Min, d.Max)
			}
			p[s.Name] = d.Min + rng.IntN(d.Max-d.Min+1)
		default:
			if len(d.Values) == 0 {
				return nil, t.badParams("sampling domain of %s has no values", s.Name)
			}
			p[s.Name] = d.Values[rng.IntN(len(d.Values))]
		}
	}
	return t.Normalize(p)
}
