package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ifprobe/ifprobe/pipeline/stage"
	"github.com/ifprobe/ifprobe/pkg/registry"
)

// A stage of a run (the probe grid, each analysis, the report) counts as done only
// by its completion record (package stage): written after every output, listing
// each with its sha256 and the key of what it was computed from. A stage killed
// between two outputs, or whose figures a full disk kept from being written, is run
// again; a stage whose record holds is loaded. The dataset stage resumes by itself
// (build.Build: the store and the dataset log record every example as it is made).

// claim takes the run folder for this run (a second run on it is refused) after
// resolving every model, so that a typo in the last name is reported before the
// first model's run, and removes the temporary files a killed run left behind.
func (cfg Config) claim() (release func(), err error) {
	if len(cfg.Models) == 0 {
		return nil, fmt.Errorf("reproduce: no models")
	}
	for _, name := range cfg.Models {
		if _, err := registry.Resolve(name); err != nil {
			return nil, fmt.Errorf("reproduce: %w", err)
		}
	}
	if !cfg.Shard.Whole() {
		// One part of a job array: its siblings work in the same folder at once (each
		// in its own part directory or cache files), so neither the folder's lock nor
		// the removal of other writers' temporary files applies.
		return func() {}, nil
	}
	release, err = stage.Lock(cfg.Out, "ifprobe reproduce --models "+strings.Join(cfg.Models, ","))
	if err != nil {
		return nil, fmt.Errorf("reproduce: %w", err)
	}
	if err := stage.RemoveLeftovers(cfg.Out); err != nil {
		release()
		return nil, fmt.Errorf("reproduce: %w", err)
	}
	return release, nil
}

// stageKey is the key of a stage's completion record: the profile, the seeds and
// the given sums of its inputs (the store's manifest, which lists every shard's
// sha256; the grid).
func (cfg Config) stageKey(inputs ...string) string {
	h := sha256.New()
	json.NewEncoder(h).Encode(struct {
		Profile  Profile  `json:"profile"`
		Seed     uint64   `json:"seed"`
		NullSeed *uint64  `json:"null_seed"`
		Inputs   []string `json:"inputs"`
	}{cfg.Profile, cfg.Seed, cfg.NullSeed, inputs})
	return hex.EncodeToString(h.Sum(nil))
}

// fileSum is the sha256 of a file.
func fileSum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writeError marks a failure to write a stage's outputs (a full disk, say). Unlike
// an analysis that cannot be computed on a model, which the report shows, it stops
// the run; the rerun finishes the stage.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

// prefixed returns files (relative to dir/sub) relative to dir.
func prefixed(sub string, files []string) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = filepath.Join(sub, f)
	}
	return out
}
