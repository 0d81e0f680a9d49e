package stage

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
	"strings"

	"github.com/ifprobe/ifprobe/internal/limitread"
	"github.com/ifprobe/ifprobe/pkg/atomicfile"
)

// RecordDir is where completion records live inside a run folder.
const RecordDir = ".stages"

// version stamps records.
const version = "ifprobe.stage/v1"

// maxRecord bounds a record file read back.
const maxRecord = 16 << 20

// File is one output of a stage, relative to the run folder.
type File struct {
	Path   string `json:"path"` // slash-separated, relative to the run folder
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// Record is a stage's completion record.
type Record struct {
	Version string `json:"version"`
	Stage   string `json:"stage"`
	Key     string `json:"key,omitempty"` // what the outputs were computed from
	Files   []File `json:"files"`         // in the order the stage gave them
}

func recordPath(dir, name string) string { return filepath.Join(dir, RecordDir, name+".json") }

// checkName keeps a stage name a plain file name ("grid", "layers", "report").
func checkName(name string) error {
	if name == "" || strings.ContainsAny(name, `/\`) || name == "." || name == ".." || strings.HasPrefix(name, ".") {
		return fmt.Errorf("stage: bad stage name %q", name)
	}
	return nil
}

// Complete records stage name of the run folder dir as complete: files (paths
// inside dir, absolute or relative to it) are hashed and listed with key, in the
// order given (a loaded stage hands its files on in the order it wrote them: the
// report shows figures in that order). Call it after every output is written; it
// fails if one is missing or outside dir.
func Complete(dir, name, key string, files []string) error {
	if err := checkName(name); err != nil {
		return err
	}
	rec := Record{Version: version, Stage: name, Key: key, Files: []File{}}
	for _, f := range files {
		rel, err := relative(dir, f)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(rec.Files, func(x File) bool { return x.Path == rel }) {
			continue
		}
		n, sum, err := hashFile(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			return fmt.Errorf("stage: %s: output %w", name, err)
		}
		rec.Files = append(rec.Files, File{Path: rel, Bytes: n, SHA256: sum})
	}
	b, err := json.MarshalIndent(rec, "", " ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, RecordDir), 0o755); err != nil {
		return fmt.Errorf("stage: %w", err)
	}
	if err := atomicfile.WriteFile(recordPath(dir, name), append(b, '\n')); err != nil {
		return fmt.Errorf("stage: %s: %w", name, err)
	}
	return nil
}

// relative returns f as a slash path relative to dir, refusing paths outside it.
func relative(dir, f string) (string, error) {
	if !filepath.IsAbs(f) {
		f = filepath.Join(dir, f)
	}
	rel, err := filepath.Rel(dir, f)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("stage: output %s is not inside the run folder %s", f, dir)
	}
	return filepath.ToSlash(rel), nil
}

func hashFile(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", fmt.Errorf("%s: %w", path, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// Read returns the completion record of stage name (an error wrapping
// os.ErrNotExist when there is none).
func Read(dir, name string) (*Record, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	b, err := limitread.File(recordPath(dir, name), maxRecord)
	if err != nil {
		return nil, fmt.Errorf("stage: %w", err)
	}
	var rec Record
	if err := json.Unmarshal(b, &rec); err != nil || rec.Version != version || rec.Stage != name {
		return nil, fmt.Errorf("stage: %s: not a completion record of %q (%v)", recordPath(dir, name), name, err)
	}
	return &rec, nil
}

// Done reports whether stage name of dir is complete for key: its record exists, was
// made with key, and every file it lists is on disk with the recorded size and
// sha256. Otherwise missing lists the outputs that are absent or changed (nil when
// there is no usable record: everything must be made). Only I/O errors other than
// absent files are returned as err.
func Done(dir, name, key string) (done bool, missing []string, err error) {
	rec, err := Read(dir, name)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil, nil
	}
	if err != nil || rec.Key != key {
		return false, nil, nil // a damaged or stale record: the stage runs again
	}
	for _, f := range rec.Files {
		if _, err := relative(dir, f.Path); err != nil {
			return false, nil, nil
		}
		n, sum, err := hashFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		switch {
		case errors.Is(err, os.ErrNotExist):
			missing = append(missing, f.Path)
		case err != nil:
			return false, nil, fmt.Errorf("stage: %s: %w", name, err)
		case n != f.Bytes || sum != f.SHA256:
			missing = append(missing, f.Path)
		}
	}
	return len(missing) == 0, missing, nil
}

// Forget removes stage name's record, so that Done reports it incomplete.
func Forget(dir, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	if err := os.Remove(recordPath(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("stage: %w", err)
	}
	return nil
}

// RemoveLeftovers deletes, under dir, the temporary files of atomic writes that a
// killed run left behind (".NAME.tmp-*"). Call it holding the run folder's Lock:
// another run's writes in flight look the same.
func RemoveLeftovers(dir string) error {
	return filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if name := d.Name(); d.Type().IsRegular() && strings.HasPrefix(name, ".") && strings.Contains(name, atomicfile.TmpInfix) {
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("stage: %w", err)
			}
		}
		return nil
	})
}
