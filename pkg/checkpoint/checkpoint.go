package checkpoint

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/ifprobe/ifprobe/pkg/gguf"
	"github.com/ifprobe/ifprobe/pkg/safetensors"
)

// Format is the on-disk format of a checkpoint.
type Format string

// The formats.
const (
	FormatGGUF  Format = "gguf"   // one GGUF file: weights, tokenizer and chat template
	FormatHFDir Format = "hf-dir" // a Hugging Face directory: config.json, *.safetensors, tokenizer.json, ...
)

// ErrNotCheckpoint is wrapped by the error of a path that is neither a GGUF file
// nor a model directory.
var ErrNotCheckpoint = errors.New("checkpoint: not a GGUF file or model directory")

// Location is a checkpoint found on disk, not yet opened.
type Location struct {
	Format Format
	Path   string // the GGUF file, or the directory; absolute
}

// tokenizerFiles make a directory without config.json (and without a single
// .gguf) a Hugging Face checkpoint too: one that holds a tokenizer or a chat
// template only.
var tokenizerFiles = []string{"tokenizer.json", "tokenizer.model", "tokenizer_config.json", "chat_template.jinja"}

// Locate decides what path is (see the package documentation): config.json
// first, then a single .gguf file, then a tokenizer-only directory. It reads at most
// the first four bytes of one file.
func Locate(path string) (Location, error) {
	st, err := os.Stat(path)
	if err != nil {
		return Location{}, fmt.Errorf("checkpoint: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return Location{}, fmt.Errorf("checkpoint: %w", err)
	}
	if !st.IsDir() {
		if err := checkGGUFMagic(abs); err != nil {
			return Location{}, err
		}
		return Location{FormatGGUF, abs}, nil
	}
	if exists(abs, "config.json") {
		return Location{FormatHFDir, abs}, nil
	}
	ggufs, _ := filepath.Glob(filepath.Join(abs, "*.gguf"))
	if len(ggufs) == 1 {
		if err := checkGGUFMagic(ggufs[0]); err != nil {
			return Location{}, err
		}
		return Location{FormatGGUF, ggufs[0]}, nil
	}
	if exists(abs, tokenizerFiles...) {
		return Location{FormatHFDir, abs}, nil
	}
	return Location{}, fmt.Errorf("%w: %s: a model directory needs config.json + *.safetensors + tokenizer.json, or exactly one .gguf file (found %d)",
		ErrNotCheckpoint, abs, len(ggufs))
}

// exists reports whether dir holds any of the named files.
func exists(dir string, names ...string) bool {
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			return true
		}
	}
	return false
}

// checkGGUFMagic reports whether path starts with the GGUF magic.
func checkGGUFMagic(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	defer f.Close()
	var magic [4]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil || string(magic[:]) != "GGUF" {
		if err == nil || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return fmt.Errorf("%w: %s is not a GGUF file (no GGUF magic)", ErrNotCheckpoint, path)
		}
		return fmt.Errorf("checkpoint: %s: %w", path, err)
	}
	return nil
}

// Checkpoint is an opened model checkpoint. Its methods are safe for concurrent
// use.
type Checkpoint struct {
	Location
	gguf *gguf.File // FormatGGUF

	once    sync.Once
	tensors *safetensors.Checkpoint // FormatHFDir, opened by Tensors
	openErr error
}

// Open locates path (Locate) and opens it.
func Open(path string) (*Checkpoint, error) {
	loc, err := Locate(path)
	if err != nil {
		return nil, err
	}
	return loc.Open()
}

// Open opens the located checkpoint: a GGUF file's header is parsed now.
func (l Location) Open() (*Checkpoint, error) {
	c := &Checkpoint{Location: l}
	switch l.Format {
	case FormatGGUF:
		f, err := gguf.Open(l.Path)
		if err != nil {
			return nil, fmt.Errorf("checkpoint: %w", err)
		}
		c.gguf = f
	case FormatHFDir:
	default:
		return nil, fmt.Errorf("checkpoint: %s: unknown format %q", l.Path, l.Format)
	}
	return c, nil
}

// GGUF returns the parsed GGUF file of a FormatGGUF checkpoint, nil otherwise.
func (c *Checkpoint) GGUF() *gguf.File { return c.gguf }

// Dir returns the directory of a FormatHFDir checkpoint, "" otherwise.
func (c *Checkpoint) Dir() string {
	if c.Format != FormatHFDir {
		return ""
	}
	return c.Path
}

// Tensors returns the safetensors weights of a FormatHFDir checkpoint
// (model.safetensors or the shards of model.safetensors.index.json), opening them
// on the first call.
func (c *Checkpoint) Tensors() (*safetensors.Checkpoint, error) {
	if c.Format != FormatHFDir {
		return nil, fmt.Errorf("checkpoint: %s: a %s checkpoint has no safetensors", c.Path, c.Format)
	}
	c.once.Do(func() {
		c.tensors, c.openErr = safetensors.OpenCheckpoint(c.Path)
		if c.openErr != nil {
			c.openErr = fmt.Errorf("checkpoint: %w", c.openErr)
		}
	})
	return c.tensors, c.openErr
}

// Close closes the files the checkpoint opened.
func (c *Checkpoint) Close() error {
	var errs []error
	if c.gguf != nil {
		errs = append(errs, c.gguf.Close())
	}
	c.once.Do(func() {}) // no Tensors after Close
	if c.tensors != nil {
		errs = append(errs, c.tensors.Close())
	}
	return errors.Join(errs...)
}
