package acts

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/safetensors"
)

// Store is a read-only view of an activation store, in the manner of TransformerLens's
// ActivationCache: Keys lists what is there, Get loads one hook at one position for the
// examples a filter selects, Stack loads one hook kind over all layers. Loading reads
// only the requested tensors of the shards that hold selected examples. A Store is
// safe for concurrent use.
type Store struct {
	dir string
	m   *Manifest
}

// Open opens the store in dir and validates its manifest. It sees the shards that
// were complete when it was opened.
func Open(dir string) (*Store, error) {
	m, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	return &Store{dir: dir, m: m}, nil
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

// Manifest returns a copy of the manifest.
func (s *Store) Manifest() Manifest {
	m := *s.m
	m.Hooks = slices.Clone(m.Hooks)
	m.Layers = slices.Clone(m.Layers)
	m.Positions = slices.Clone(m.Positions)
	m.Keys = slices.Clone(m.Keys)
	m.Shards = slices.Clone(m.Shards)
	m.Examples = slices.Clone(m.Examples)
	return m
}

// Len is the number of stored examples.
func (s *Store) Len() int { return len(s.m.Examples) }

// DModel is the width of every stored vector.
func (s *Store) DModel() int { return s.m.DModel }

// Keys lists every hook × position, hook-major, in the order the store was created with.
func (s *Store) Keys() []hook.Key { return keysOf(s.m.Hooks, s.m.Positions) }

// Layers lists the layers of the store's "blocks.{L}." hooks, ascending.
func (s *Store) Layers() []int { return slices.Clone(s.m.Layers) }

// Filter selects examples; nil or no filters select all.
type Filter func(Example) bool

// Task selects examples of any of the given tasks.
func Task(tasks ...string) Filter {
	return func(e Example) bool { return slices.Contains(tasks, e.Task) }
}

// Split selects examples of any of the given splits.
func Split(splits ...string) Filter {
	return func(e Example) bool { return slices.Contains(splits, e.Split) }
}

// Label selects examples with the given label.
func Label(label int) Filter { return func(e Example) bool { return e.Label == label } }

// Ended selects the examples whose response ended (not Truncated).
func Ended(e Example) bool { return !e.Truncated }

// atPosition adds Ended to filters at eos: a truncated example has no eos state
// (its stored row is zeros), so no reader may take it for one.
func atPosition(position hook.Position, filters []Filter) []Filter {
	if position.Kind == hook.PosEOS {
		return append(slices.Clone(filters), Ended)
	}
	return filters
}

// IDs selects the examples with the given ids.
func IDs(ids ...string) Filter {
	set := map[string]bool{}
	for _, id := range ids {
		set[id] = true
	}
	return func(e Example) bool { return set[e.ID] }
}

// Examples returns the records of the examples every filter accepts, in store order.
func (s *Store) Examples(filters ...Filter) []Example {
	var out []Example
	for _, e := range s.m.Examples {
		if accept(e, filters) {
			out = append(out, e)
		}
	}
	return out
}

func accept(e Example, filters []Filter) bool {
	for _, f := range filters {
		if f != nil && !f(e) {
			return false
		}
	}
	return true
}

// Acts holds one key's activations for a set of examples: row i of Data (D values from
// Data[i*D]) belongs to Examples[i].
type Acts struct {
	Key      hook.Key
	N, D     int
	Data     []float32 // N×D, row-major
	Examples []Example
}

// Row returns example i's vector (a view into Data).
func (a *Acts) Row(i int) []float32 { return a.Data[i*a.D : (i+1)*a.D] }

// IDs lists the examples' ids, row by row.
func (a *Acts) IDs() []string { return ids(a.Examples) }

// Labels lists the examples' labels, row by row.
func (a *Acts) Labels() []int { return labels(a.Examples) }

func ids(exs []Example) []string {
	out := make([]string, len(exs))
	for i, e := range exs {
		out[i] = e.ID
	}
	return out
}

func labels(exs []Example) []int {
	out := make([]int, len(exs))
	for i, e := range exs {
		out[i] = e.Label
	}
	return out
}

// Get loads hook at position for the examples the filters select, as float32.
// At eos, truncated examples are left out.
func (s *Store) Get(p hook.Point, position hook.Position, filters ...Filter) (*Acts, error) {
	k := hook.Key{Point: p, Position: position}
	data, exs, err := s.load([]hook.Key{k}, atPosition(position, filters))
	if err != nil {
		return nil, err
	}
	return &Acts{Key: k, N: len(exs), D: s.m.DModel, Data: data[0], Examples: exs}, nil
}

// Stacked holds one hook kind at one position over layers, like TransformerLens's
// stack_activation: slab l (Layer(l)) is N×D and belongs to layer Layers[l], whose hook
// name, the slab's label, is Hooks[l]. Row i of every slab belongs to Examples[i].
type Stacked struct {
	Hooks    []hook.Point // e.g. blocks.3.resid_post
	Layers   []int
	Position hook.Position
	N, D     int
	Data     []float32 // len(Layers)×N×D
	Examples []Example
}

// Layer returns slab l (N×D, a view into Data).
func (st *Stacked) Layer(l int) []float32 { return st.Data[l*st.N*st.D : (l+1)*st.N*st.D] }

// IDs lists the examples' ids, row by row.
func (st *Stacked) IDs() []string { return ids(st.Examples) }

// Labels lists the examples' labels, row by row.
func (st *Stacked) Labels() []int { return labels(st.Examples) }

// Stack loads "blocks.{L}.<kind>" (kind such as "resid_post") at position for every
// layer the store has, ascending, reading each selected shard once. At eos,
// truncated examples are left out.
func (s *Store) Stack(kind hook.Kind, position hook.Position, filters ...Filter) (*Stacked, error) {
	filters = atPosition(position, filters)
	st := &Stacked{Position: position, D: s.m.DModel}
	var keys []hook.Key
	for _, l := range s.m.Layers {
		h := hook.Point{Kind: kind, Layer: l}
		if kind.Block() && slices.Contains(s.m.Hooks, h) {
			keys = append(keys, hook.Key{Point: h, Position: position})
			st.Hooks = append(st.Hooks, h)
			st.Layers = append(st.Layers, l)
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("acts: %s: no hook blocks.{L}.%s (hooks: %v): %w", s.dir, kind, s.m.Hooks, ErrNoKey)
	}
	// One key at a time, appended to the stack as it is read, so that the peak is the
	// stack plus one key. The first key's data, checked against the shard files, sizes
	// the stack: the manifest's counts alone are not trusted for an allocation.
	for i, k := range keys {
		data, exs, err := s.load([]hook.Key{k}, filters)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			st.N, st.Examples = len(exs), exs
			st.Data = make([]float32, 0, len(keys)*len(data[0]))
		}
		st.Data = append(st.Data, data[0]...)
	}
	return st, nil
}

// load reads keys for the selected examples, shard by shard: it opens only shards that
// hold a selected example and reads only the requested tensors, one at a time.
func (s *Store) load(keys []hook.Key, filters []Filter) ([][]float32, []Example, error) {
	for _, k := range keys {
		if !slices.Contains(s.m.Keys, k) {
			return nil, nil, fmt.Errorf("acts: %s: key %s (keys: %v): %w", s.dir, k, s.m.Keys, ErrNoKey)
		}
	}
	exs := s.Examples(filters...)
	d := s.m.DModel
	out := make([][]float32, len(keys))
	for i := range out {
		// The manifest's counts are not trusted for allocation: preallocate at most
		// maxPrealloc values and let the data actually read grow the rest.
		out[i] = make([]float32, 0, min(len(exs)*d, maxPrealloc))
	}
	var raw []byte
	var row []float32
	for lo := 0; lo < len(exs); {
		shard := exs[lo].Shard
		hi := lo
		for hi < len(exs) && exs[hi].Shard == shard {
			hi++
		}
		if err := checkShardHash(s.dir, s.m, shard, true); err != nil {
			return nil, nil, err
		}
		f, err := s.openShard(shard)
		if err != nil {
			return nil, nil, s.damaged(shard, err)
		}
		for i, k := range keys {
			if raw, err = f.Raw(k.String(), raw); err != nil {
				f.Close()
				return nil, nil, s.damaged(shard, err)
			}
			rb := d * s.m.DType.Size()
			for _, e := range exs[lo:hi] {
				row, _ = safetensors.DecodeFloat32(row, raw[e.Row*rb:(e.Row+1)*rb], s.m.DType)
				out[i] = append(out[i], row...)
			}
		}
		f.Close()
		lo = hi
	}
	return out, exs, nil
}

// maxPrealloc bounds the values load allocates before reading (4 MiB of float32).
const maxPrealloc = 1 << 20

// openShard opens shard i and checks that its tensors are the store's keys with shape
// [rows, d_model] and dtype, so that row slicing stays in bounds.
func (s *Store) openShard(i int) (*safetensors.File, error) {
	sh := s.m.Shards[i]
	f, err := safetensors.Open(filepath.Join(s.dir, sh.File))
	if err != nil {
		return nil, fmt.Errorf("acts: shard %d: %w: %w", i, err, ErrCorrupt)
	}
	want := []int{sh.Rows, s.m.DModel}
	names := f.Names()
	keys := make([]string, len(s.m.Keys))
	for i, k := range s.m.Keys {
		keys[i] = k.String()
	}
	sort.Strings(keys)
	if !slices.Equal(names, keys) {
		f.Close()
		return nil, fmt.Errorf("acts: %s: tensors %v, manifest keys %v: %w", sh.File, names, keys, ErrCorrupt)
	}
	for _, name := range names {
		info, _ := f.Info(name)
		if info.DType != s.m.DType || !slices.Equal(info.Shape, want) {
			f.Close()
			return nil, fmt.Errorf("acts: %s: tensor %q is %s%v, manifest says %s%v: %w", sh.File, name, info.DType, info.Shape, s.m.DType, want, ErrCorrupt)
		}
	}
	return f, nil
}

// String describes the store: model, size, example counts per task and split, and every
// key with its shape.
func (s *Store) String() string {
	var b strings.Builder
	m := s.m
	fmt.Fprintf(&b, "acts.Store %s: model %s", s.dir, m.Model.Name)
	if m.Model.Revision != "" {
		fmt.Fprintf(&b, "@%s", m.Model.Revision)
	}
	fmt.Fprintf(&b, ", %d examples in %d shards, %s, d_model %d\n", len(m.Examples), len(m.Shards), m.DType, m.DModel)
	count := func(what string, f func(Example) string) {
		counts := map[string]int{}
		for _, e := range m.Examples {
			counts[f(e)]++
		}
		names := make([]string, 0, len(counts))
		for k := range counts {
			names = append(names, k)
		}
		sort.Strings(names)
		fmt.Fprintf(&b, "  %s:", what)
		for _, k := range names {
			if k == "" {
				fmt.Fprintf(&b, " (none) %d", counts[k])
			} else {
				fmt.Fprintf(&b, " %s %d", k, counts[k])
			}
		}
		b.WriteString("\n")
	}
	count("tasks", func(e Example) string { return e.Task })
	count("splits", func(e Example) string { return e.Split })
	count("labels", func(e Example) string { return fmt.Sprint(e.Label) })
	width := len("key")
	for _, k := range m.Keys {
		width = max(width, len(k.String()))
	}
	fmt.Fprintf(&b, "  %-*s  shape\n", width, "key")
	for _, k := range m.Keys {
		fmt.Fprintf(&b, "  %-*s  [%d %d]\n", width, k, len(m.Examples), m.DModel)
	}
	return b.String()
}
