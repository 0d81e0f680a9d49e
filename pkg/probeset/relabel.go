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
// labels (the same at every layer and position, in row order) and must return
// as many labels; its result is reused for every layer and position.
func Relabel(src Source, relabel func(task string, y []int) []int) Source {
	return &relabelled{Source: src, relabel: relabel, labels: map[string][]int{}}
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
}

// Dataset implements Source with the task's replaced labels.
func (r *relabelled) Dataset(task string, layer int, position hook.Position) (probe.Dataset, error) {
	ds, err := r.Source.Dataset(task, layer, position)
	if err != nil {
		return ds, err
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

// fnv64 is FNV-1a of s: a stable stream id per task.
func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
