package dataset

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ifprobe/ifprobe/pkg/tasks"
)

// ParseSpace parses sampling-domain overrides written as
// "task.param=MIN:MAX" (integer parameters) or "task.param=v1|v2|..." (text
// parameters), as given to `ifprobe dataset plan --space`. Each value is checked
// against the parameter's valid range or choices.
func ParseSpace(specs []string) (map[string]tasks.Space, error) {
	out := map[string]tasks.Space{}
	for _, s := range specs {
		key, val, ok := strings.Cut(s, "=")
		name, param, ok2 := strings.Cut(key, ".")
		if !ok || !ok2 || val == "" {
			return nil, fmt.Errorf("%w: space %q: want task.param=MIN:MAX or task.param=v1|v2", ErrBadConfig, s)
		}
		t, err := tasks.Get(name)
		if err != nil {
			return nil, fmt.Errorf("%w: space %q: %w", ErrBadConfig, s, err)
		}
		spec, ok := findParam(t, param)
		if !ok {
			return nil, fmt.Errorf("%w: space %q: task %s has no parameter %q (has: %s)", ErrBadConfig, s, name,
				param, strings.Join(t.ParamNames(), ", "))
		}
		d, err := parseDomain(spec, val)
		if err != nil {
			return nil, fmt.Errorf("%w: space %q: %v", ErrBadConfig, s, err)
		}
		// Check every value the domain can produce against the task's rules.
		probe := func(v any) error {
			p := tasks.Params{} // other parameters at their default domain's first value
			for _, o := range t.Params {
				if o.Type == tasks.Int {
					p[o.Name] = o.Sample.Min
				} else if len(o.Sample.Values) > 0 {
					p[o.Name] = o.Sample.Values[0]
				}
			}
			p[param] = v
			_, err := t.Normalize(p)
			return err
		}
		if spec.Type == tasks.Int {
			for _, v := range []int{d.Min, d.Max} {
				if err := probe(v); err != nil {
					return nil, fmt.Errorf("%w: space %q: %w", ErrBadConfig, s, err)
				}
			}
		} else {
			for _, v := range d.Values {
				if err := probe(v); err != nil {
					return nil, fmt.Errorf("%w: space %q: %w", ErrBadConfig, s, err)
				}
			}
		}
		if out[name] == nil {
			out[name] = tasks.Space{}
		}
		out[name][param] = d
	}
	return out, nil
}

func findParam(t *tasks.Task, name string) (tasks.ParamSpec, bool) {
	for _, p := range t.Params {
		if p.Name == name {
			return p, true
		}
	}
	return tasks.ParamSpec{}, false
}

func parseDomain(spec tasks.ParamSpec, val string) (tasks.Domain, error) {
	if spec.Type != tasks.Int {
		return tasks.Domain{Values: strings.Split(val, "|")}, nil
	}
	lo, hi, ok := strings.Cut(val, ":")
	if !ok {
		lo, hi = val, val
	}
	a, err1 := strconv.Atoi(lo)
	b, err2 := strconv.Atoi(hi)
	if err1 != nil || err2 != nil || a > b {
		return tasks.Domain{}, fmt.Errorf("want MIN:MAX integers with MIN <= MAX, got %q", val)
	}
	return tasks.Domain{Min: a, Max: b}, nil
}
