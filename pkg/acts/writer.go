package acts

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/safetensors"
)

// Config describes a store. Create validates it; the zero values of DType and
// ShardRows pick the documented defaults.
type Config struct {
	Model     Model
	DModel    int             // width of every stored vector
	Hooks     []hook.Point    // e.g. hook.ResidPost(12)
	Positions []hook.Position // e.g. hook.PromptLast, hook.Step(4)
	// DType is F32 (default: exact) or F16 (half the disk; |values| must stay below
	// 65504, else Add fails rather than store Inf).
	DType safetensors.DType
	// ShardRows is the number of examples per shard. Default: as many as fit in
	// DefaultShardBytes. The Writer holds one shard in memory.
	ShardRows int
}

// DefaultShardBytes is the target shard size when Config.ShardRows is 0.
const DefaultShardBytes = 64 << 20

// maxShardRows bounds shard_rows.
const maxShardRows = 1 << 20

// MaxShardBytes bounds one shard (the Writer's buffer): ShardRows × keys × d_model ×
// dtype size. It keeps a mistaken configuration, or a tampered manifest being resumed,
// from asking for an enormous allocation.
const MaxShardBytes = 4 << 30

// shardBytes is the size of a full shard; the inputs are bounded, so no overflow.
func shardBytes(rows, keys, dModel int, dt safetensors.DType) int64 {
	return int64(rows) * int64(keys) * int64(dModel) * int64(dt.Size())
}

// metaIDs is the shard __metadata__ entry listing the shard's example ids in row order
// (a JSON array), so that a shard can be checked against the manifest on its own. Only
// ids: the full records would make every shard commit allocate ~1 kB per example.
const metaIDs = "ids"

// Writer streams examples into a store. It holds at most one shard of activations in
// memory: when ShardRows examples are pending it writes them as one shard file
// (atomically) and then records the shard in the manifest (atomically). Records of
// committed examples are not kept: each manifest rewrite copies them from the previous
// manifest file. A Writer is not safe for concurrent use.
type Writer struct {
	dir       string
	m         Manifest // without Examples
	committed int      // examples recorded in manifest.json
	recs      span     // where their records are in manifest.json
	keys      []hook.Key
	index     map[hook.Key]int
	bufs      [][]byte // per key, the pending rows encoded in m.DType
	pending   []Example
	ids       map[string]struct{}
	resumed   int
	closed    bool
	bw        *bufio.Writer // reused by every atomic write
	copyBuf   []byte        // reused to copy committed records into each new manifest
	lock      *os.File      // holds the store's flock until Close
}

// Create opens the store in dir for writing, creating it when it does not exist. When
// it exists (a rerun), cfg must match its model, d_model, dtype, hooks and positions
// (else ErrMismatch); the examples it holds are kept, Has reports them, and leftovers
// of a killed run (temporary files, a shard written but never recorded) are removed.
// One Writer at a time per store: a second Create before Close gives ErrLocked (an
// flock, released by the kernel if the process dies).
func Create(dir string, cfg Config) (*Writer, error) {
	m, err := cfg.manifest()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, ShardDir), 0o755); err != nil {
		return nil, fmt.Errorf("acts: %w", err)
	}
	lk, err := lock(dir)
	if err != nil {
		return nil, err
	}
	w, err := create(dir, m, cfg.ShardRows)
	if err != nil {
		if lk != nil {
			lk.Close()
		}
		return nil, err
	}
	w.lock = lk
	return w, nil
}

