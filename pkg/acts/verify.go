package acts

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

// ShardError says which shard of a store is damaged (missing, truncated, altered)
// and how to recover. It wraps ErrCorrupt.
type ShardError struct {
	Dir      string // the store
	Shard    int    // index in the manifest
	File     string // relative to Dir
	Problem  string // what is wrong
	Examples int    // examples stored in this shard and the ones after it
}

func (e *ShardError) Error() string {
	return fmt.Sprintf("acts: %s: shard %d (%s) is damaged: %s; to recover, run `ifprobe acts verify --repair %s` "+
		"(it drops this shard and the ones after it, %d examples) and rerun the command that wrote the store "+
		"(`ifprobe reproduce` and `dataset build` do the repair themselves and regenerate those examples)",
		e.Dir, e.Shard, e.File, e.Problem, e.Dir, e.Examples)
}

func (e *ShardError) Unwrap() error { return ErrCorrupt }

// verifiedShard is what a hash check saw: a file of this size and modification time
// had this sha256.
type verifiedShard struct {
	size   int64
	mtime  int64 // nanoseconds
	sha256 string
}

// verified caches, per absolute shard path, the last successful hash check of this
// process. A shard is hashed once per process (or again when its size or mtime
// changes), so reading a key per layer does not rehash the store thirty times.
var verified sync.Map // string -> verifiedShard

func shardKey(dir, file string) string {
	p := filepath.Join(dir, file)
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// rememberShard records that the file at dir/file, as it is now, has sha (the Writer
// calls it for the shards it writes).
func rememberShard(dir, file, sha string) {
	if st, err := os.Stat(filepath.Join(dir, file)); err == nil {
		verified.Store(shardKey(dir, file), verifiedShard{st.Size(), st.ModTime().UnixNano(), sha})
	}
}

// checkShardHash checks shard i's size and sha256 against the manifest, hashing the
// file unless this process already verified it unchanged (cached is false: always hash).
func checkShardHash(dir string, m *Manifest, i int, cached bool) error {
	sh := m.Shards[i]
	path := filepath.Join(dir, sh.File)
	damaged := func(format string, args ...any) error {
		n := 0
		for _, s := range m.Shards[i:] {
			n += s.Rows
		}
		return &ShardError{Dir: dir, Shard: i, File: sh.File, Problem: fmt.Sprintf(format, args...), Examples: n}
	}
	st, err := os.Stat(path)
	if err != nil {
		return damaged("%v", errors.Unwrap(err))
	}
	if st.Size() != sh.Bytes {
		return damaged("%d bytes, the manifest says %d", st.Size(), sh.Bytes)
	}
	key := shardKey(dir, sh.File)
	if v, ok := verified.Load(key); cached && ok && v == (verifiedShard{st.Size(), st.ModTime().UnixNano(), sh.SHA256}) {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return damaged("%v", errors.Unwrap(err))
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return fmt.Errorf("acts: %s: %w", path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); n != sh.Bytes || got != sh.SHA256 {
		return damaged("%d bytes with sha256 %s, the manifest says %d bytes with sha256 %s", n, got, sh.Bytes, sh.SHA256)
	}
	verified.Store(key, verifiedShard{st.Size(), st.ModTime().UnixNano(), sh.SHA256})
	return nil
}

// checkShard checks shard i completely: size and hash, a valid safetensors file with
// the store's keys, shapes and dtype, and the example ids in its metadata equal to
// the manifest's (first is the index of its first example).
func (s *Store) checkShard(i, first int, cached bool) error {
	if err := checkShardHash(s.dir, s.m, i, cached); err != nil {
		return err
	}
	sh := s.m.Shards[i]
	f, err := s.openShard(i)
	if err != nil {
		return s.damaged(i, err)
	}
	var got []string
	err = json.Unmarshal([]byte(f.Metadata()[metaIDs]), &got)
	f.Close()
	if err != nil || !slices.Equal(got, ids(s.m.Examples[first:first+sh.Rows])) {
		return s.damaged(i, fmt.Errorf("example ids in the shard disagree with the manifest (%v)", err))
	}
	return nil
}

// damaged wraps err as a ShardError for shard i (unless it already is one).
func (s *Store) damaged(i int, err error) error {
	var se *ShardError
	if errors.As(err, &se) {
		return err
	}
	n := 0
	for _, sh := range s.m.Shards[i:] {
		n += sh.Rows
	}
	return &ShardError{Dir: s.dir, Shard: i, File: s.m.Shards[i].File, Problem: err.Error(), Examples: n}
}

// Verify checks every recorded shard completely, hashing each one again: size and
// sha256 as recorded, a valid safetensors file with the store's keys, shapes and
// dtype, and the example ids in its metadata equal to the manifest's, row by row. A
// damaged shard gives a *ShardError.
func (s *Store) Verify() error {
	e := 0
	for i, sh := range s.m.Shards {
		if err := s.checkShard(i, e, false); err != nil {
			return err
		}
		e += sh.Rows
	}
	return nil
}

// Repaired says what Repair removed.
type Repaired struct {
	Shard    int    // index of the first damaged shard; -1 when none was
	Problem  string // what was wrong with it
	Shards   int    // shards dropped (the damaged one and every later one)
	Examples int    // examples dropped with them
	Kept     int    // examples kept
}

// Repair checks every shard of the store in dir (as Verify) and, at the first damaged
// one, cuts the store there: that shard and every later one leave the manifest and the
// disk, with their examples. Later shards are dropped although they may be sound, so
// that a rerun which regenerates the missing examples in order writes the same store,
// byte for byte, as an undisturbed run. It takes the writer lock (ErrLocked while a
// Writer is open). A sound store is left untouched (Shard -1).
func Repair(dir string) (*Repaired, error) {
	lk, err := lock(dir)
	if err != nil {
		return nil, err
	}
	if lk != nil {
		defer lk.Close()
	}
	s, err := Open(dir)
	if err != nil {
		return nil, err
	}
	rep := &Repaired{Shard: -1, Kept: len(s.m.Examples)}
	e := 0
	for i, sh := range s.m.Shards {
		err := s.checkShard(i, e, false)
		var se *ShardError
		if errors.As(err, &se) {
			rep.Shard, rep.Problem = i, se.Problem
			break
		}
		if err != nil {
			return nil, err
		}
		e += sh.Rows
	}
	if rep.Shard < 0 {
		return rep, nil
	}
	m := *s.m
	rep.Shards, rep.Examples, rep.Kept = len(m.Shards)-rep.Shard, len(m.Examples)-e, e
	dropped := m.Shards[rep.Shard:]
	m.Shards, m.Examples = m.Shards[:rep.Shard], m.Examples[:e]
	if err := m.write(dir, nil); err != nil {
		return nil, err
	}
	for _, sh := range dropped {
		if err := os.Remove(filepath.Join(dir, sh.File)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("acts: repair: %w", err)
		}
	}
	return rep, nil
}

// CreateRepairing is Create for a rerun that must not trip over damage: when the
// existing store has a damaged shard, it Repairs the store (reported in the second
// result, nil when nothing was damaged) and creates the Writer on what is left, so
// the caller regenerates the dropped examples as if they had never been written.
func CreateRepairing(dir string, cfg Config) (*Writer, *Repaired, error) {
	w, err := Create(dir, cfg)
	var se *ShardError
	if !errors.As(err, &se) {
		return w, nil, err
	}
	rep, rerr := Repair(dir)
	if rerr != nil {
		return nil, nil, fmt.Errorf("%w (repair failed: %v)", err, rerr)
	}
	w, err = Create(dir, cfg)
	return w, rep, err
}
