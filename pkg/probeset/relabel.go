package probeset

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/probe"
)

// Relabel wraps src so that every dataset of a task carries the labels that
// relabel returns for it. relabel is called once per task with the task's
// labels in row order and must return as many; its result is reused for every
// layer and position. When src names its rows (NamedRows: a store, a baseline
// over one), relabel gets every example of the task, and each example keeps its
// new label at every position, including one that holds fewer rows (eos leaves
// truncated responses out); otherwise every position must hold the same rows.
func Relabel(src Source, relabel func(task string, y []int) []int) Source {
	return &relabelled{Source: src, relabel: relabel, labels: map[string][]int{}, byID: map[string]map[string]int{}}
}

// NamedRows is a Source whose rows are named examples.
type NamedRows interface {
	// AllRows lists every example of a task that any position may hold, with
	// its label, in store order.
	AllRows(task string) (ids []string, y []int)
	// RowIDs names the rows Dataset returns for a task at a position, in order.
	RowIDs(task string, position hook.Position) []string
}

// PermuteLabels is the label-permutation null: within each task the labels are
// shuffled (counts kept) by a generator seeded with seed and the task's name, so
// every layer and position of a task sees the same permutation and the result
// does not depend on the order in which tasks are read. A study computed on it
// has no information in its labels; no finding may hold on it.
func PermuteLabels(src Source, seed uint64) Source {
	return Relabel(src, func(task string, y []int) []int {
		out := slices.Clone(y)
		rng := rand.New(rand.NewPCG(seed, fnv64(task)))
		rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
		return out
	})
}

type relabelled struct {
	Source
	relabel func(task string, y []int) []int
	mu      sync.Mutex
	labels  map[string][]int
	byID    map[string]map[string]int // task -> example id -> new label (NamedRows)
}

// Dataset implements Source with the task's replaced labels.
func (r *relabelled) Dataset(task string, layer int, position hook.Position) (probe.Dataset, error) {
	ds, err := r.Source.Dataset(task, layer, position)
	if err != nil {
		return ds, err
	}
	if named, ok := r.Source.(NamedRows); ok {
		return r.byName(named, task, position, ds)
	}
	r.mu.Lock()
	y, ok := r.labels[task]
	if !ok {
		y = r.relabel(task, slices.Clone(ds.Y))
		r.labels[task] = y
	}
	r.mu.Unlock()
	if len(y) != len(ds.Y) {
		return probe.Dataset{}, fmt.Errorf("probeset: relabelled task %q: %d labels for %d rows", task, len(y), len(ds.Y))
	}
	ds.Y = slices.Clone(y)
	return ds, nil
}

// byName gives each row of ds its example's new label.
func (r *relabelled) byName(named NamedRows, task string, position hook.Position, ds probe.Dataset) (probe.Dataset, error) {
	r.mu.Lock()
	m, ok := r.byID[task]
	if !ok {
		ids, y := named.AllRows(task)
		ny := r.relabel(task, slices.Clone(y))
		if len(ny) != len(ids) {
			r.mu.Unlock()
			return probe.Dataset{}, fmt.Errorf("probeset: relabelled task %q: %d labels for %d examples", task, len(ny), len(ids))
		}
		m = make(map[string]int, len(ids))
		for i, id := range ids {
			m[id] = ny[i]
		}
		r.byID[task] = m
	}
	r.mu.Unlock()
	ids := named.RowIDs(task, position)
	if len(ids) != len(ds.Y) {
		return probe.Dataset{}, fmt.Errorf("probeset: relabelled task %q at %s: %d row names for %d rows", task, position, len(ids), len(ds.Y))
	}
	ds.Y = make([]int, len(ids))
	for i, id := range ids {
		y, ok := m[id]
		if !ok {
			return probe.Dataset{}, fmt.Errorf("probeset: relabelled task %q: row %s is not among its examples", task, id)
		}
		ds.Y[i] = y
	}
	return ds, nil
}

// fnv64 is FNV-1a of s: a stable stream id per task.
func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
