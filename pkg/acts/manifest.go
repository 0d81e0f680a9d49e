package acts

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"slices"

	"github.com/ifprobe/ifprobe/internal/limitread"

	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/safetensors"
)

// On-disk names and format identifiers.
const (
	ManifestFile = "manifest.json"
	ShardDir     = "shards"
	Format       = "ifprobe.acts"
	Version      = 1
)

// Sentinel errors; returned errors wrap them (test with errors.Is).
var (
	// ErrCorrupt: a manifest or shard is malformed or disagrees with the other.
	ErrCorrupt = errors.New("corrupt activation store")
	// ErrMismatch: a store exists with another model, dtype, d_model, hooks or positions.
	ErrMismatch = errors.New("activation store configuration mismatch")
	// ErrDuplicateID: the example id is already in the store.
	ErrDuplicateID = errors.New("duplicate example id")
	// ErrLocked: another Writer has the store open.
	ErrLocked = errors.New("activation store is open in another writer")
	// ErrNoKey: the store has no such hook/position.
	ErrNoKey = errors.New("no such key")
)

// maxManifestSize bounds manifest.json (about 5 million examples).
const maxManifestSize = 1 << 30

// maxDModel bounds d_model read from a manifest.
const maxDModel = 1 << 20

// Model identifies the model the activations come from.
type Model struct {
	Name     string `json:"name"`
	Revision string `json:"revision,omitempty"`
	SHA256   string `json:"sha256,omitempty"` // of the weights file(s), hex
}

// Shard records one complete shard file.
type Shard struct {
	File   string `json:"file"` // relative to the store: "shards/shard-000000.safetensors"
	Rows   int    `json:"rows"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"` // of the whole file, hex
}

// Example describes one stored example: what it is, and where its rows are. Row Row of
// every tensor of shard Shard holds this example's activations.
type Example struct {
	ID         string `json:"id"`                    // unique in the store
	Task       string `json:"task"`                  // e.g. "lowercase"
	Label      int    `json:"label"`                 // 1: the response satisfies the constraint, 0: it does not
	BaseID     string `json:"base_id,omitempty"`     // the base prompt it was derived from (for grouped splits)
	Split      string `json:"split,omitempty"`       // e.g. "train", "test"
	Fold       int    `json:"fold"`                  // cross-validation fold
	PromptHash string `json:"prompt_hash,omitempty"` // e.g. sha256 of the rendered prompt
	// Truncated: the response was stopped by the token limit, not by the model. It
	// has no end, so no eos state: its eos rows hold zeros, and Get and Stack at eos
	// leave it out.
	Truncated bool `json:"truncated,omitempty"`
	// ResponseTokens is the number of tokens the model generated (the stop token
	// excluded); 0 when not recorded.
	ResponseTokens int `json:"response_tokens,omitempty"`
	Shard          int `json:"shard"` // set by the Writer
	Row            int `json:"row"`   // set by the Writer
}

// Manifest is manifest.json: the store's configuration, its complete shards, and one
// record per stored example, in shard and row order.
type Manifest struct {
	Format    string            `json:"format"`
	Version   int               `json:"version"`
	Model     Model             `json:"model"`
	DModel    int               `json:"d_model"`
	DType     safetensors.DType `json:"dtype"`
	Hooks     []hook.Point      `json:"hooks"`
	Layers    []int             `json:"layers"` // layers of the block hooks, ascending
	Positions []hook.Position   `json:"positions"`
	Keys      []hook.Key        `json:"keys"` // tensor names in every shard, hook-major
	ShardRows int               `json:"shard_rows"`
	Shards    []Shard           `json:"shards"`
	Examples  []Example         `json:"examples"`
}

// keysOf lists hook@position for every hook and position, hook-major.
func keysOf(hooks []hook.Point, positions []hook.Position) []hook.Key {
	keys := make([]hook.Key, 0, len(hooks)*len(positions))
	for _, h := range hooks {
		for _, p := range positions {
			keys = append(keys, hook.Key{Point: h, Position: p})
		}
	}
	return keys
}

func layersOf(hooks []hook.Point) []int {
	layers := []int{}
	for _, h := range hooks {
		if h.Kind.Block() && !slices.Contains(layers, h.Layer) {
			layers = append(layers, h.Layer)
		}
	}
	slices.Sort(layers)
	return layers
}

func shardFile(i int) string { return fmt.Sprintf("%s/shard-%06d.safetensors", ShardDir, i) }

// write writes the manifest atomically, one example per line (diff- and grep-friendly).
func (m *Manifest) write(dir string, bw *bufio.Writer) error {
	_, err := writeManifest(dir, bw, m, func(w io.Writer) error { return encodeExamples(w, m.Examples, false) })
	return err
}

// span is the byte range [Start, End) of the examples array's contents in manifest.json.
type span struct{ Start, End int64 }

// writeManifest writes head without its examples, then lets examples write the
// contents of the "examples" array (see encodeExamples), and returns where they ended
// up, so that the next rewrite can copy them from this file instead of keeping them in
// memory.
func writeManifest(dir string, bw *bufio.Writer, head *Manifest, examples func(io.Writer) error) (span, error) {
	h := *head
	h.Examples = nil
	var sp span
	err := writeAtomic(filepath.Join(dir, ManifestFile), bw, func(out io.Writer) error {
		w := &countingWriter{w: out}
		js, err := json.MarshalIndent(h, "", " ")
		if err != nil {
			return err
		}
		js = js[:len(js)-2] // drop "\n}" to append the examples
		js = append(js[:len(js)-len(`"examples": null`)], `"examples": [`...)
		if _, err := w.Write(js); err != nil {
			return err
		}
		sp.Start = w.n
		if err := examples(w); err != nil {
			return err
		}
		sp.End = w.n
		_, err = io.WriteString(w, "\n ]\n}\n")
		return err
	})
	return sp, err
}

