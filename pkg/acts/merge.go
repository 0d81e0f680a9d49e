package acts

import (
	"fmt"
	"reflect"

	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/safetensors"
)

// Merge writes into dir the store one Writer would have written had it been
// given the examples of parts in the order of ids: same shard size, same shard
// files, same manifest, byte for byte (values are copied, not recomputed; F16
// values survive the round trip through float32 exactly). The parts must share
// model, d_model, dtype, hooks, positions and shard size; every id must be in
// exactly one part and every example of a part must be listed. Merge resumes
// like Create: examples already in dir are skipped, so ids must keep their
// order across reruns. Memory: one row per key at a time, plus the Writer's
// shard.
func Merge(dir string, ids []string, parts ...*Store) (err error) {
	if len(parts) == 0 {
		return fmt.Errorf("acts: merge into %s: no parts", dir)
	}
	m0 := parts[0].m
	where := map[string]int{}
	total := 0
	for i, p := range parts {
		if err := sameLayout(m0, p.m); err != nil {
			return fmt.Errorf("acts: merge: %s and %s: %w", parts[0].dir, p.dir, err)
		}
		for j, ex := range p.m.Examples {
			if _, dup := where[ex.ID]; dup {
				return fmt.Errorf("acts: merge: example %q is in two parts: %w", ex.ID, ErrDuplicateID)
			}
			where[ex.ID] = i<<32 | j
		}
		total += len(p.m.Examples)
	}
	if len(ids) != total {
		return fmt.Errorf("acts: merge into %s: %d ids for %d stored examples", dir, len(ids), total)
	}
	w, err := Create(dir, Config{Model: m0.Model, DModel: m0.DModel, Hooks: m0.Hooks, Positions: m0.Positions,
		DType: m0.DType, ShardRows: m0.ShardRows})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := w.Close(); err == nil {
			err = cerr
		}
	}()
	readers := make([]rowReader, len(parts))
	defer func() {
		for _, r := range readers {
			r.close()
		}
	}()
	for _, id := range ids {
		at, ok := where[id]
		if !ok {
			return fmt.Errorf("acts: merge: example %q is in no part", id)
		}
		delete(where, id) // a repeated id is then "in no part"
		if w.Has(id) {
			continue
		}
		p := at >> 32
		ex := parts[p].m.Examples[at&(1<<32-1)]
		x, err := readers[p].row(parts[p], ex)
		if err != nil {
			return err
		}
		if err := w.Add(ex, x); err != nil {
			return err
		}
	}
	return nil
}

// sameLayout reports how two stores differ in what a merge must keep.
func sameLayout(a, b *Manifest) error {
	switch {
	case a.Model != b.Model || a.DModel != b.DModel || a.DType != b.DType || a.ShardRows != b.ShardRows:
		return fmt.Errorf("model %+v d_model %d %s shard_rows %d vs %+v %d %s %d: %w",
			a.Model, a.DModel, a.DType, a.ShardRows, b.Model, b.DModel, b.DType, b.ShardRows, ErrMismatch)
	case !reflect.DeepEqual(a.Hooks, b.Hooks) || !reflect.DeepEqual(a.Positions, b.Positions):
		return fmt.Errorf("hooks %v × positions %v vs %v × %v: %w", a.Hooks, a.Positions, b.Hooks, b.Positions, ErrMismatch)
	}
	return nil
}

// rowReader reads single examples' rows from a store, keeping the shard it
// read last open (a merge reads each part's shards in order).
type rowReader struct {
	shard int
	f     *safetensors.File
	raw   []byte
}

func (r *rowReader) close() {
	if r.f != nil {
		r.f.Close()
		r.f = nil
	}
}

// row reads every key of one example.
func (r *rowReader) row(s *Store, ex Example) (map[hook.Key][]float32, error) {
	if r.f == nil || r.shard != ex.Shard {
		r.close()
		f, err := s.openShard(ex.Shard)
		if err != nil {
			return nil, err
		}
		r.f, r.shard = f, ex.Shard
	}
	rb := int64(s.m.DModel * s.m.DType.Size())
	x := make(map[hook.Key][]float32, len(s.m.Keys))
	for _, k := range s.m.Keys {
		var err error
		if r.raw, err = r.f.RawRange(k.String(), int64(ex.Row)*rb, rb, r.raw); err != nil {
			return nil, fmt.Errorf("acts: %s: %w: %w", s.dir, err, ErrCorrupt)
		}
		if x[k], err = safetensors.DecodeFloat32(nil, r.raw, s.m.DType); err != nil {
			return nil, fmt.Errorf("acts: %s: %w", s.dir, err)
		}
	}
	return x, nil
}
