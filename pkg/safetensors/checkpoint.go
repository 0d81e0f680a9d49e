package safetensors

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ifprobe/ifprobe/internal/limitread"
)

// IndexFile is the name of the index of a sharded Hugging Face checkpoint.
const IndexFile = "model.safetensors.index.json"

// SingleFile is the name of an unsharded Hugging Face checkpoint.
const SingleFile = "model.safetensors"

// maxIndexSize bounds an index file; real ones are a few hundred kB.
const maxIndexSize = 64 << 20

// Checkpoint is a set of tensors spread over one or more safetensors files: a Hugging
// Face model directory (sharded with model.safetensors.index.json, or a single
// model.safetensors), or one file. Tensor names are unique across the checkpoint.
type Checkpoint struct {
	files    []*File
	where    map[string]*File
	names    []string
	metadata map[string]any
}

// OpenCheckpoint opens path, which is a model directory, an index file
// (*.safetensors.index.json) or a single .safetensors file. Every shard's header is
// validated, and every tensor the index names must be in the shard it names.
func OpenCheckpoint(path string) (*Checkpoint, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	if st.IsDir() {
		idx := filepath.Join(path, IndexFile)
		if _, err := os.Stat(idx); err == nil {
			return openIndexed(idx)
		}
		single := filepath.Join(path, SingleFile)
		if _, err := os.Stat(single); err == nil {
			return openSingle(single)
		}
		return nil, fmt.Errorf("safetensors: %s: no %s or %s: %w", path, IndexFile, SingleFile, os.ErrNotExist)
	}
	if strings.HasSuffix(path, ".json") {
		return openIndexed(path)
	}
	return openSingle(path)
}

func openSingle(path string) (*Checkpoint, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	c := &Checkpoint{files: []*File{f}, where: map[string]*File{}, names: f.Names()}
	for _, n := range c.names {
		c.where[n] = f
	}
	return c, nil
}

// index is the JSON of model.safetensors.index.json.
type index struct {
	Metadata  map[string]any    `json:"metadata"`
	WeightMap map[string]string `json:"weight_map"`
}

func openIndexed(path string) (*Checkpoint, error) {
	ix, err := readIndex(path)
	if err != nil {
		return nil, err
	}
	c := &Checkpoint{where: map[string]*File{}, metadata: ix.Metadata}
	shards := map[string]*File{}
	for _, name := range sortedKeys(ix.WeightMap) {
		shard := ix.WeightMap[name]
		f, ok := shards[shard]
		if !ok {
			if f, err = Open(filepath.Join(filepath.Dir(path), shard)); err != nil {
				c.Close()
				return nil, fmt.Errorf("safetensors: %s: shard %q: %w", path, shard, err)
			}
			shards[shard] = f
			c.files = append(c.files, f)
		}
		if _, ok := f.Info(name); !ok {
			c.Close()
			return nil, fmt.Errorf("safetensors: %s: tensor %q is mapped to %s, which does not hold it: %w", path, name, shard, ErrFormat)
		}
		c.where[name] = f
		c.names = append(c.names, name)
	}
	return c, nil
}

// readIndex reads and validates an index: bounded size, a non-empty weight_map whose
// shard names are plain file names in the index's directory (no path traversal).
func readIndex(path string) (*index, error) {
	data, err := limitread.File(path, maxIndexSize)
	if errors.Is(err, limitread.ErrTooLarge) {
		return nil, fmt.Errorf("safetensors: index %w: %w", err, ErrFormat)
	}
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	var ix index
	if err := json.Unmarshal(data, &ix); err != nil {
		return nil, fmt.Errorf("safetensors: %s: %v: %w", path, err, ErrFormat)
	}
	if len(ix.WeightMap) == 0 {
		return nil, fmt.Errorf("safetensors: %s: empty or missing weight_map: %w", path, ErrFormat)
	}
	for name, shard := range ix.WeightMap {
		if shard == "" || shard == "." || shard == ".." || strings.ContainsAny(shard, `/\`+"\x00") {
			return nil, fmt.Errorf("safetensors: %s: tensor %q: shard %q is not a plain file name: %w", path, name, shard, ErrFormat)
		}
	}
	return &ix, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Names lists the checkpoint's tensor names in sorted order.
func (c *Checkpoint) Names() []string { return append([]string(nil), c.names...) }

// Files lists the open shard files, in the order they were first named.
func (c *Checkpoint) Files() []*File { return append([]*File(nil), c.files...) }

// IndexMetadata returns the index's "metadata" object (nil for a single file).
func (c *Checkpoint) IndexMetadata() map[string]any { return c.metadata }

// Info describes the named tensor; ok is false when there is none.
func (c *Checkpoint) Info(name string) (info TensorInfo, ok bool) {
	f, ok := c.where[name]
	if !ok {
		return TensorInfo{}, false
	}
	return f.Info(name)
}

// File returns the shard that holds the named tensor.
func (c *Checkpoint) File(name string) (*File, bool) {
	f, ok := c.where[name]
	return f, ok
}

// Raw reads the named tensor's bytes; see File.Raw.
func (c *Checkpoint) Raw(name string, dst []byte) ([]byte, error) {
	f, ok := c.where[name]
	if !ok {
		return dst, fmt.Errorf("safetensors: checkpoint: tensor %q: %w", name, ErrNotFound)
	}
	return f.Raw(name, dst)
}

// Float32 reads the named tensor as float32; see File.Float32.
func (c *Checkpoint) Float32(name string, dst []float32) ([]float32, error) {
	f, ok := c.where[name]
	if !ok {
		return dst, fmt.Errorf("safetensors: checkpoint: tensor %q: %w", name, ErrNotFound)
	}
	return f.Float32(name, dst)
}

// Close closes every shard, returning the first error.
func (c *Checkpoint) Close() error {
	var first error
	for _, f := range c.files {
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
