// Package shard names one part of a job split across processes — "3/16", the
// fourth of sixteen — reads it from the flag or from the scheduler's
// environment (Slurm job arrays, Kubernetes Indexed Jobs), and assigns work
// units to parts deterministically, so that every process of an array agrees on
// who does what without talking to the others.
package shard

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Shard is part Index of Count (0 <= Index < Count). The zero value, and any
// Count of 1, is the whole job.
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// ErrBad is wrapped by every error for a malformed or inconsistent shard.
var ErrBad = errors.New("shard: bad shard")

// Environment variables Auto reads.
const (
	EnvSlurmID    = "SLURM_ARRAY_TASK_ID"
	EnvSlurmCount = "SLURM_ARRAY_TASK_COUNT"
	EnvSlurmMin   = "SLURM_ARRAY_TASK_MIN"
	EnvSlurmMax   = "SLURM_ARRAY_TASK_MAX"
	EnvSlurmStep  = "SLURM_ARRAY_TASK_STEP"
	EnvK8sIndex   = "JOB_COMPLETION_INDEX"
	// EnvCount gives the number of parts where the scheduler does not (a
	// Kubernetes Indexed Job: set it to the Job's completions).
	EnvCount = "IFPROBE_SHARD_COUNT"
)

// Whole reports whether s is the whole job (no split).
func (s Shard) Whole() bool { return s.Count <= 1 }

// String is "i/n", or "" for the whole job.
func (s Shard) String() string {
	if s.Whole() {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Validate checks 0 <= Index < Count (the zero value is valid).
func (s Shard) Validate() error {
	if s == (Shard{}) {
		return nil
	}
	if s.Count < 1 || s.Index < 0 || s.Index >= s.Count {
		return fmt.Errorf("%w: %d/%d: want 0 <= index < count", ErrBad, s.Index, s.Count)
	}
	return nil
}

// Owns reports whether unit u (0, 1, 2, ...) belongs to this part: units are
// dealt round-robin, so neighbouring units, which tend to cost alike, spread
// over the parts.
func (s Shard) Owns(u int) bool { return s.Whole() || u%s.Count == s.Index }

// Parse reads "i/n" (0-based index); "" is the whole job. "auto" reads the
// scheduler's environment (Auto).
func Parse(v string) (Shard, error) {
	switch v = strings.TrimSpace(v); v {
	case "":
		return Shard{}, nil
	case "auto":
		return Auto(os.Getenv)
	}
	i, n, ok := strings.Cut(v, "/")
	idx, err1 := strconv.Atoi(i)
	cnt, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("%w: %q: want INDEX/COUNT with a 0-based index, e.g. 3/16, or auto", ErrBad, v)
	}
	s := Shard{Index: idx, Count: cnt}
	return s, s.Validate()
}

// Auto reads the part from a scheduler's environment (getenv is os.Getenv in
// production): a Slurm job array (SLURM_ARRAY_TASK_ID minus
// SLURM_ARRAY_TASK_MIN, of SLURM_ARRAY_TASK_COUNT; the array must be a range
// with step 1, such as --array=0-15 or 1-16), or a Kubernetes Indexed Job
// (JOB_COMPLETION_INDEX of IFPROBE_SHARD_COUNT, which the manifest sets to the
// Job's completions). IFPROBE_SHARD_COUNT, when set, must agree with Slurm's
// count.
func Auto(getenv func(string) string) (Shard, error) {
	num := func(key string) (int, bool, error) {
		v := getenv(key)
		if v == "" {
			return 0, false, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, true, fmt.Errorf("%w: $%s=%q is not an integer", ErrBad, key, v)
		}
		return n, true, nil
	}
	count, hasCount, err := num(EnvCount)
	if err != nil {
		return Shard{}, err
	}
	if id, ok, err := num(EnvSlurmID); err != nil || ok {
		if err != nil {
			return Shard{}, err
		}
		return slurm(id, num, count, hasCount)
	}
	idx, ok, err := num(EnvK8sIndex)
	if err != nil {
		return Shard{}, err
	}
	if !ok {
		return Shard{}, fmt.Errorf("%w: auto: neither $%s (Slurm job array) nor $%s (Kubernetes Indexed Job) is set", ErrBad, EnvSlurmID, EnvK8sIndex)
	}
	if !hasCount {
		return Shard{}, fmt.Errorf("%w: auto: $%s=%d but $%s (the Job's completions) is not set", ErrBad, EnvK8sIndex, idx, EnvCount)
	}
	s := Shard{Index: idx, Count: count}
	return s, s.Validate()
}

// slurm turns a Slurm array task into a part.
func slurm(id int, num func(string) (int, bool, error), count int, hasCount bool) (Shard, error) {
	vals := map[string]int{}
	for _, k := range []string{EnvSlurmCount, EnvSlurmMin, EnvSlurmMax, EnvSlurmStep} {
		v, ok, err := num(k)
		if err != nil {
			return Shard{}, err
		}
		if ok {
			vals[k] = v
		}
	}
	n, ok := vals[EnvSlurmCount]
	if !ok {
		return Shard{}, fmt.Errorf("%w: auto: $%s=%d but $%s is not set", ErrBad, EnvSlurmID, id, EnvSlurmCount)
	}
	if step, ok := vals[EnvSlurmStep]; ok && step != 1 {
		return Shard{}, fmt.Errorf("%w: auto: Slurm array step %d: use a range with step 1 (e.g. --array=0-%d)", ErrBad, step, n-1)
	}
	lo := vals[EnvSlurmMin]
	if hi, ok := vals[EnvSlurmMax]; ok && hi-lo+1 != n {
		return Shard{}, fmt.Errorf("%w: auto: Slurm array %d-%d has %d tasks but $%s=%d: use a contiguous range (e.g. --array=0-%d)", ErrBad, lo, hi, hi-lo+1, EnvSlurmCount, n, n-1)
	}
	if hasCount && count != n {
		return Shard{}, fmt.Errorf("%w: auto: $%s=%d disagrees with $%s=%d", ErrBad, EnvCount, count, EnvSlurmCount, n)
	}
	s := Shard{Index: id - lo, Count: n}
	return s, s.Validate()
}