// create opens or makes the store once the lock is held.
func create(dir string, m *Manifest, shardRows int) (*Writer, error) {
	if old, err := readManifest(dir); err == nil {
		if err := compatible(old, m, shardRows); err != nil {
			return nil, fmt.Errorf("acts: %s: %w", dir, err)
		}
		m = old
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := checkShardFiles(dir, m); err != nil {
		return nil, err
	}
	if err := removeLeftovers(dir, m); err != nil {
		return nil, err
	}
	w := &Writer{dir: dir, m: *m, keys: keysOf(m.Hooks, m.Positions), index: map[hook.Key]int{},
		ids: make(map[string]struct{}, len(m.Examples)), resumed: len(m.Examples),
		committed: len(m.Examples), bw: bufio.NewWriterSize(nil, 1<<20), copyBuf: make([]byte, 64<<10)}
	var err error
	w.recs, err = writeManifest(dir, w.bw, m, func(out io.Writer) error { return encodeExamples(out, m.Examples, false) })
	if err != nil {
		return nil, err
	}
	rowBytes := m.DModel * m.DType.Size()
	for i, k := range w.keys {
		w.index[k] = i
		w.bufs = append(w.bufs, make([]byte, 0, m.ShardRows*rowBytes))
	}
	for _, ex := range m.Examples {
		w.ids[ex.ID] = struct{}{}
	}
	w.m.Examples = nil
	return w, nil
}

// manifest validates cfg and returns the manifest of an empty store.
func (cfg Config) manifest() (*Manifest, error) {
	if err := checkNames(cfg.Hooks, cfg.Positions); err != nil {
		return nil, err
	}
	if cfg.DModel < 1 || cfg.DModel > maxDModel {
		return nil, fmt.Errorf("acts: d_model %d out of range [1, %d]", cfg.DModel, maxDModel)
	}
	dt := cfg.DType
	if dt == "" {
		dt = safetensors.F32
	}
	if dt != safetensors.F32 && dt != safetensors.F16 {
		return nil, fmt.Errorf("acts: dtype %q: want F32 or F16", dt)
	}
	if cfg.Model.Name == "" {
		return nil, fmt.Errorf("acts: Config.Model.Name is empty")
	}
	keys := keysOf(cfg.Hooks, cfg.Positions)
	rows := cfg.ShardRows
	if rows == 0 {
		rows = max(1, min(maxShardRows, DefaultShardBytes/(len(keys)*cfg.DModel*dt.Size())))
	}
	if rows < 1 || rows > maxShardRows {
		return nil, fmt.Errorf("acts: ShardRows %d out of range [1, %d]", rows, maxShardRows)
	}
	if b := shardBytes(rows, len(keys), cfg.DModel, dt); b > MaxShardBytes {
		return nil, fmt.Errorf("acts: a shard of %d rows × %d keys × d_model %d is %d bytes, more than %d: lower ShardRows", rows, len(keys), cfg.DModel, b, int64(MaxShardBytes))
	}
	m := &Manifest{Format: Format, Version: Version, Model: cfg.Model, DModel: cfg.DModel, DType: dt,
		Hooks: slices.Clone(cfg.Hooks), Layers: layersOf(cfg.Hooks),
		Positions: slices.Clone(cfg.Positions), ShardRows: rows, Keys: keys,
		Shards: []Shard{}, Examples: []Example{}}
	return m, nil
}

// compatible reports how an existing store differs from the one asked for.
func compatible(old, want *Manifest, shardRows int) error {
	switch {
	case old.Model != want.Model:
		return fmt.Errorf("model %+v, asked for %+v: %w", old.Model, want.Model, ErrMismatch)
	case old.DModel != want.DModel:
		return fmt.Errorf("d_model %d, asked for %d: %w", old.DModel, want.DModel, ErrMismatch)
	case old.DType != want.DType:
		return fmt.Errorf("dtype %s, asked for %s: %w", old.DType, want.DType, ErrMismatch)
	case !reflect.DeepEqual(old.Hooks, want.Hooks) || !reflect.DeepEqual(old.Positions, want.Positions):
		return fmt.Errorf("hooks %v × positions %v, asked for %v × %v: %w", old.Hooks, old.Positions, want.Hooks, want.Positions, ErrMismatch)
	case shardRows != 0 && old.ShardRows != shardRows:
		return fmt.Errorf("shard_rows %d, asked for %d: %w", old.ShardRows, shardRows, ErrMismatch)
	}
	return nil
}

// checkShardFiles checks every recorded shard's size and sha256 (hashing each file
// once per process), so that a rerun never appends to a store with a damaged shard.
func checkShardFiles(dir string, m *Manifest) error {
	for i := range m.Shards {
		if err := checkShardHash(dir, m, i, true); err != nil {
			return err
		}
	}
	return nil
}

// removeLeftovers deletes what a killed writer can leave behind: temporary files and
// shard files the manifest does not record. Other files are left alone.
func removeLeftovers(dir string, m *Manifest) error {
	recorded := map[string]bool{}
	for _, s := range m.Shards {
		recorded[filepath.Base(s.File)] = true
	}
	for _, d := range []string{dir, filepath.Join(dir, ShardDir)} {
		entries, err := os.ReadDir(d)
		if err != nil {
			return fmt.Errorf("acts: %w", err)
		}
		for _, e := range entries {
			name := e.Name()
			tmp := strings.HasPrefix(name, ".") && strings.Contains(name, tmpInfix)
			orphan := d != dir && strings.HasPrefix(name, "shard-") && strings.HasSuffix(name, ".safetensors") && !recorded[name]
			if e.Type().IsRegular() && (tmp || orphan) {
				if err := os.Remove(filepath.Join(d, name)); err != nil {
					return fmt.Errorf("acts: remove leftover: %w", err)
				}
			}
		}
	}
	return nil
}

// Has reports whether an example with this id is stored or pending. A rerun calls it to
// skip work already done.
func (w *Writer) Has(id string) bool {
	_, ok := w.ids[id]
	return ok
}

// Keys lists the keys every Add must provide (hook-major, as in the manifest).
func (w *Writer) Keys() []hook.Key { return slices.Clone(w.keys) }

// Resumed is the number of examples the store held when Create opened it.
func (w *Writer) Resumed() int { return w.resumed }

// Committed is the number of examples recorded in the manifest (safe on disk).
func (w *Writer) Committed() int { return w.committed }

// Len is the number of examples stored or pending.
func (w *Writer) Len() int { return w.committed + len(w.pending) }

// Add appends one example with its activations: x must hold, for every hook × position
// of the store, a vector of d_model finite values (and, for F16, of magnitude at most
// 65504). ex.Shard and ex.Row are set by the Writer. An id already stored gives
// ErrDuplicateID. When the shard fills up, Add writes it and updates the manifest.
// For an ex.Truncated example the eos keys may be left out of x: whatever x holds
// there, zeros are stored, since a response cut by the token limit has no eos.
func (w *Writer) Add(ex Example, x map[hook.Key][]float32) error {
	if w.closed {
		return fmt.Errorf("acts: %s: Add after Close", w.dir)
	}
	if err := checkName("example id", ex.ID); err != nil {
		return err
	}
	if w.Has(ex.ID) {
		return fmt.Errorf("acts: example %q: %w", ex.ID, ErrDuplicateID)
	}
	if ex.Truncated {
		x = w.withoutEOS(x)
	}
	if err := w.check(ex.ID, x); err != nil {
		return err
	}
	for k, v := range x {
		i := w.index[k]
		w.bufs[i], _ = safetensors.EncodeFloat32(w.bufs[i], v, w.m.DType) // dtype checked by Create
	}
	ex.Shard, ex.Row = len(w.m.Shards), len(w.pending)
	w.pending = append(w.pending, ex)
	w.ids[ex.ID] = struct{}{}
	if len(w.pending) == w.m.ShardRows {
		return w.Flush()
	}
	return nil
}

// withoutEOS returns x with a zero vector at every eos key of the store, so that
// no state stands for the end of a response that did not end.
func (w *Writer) withoutEOS(x map[hook.Key][]float32) map[hook.Key][]float32 {
	out := make(map[hook.Key][]float32, len(w.keys))
	for k, v := range x {
		out[k] = v
	}
	for _, k := range w.keys {
		if k.Position.Kind == hook.PosEOS {
			out[k] = make([]float32, w.m.DModel)
		}
	}
	return out
}

// check validates one example's activations before anything is buffered, so a
// rejected example leaves the pending shard unchanged.
func (w *Writer) check(id string, x map[hook.Key][]float32) error {
	if len(x) != len(w.keys) {
		for _, k := range w.keys {
			if _, ok := x[k]; !ok {
				return fmt.Errorf("acts: example %q: missing key %s", id, k)
			}
		}
		return fmt.Errorf("acts: example %q: %d keys, the store has %d", id, len(x), len(w.keys))
	}
	limit := float32(math.MaxFloat32)
	if w.m.DType == safetensors.F16 {
		limit = 65504
	}
	for k, v := range x {
		if _, ok := w.index[k]; !ok {
			return fmt.Errorf("acts: example %q: key %s is not in the store: %w", id, k, ErrNoKey)
		}
		if len(v) != w.m.DModel {
			return fmt.Errorf("acts: example %q: key %s: %d values, d_model is %d", id, k, len(v), w.m.DModel)
		}
		for j, f := range v {
			if !(f >= -limit && f <= limit) { // also catches NaN
				return fmt.Errorf("acts: example %q: key %s: value [%d] = %g is not finite in %s (use F32 for large activations)", id, k, j, f, w.m.DType)
			}
		}
	}
	return nil
}

// Flush writes the pending examples, if any, as a shard and records it. After a crash,
// everything flushed is kept.
func (w *Writer) Flush() error {
	if len(w.pending) == 0 {
		return nil
	}
	idx := len(w.m.Shards)
	shard, err := w.writeShard(idx)
	if err != nil {
		return err
	}
	if err := w.recordShard(shard); err != nil {
		return err // the shard file is an orphan that the next Create removes
	}
	w.pending = w.pending[:0]
	for i := range w.bufs {
		w.bufs[i] = w.bufs[i][:0]
	}
	return nil
}

// recordShard rewrites the manifest with one more shard and its examples: the header,
// the committed records copied from the current manifest file, then the new records.
func (w *Writer) recordShard(shard Shard) error {
	path := filepath.Join(w.dir, ManifestFile)
	prev, err := os.Open(path) // still reads the old file after the rename replaces it
	if err != nil {
		return fmt.Errorf("acts: %w", err)
	}
	defer prev.Close()
	head := w.m
	head.Shards = append(w.m.Shards[:len(w.m.Shards):len(w.m.Shards)], shard)
	recs, err := writeManifest(w.dir, w.bw, &head, func(out io.Writer) error {
		n, err := io.CopyBuffer(out, io.NewSectionReader(prev, w.recs.Start, w.recs.End-w.recs.Start), w.copyBuf)
		if err != nil {
			return err
		}
		if n != w.recs.End-w.recs.Start {
			return fmt.Errorf("%s changed while the store was open: %w", path, ErrCorrupt)
		}
		return encodeExamples(out, w.pending, w.committed > 0)
	})
	if err != nil {
		return err
	}
	w.m.Shards, w.recs = head.Shards, recs
	w.committed += len(w.pending)
	return nil
}

// writeShard writes the pending rows as shard idx, hashing the bytes as they go out.
func (w *Writer) writeShard(idx int) (Shard, error) {
	rows := len(w.pending)
	tensors := make([]safetensors.Tensor, len(w.keys))
	for i, k := range w.keys {
		tensors[i] = safetensors.Tensor{Name: k.String(), DType: w.m.DType, Shape: []int{rows, w.m.DModel}, Data: w.bufs[i]}
	}
	ids, err := json.Marshal(ids(w.pending))
	if err != nil {
		return Shard{}, fmt.Errorf("acts: %w", err)
	}
	meta := map[string]string{"format": Format, "version": strconv.Itoa(Version), "shard": strconv.Itoa(idx), metaIDs: string(ids)}
	s := Shard{File: shardFile(idx), Rows: rows}
	h := sha256.New()
	err = writeAtomic(filepath.Join(w.dir, s.File), w.bw, func(out io.Writer) error {
		s.Bytes, err = safetensors.Encode(io.MultiWriter(out, h), tensors, meta)
		return err
	})
	if err != nil {
		return Shard{}, err
	}
	s.SHA256 = hex.EncodeToString(h.Sum(nil))
	rememberShard(w.dir, s.File, s.SHA256)
	return s, nil
}

// Close flushes the pending examples and releases the store. The Writer cannot be used
// afterwards.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	err := w.Flush()
	w.closed = true
	if w.lock != nil {
		w.lock.Close() // releases the flock
	}
	return err
}
