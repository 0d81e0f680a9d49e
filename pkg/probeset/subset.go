package probeset

import (
	"fmt"
	"slices"

	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/probe"
)

// Only wraps src so that it lists only the tasks named in keep, in src's order.
// A study reads its source through it when some tasks cannot be probed at the
// read position (Grid.Probeable): every finding then works on the same tasks,
// and a task with too few rows of one class there fails none of them.
func Only(src Source, keep []string) Source {
	return &subset{Source: src, keep: keep}
}

type subset struct {
	Source
	keep []string
}

// Tasks implements Source.
func (s *subset) Tasks() []Task {
	var out []Task
	for _, t := range s.Source.Tasks() {
		if slices.Contains(s.keep, t.Name) {
			out = append(out, t)
		}
	}
	return out
}

// Dataset implements Source; a task left out has no data.
func (s *subset) Dataset(task string, layer int, position hook.Position) (probe.Dataset, error) {
	if !slices.Contains(s.keep, task) {
		return probe.Dataset{}, fmt.Errorf("probeset: task %q is left out of this study: %w", task, ErrNoData)
	}
	return s.Source.Dataset(task, layer, position)
}

// Probeable splits the grid's tasks into those with probe scores at position
// (some layer's cell is usable: every row has an out-of-fold score) and those
// without, each with the reason: no rows there (eos leaves truncated responses
// out), or a probe that could not be fitted (one class in a training fold).
func (g *Grid) Probeable(position hook.Position) (kept []string, left []SkippedTask) {
	for _, t := range g.Tasks {
		if len(g.usableLayers(t.Name, position)) > 0 {
			kept = append(kept, t.Name)
			continue
		}
		left = append(left, SkippedTask{Task: t.Name, Reason: g.unusableReason(t.Name, position)})
	}
	return kept, left
}

// unusableReason says why no cell of task at position is usable, from the first
// layer's cell.
func (g *Grid) unusableReason(task string, position hook.Position) string {
	for _, l := range g.Layers {
		c, ok := g.Cell(task, l, position)
		if !ok {
			continue
		}
		pos := 0
		for _, y := range c.Y {
			pos += y
		}
		why := fmt.Sprintf("at %s: %d rows, %d satisfied", position, c.N, pos)
		if c.Error != "" {
			why += "; " + c.Error
		}
		return why
	}
	return fmt.Sprintf("at %s: not in the probe grid", position)
}
