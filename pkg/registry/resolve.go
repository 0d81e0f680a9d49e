package registry

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ifprobe/ifprobe/pkg/checkpoint"
)

// Format is the on-disk format of a resolved model (checkpoint.Format).
type Format = checkpoint.Format

// The formats Resolve returns.
const (
	FormatGGUF  = checkpoint.FormatGGUF  // one GGUF file
	FormatHFDir = checkpoint.FormatHFDir // a Hugging Face directory: config.json, *.safetensors, tokenizer.json
)

// Local is a model found on this machine.
type Local struct {
	Name   string `json:"name"`   // registry name, or the file / directory base name
	Format Format `json:"format"` // FormatGGUF or FormatHFDir
	Path   string `json:"path"`   // the GGUF file or the HF directory
	Entry  *Entry `json:"entry,omitempty"`
}

// Resolve finds a model given by registry name, GGUF file path, or Hugging Face
// model directory. A registry name wins over a relative path of the same spelling
// (write ./name to mean the path). A directory holding exactly one .gguf file (such
// as Dir(name)) resolves to that file.
func Resolve(nameOrPath string) (Local, error) {
	if nameOrPath == "" {
		return Local{}, fmt.Errorf("registry: empty model name (known: %s): %w", strings.Join(Names(), ", "), ErrUnknown)
	}
	if e, err := Lookup(nameOrPath); err == nil {
		p, err := Path(e.Name)
		if err != nil {
			return Local{}, err
		}
		return Local{Name: e.Name, Format: FormatGGUF, Path: p, Entry: &e}, nil
	}
	if strings.HasPrefix(nameOrPath, "hf:") {
		return Local{}, fmt.Errorf("registry: %q: Hugging Face hub ids are not supported (download the model directory and pass its path): %w", nameOrPath, ErrUnknown)
	}
	loc, err := checkpoint.Locate(nameOrPath)
	if errors.Is(err, os.ErrNotExist) {
		return Local{}, fmt.Errorf("registry: %q is neither a known model (%s) nor an existing GGUF file or model directory: %w",
			nameOrPath, strings.Join(Names(), ", "), ErrUnknown)
	}
	if errors.Is(err, checkpoint.ErrNotCheckpoint) {
		return Local{}, fmt.Errorf("registry: %w: %w", err, ErrUnknown)
	}
	if err != nil {
		return Local{}, fmt.Errorf("registry: %w", err)
	}
	name := filepath.Base(loc.Path)
	switch abs, _ := filepath.Abs(nameOrPath); {
	case loc.Format == FormatHFDir:
		if err := checkHFDir(loc.Path); err != nil {
			return Local{}, err
		}
	case loc.Path != abs: // a directory holding one .gguf file: the directory's name
		name = filepath.Base(abs)
	default:
		name = strings.TrimSuffix(name, ".gguf")
	}
	return Local{Name: name, Format: loc.Format, Path: loc.Path}, nil
}

// Open opens the resolved model's checkpoint, which its weights, tokenizer and
// chat template are then all read from.
func (l Local) Open() (*checkpoint.Checkpoint, error) {
	return checkpoint.Location{Format: l.Format, Path: l.Path}.Open()
}

// checkHFDir refuses a Hugging Face directory that lacks what a model needs.
func checkHFDir(dir string) error {
	var missing []string
	if _, err := os.Stat(filepath.Join(dir, "config.json")); err != nil {
		missing = append(missing, "config.json")
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*.safetensors")); len(m) == 0 {
		missing = append(missing, "*.safetensors")
	}
	if _, err := os.Stat(filepath.Join(dir, "tokenizer.json")); err != nil {
		missing = append(missing, "tokenizer.json")
	}
	if len(missing) > 0 {
		return fmt.Errorf("registry: %s has no %s: not a usable Hugging Face model directory: %w",
			dir, strings.Join(missing, " or "), ErrUnknown)
	}
	return nil
}