// encodeExamples writes records as array elements, one per line; more says whether
// elements precede them. One reused buffer and encoder: nothing is allocated per record.
func encodeExamples(w io.Writer, recs []Example, more bool) error {
	var line bytes.Buffer
	enc := json.NewEncoder(&line)
	for i := range recs {
		line.Reset()
		if more || i > 0 {
			line.WriteString(",")
		}
		line.WriteString("\n  ")
		if err := enc.Encode(&recs[i]); err != nil { // a pointer: no copy boxed per record
			return err
		}
		if _, err := w.Write(line.Bytes()[:line.Len()-1]); err != nil { // without Encode's '\n'
			return err
		}
	}
	return nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// readManifest reads and validates dir/manifest.json.
func readManifest(dir string) (*Manifest, error) {
	path := filepath.Join(dir, ManifestFile)
	data, err := limitread.File(path, maxManifestSize)
	if errors.Is(err, limitread.ErrTooLarge) {
		return nil, fmt.Errorf("acts: %w: %w", err, ErrCorrupt)
	}
	if err != nil {
		return nil, fmt.Errorf("acts: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("acts: %s: %v: %w", path, err, ErrCorrupt)
	}
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("acts: %s: %w", path, err)
	}
	return &m, nil
}

func corrupt(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, ErrCorrupt)...)
}

// validate checks everything a reader relies on: configuration, shard names (no path
// escapes), and that the examples fill the shards' rows exactly, in order, once each.
func (m *Manifest) validate() error {
	if m.Format != Format || m.Version != Version {
		return corrupt("format %q version %d, want %q version %d", m.Format, m.Version, Format, Version)
	}
	if m.DType != safetensors.F16 && m.DType != safetensors.F32 {
		return corrupt("dtype %q, want F16 or F32", m.DType)
	}
	if m.DModel < 1 || m.DModel > maxDModel {
		return corrupt("d_model %d out of range [1, %d]", m.DModel, maxDModel)
	}
	if err := checkNames(m.Hooks, m.Positions); err != nil {
		return fmt.Errorf("%w: %w", err, ErrCorrupt)
	}
	if !slices.Equal(keysOf(m.Hooks, m.Positions), m.Keys) || !reflect.DeepEqual(layersOf(m.Hooks), m.Layers) {
		return corrupt("keys or layers disagree with hooks × positions")
	}
	if m.ShardRows < 1 || m.ShardRows > maxShardRows {
		return corrupt("shard_rows %d out of range [1, %d]", m.ShardRows, maxShardRows)
	}
	if b := shardBytes(m.ShardRows, len(m.Keys), m.DModel, m.DType); b > MaxShardBytes {
		return corrupt("shards of %d bytes exceed %d", b, int64(MaxShardBytes))
	}
	e := 0
	for i, s := range m.Shards {
		if s.File != shardFile(i) {
			return corrupt("shard %d: file %q, want %q", i, s.File, shardFile(i))
		}
		if s.Rows < 1 || s.Rows > m.ShardRows || s.Bytes < 1 {
			return corrupt("shard %d: %d rows (max %d), %d bytes", i, s.Rows, m.ShardRows, s.Bytes)
		}
		if b, err := hex.DecodeString(s.SHA256); err != nil || len(b) != 32 {
			return corrupt("shard %d: sha256 %q is not 64 hex digits", i, s.SHA256)
		}
		for r := 0; r < s.Rows; r++ {
			if e >= len(m.Examples) {
				return corrupt("shard %d has %d rows but the examples end at row %d", i, s.Rows, r)
			}
			if ex := m.Examples[e]; ex.Shard != i || ex.Row != r {
				return corrupt("example %d (%q) is at shard %d row %d, want shard %d row %d", e, ex.ID, ex.Shard, ex.Row, i, r)
			}
			e++
		}
	}
	if e != len(m.Examples) {
		return corrupt("%d examples, but the shards hold %d rows", len(m.Examples), e)
	}
	seen := make(map[string]struct{}, len(m.Examples))
	for _, ex := range m.Examples {
		if err := checkName("example id", ex.ID); err != nil {
			return fmt.Errorf("%w: %w", err, ErrCorrupt)
		}
		if _, dup := seen[ex.ID]; dup {
			return corrupt("example id %q: %v", ex.ID, ErrDuplicateID)
		}
		seen[ex.ID] = struct{}{}
	}
	return nil
}

// checkNames validates hooks and positions: at least one of each, no duplicates.
// (The names themselves are valid by construction: hook.Point and hook.Position
// parse them when a manifest is read.)
func checkNames(hooks []hook.Point, positions []hook.Position) error {
	if len(hooks) == 0 || len(positions) == 0 {
		return fmt.Errorf("acts: need at least one hook and one position")
	}
	if err := noDuplicates("hook", hooks); err != nil {
		return err
	}
	return noDuplicates("position", positions)
}

func noDuplicates[T comparable](what string, list []T) error {
	seen := map[T]bool{}
	for _, v := range list {
		if seen[v] {
			return fmt.Errorf("acts: %s %v listed twice", what, v)
		}
		seen[v] = true
	}
	return nil
}
