package registry

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Format is the on-disk format of a resolved model.
type Format string

// The formats Resolve returns.
const (
	FormatGGUF  Format = "gguf"   // one GGUF file
	FormatHFDir Format = "hf-dir" // a Hugging Face directory: config.json, *.safetensors, tokenizer.json
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
	st, err := os.Stat(nameOrPath)
	if err != nil {
		return Local{}, fmt.Errorf("registry: %q is neither a known model (%s) nor an existing GGUF file or model directory: %w",
			nameOrPath, strings.Join(Names(), ", "), ErrUnknown)
	}
	abs, err := filepath.Abs(nameOrPath)
	if err != nil {
		return Local{}, fmt.Errorf("registry: %w", err)
	}
	if st.IsDir() {
		return resolveDir(abs)
	}
	if err := checkGGUFMagic(abs); err != nil {
		return Local{}, err
	}
	return Local{Name: strings.TrimSuffix(filepath.Base(abs), ".gguf"), Format: FormatGGUF, Path: abs}, nil
}

func resolveDir(dir string) (Local, error) {
	if _, err := os.Stat(filepath.Join(dir, "config.json")); err == nil {
		var missing []string
		if m, _ := filepath.Glob(filepath.Join(dir, "*.safetensors")); len(m) == 0 {
			missing = append(missing, "*.safetensors")
		}
		if _, err := os.Stat(filepath.Join(dir, "tokenizer.json")); err != nil {
			missing = append(missing, "tokenizer.json")
		}
		if len(missing) > 0 {
			return Local{}, fmt.Errorf("registry: %s has config.json but no %s: not a usable Hugging Face model directory: %w",
				dir, strings.Join(missing, " or "), ErrUnknown)
		}
		return Local{Name: filepath.Base(dir), Format: FormatHFDir, Path: dir}, nil
	}
	ggufs, _ := filepath.Glob(filepath.Join(dir, "*.gguf"))
	if len(ggufs) == 1 {
		if err := checkGGUFMagic(ggufs[0]); err != nil {
			return Local{}, err
		}
		return Local{Name: filepath.Base(dir), Format: FormatGGUF, Path: ggufs[0]}, nil
	}
	return Local{}, fmt.Errorf("registry: %s: a model directory needs config.json + *.safetensors + tokenizer.json, or exactly one .gguf file (found %d): %w",
		dir, len(ggufs), ErrUnknown)
}

// checkGGUFMagic reports whether path starts with the GGUF magic.
func checkGGUFMagic(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	defer f.Close()
	var magic [4]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil || string(magic[:]) != "GGUF" {
		if err == nil || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return fmt.Errorf("registry: %s is not a GGUF file (no GGUF magic): %w", path, ErrUnknown)
		}
		return fmt.Errorf("registry: %s: %w", path, err)
	}
	return nil
}
