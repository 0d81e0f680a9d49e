package build

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ifprobe/ifprobe/internal/flock"
	"github.com/ifprobe/ifprobe/internal/shard"
	"github.com/ifprobe/ifprobe/pkg/acts"
	"github.com/ifprobe/ifprobe/pkg/atomicfile"
	"github.com/ifprobe/ifprobe/pkg/dataset"
)

// A sharded build splits the plan into units of Batch consecutive items and
// deals them round-robin to the parts (shard.Shard.Owns). Each part is an
// ordinary build directory under DIR/parts; Merge writes DIR as one process
// would have written it: the same plan, records in plan order, the same
// summary and build.json, and the same activation store. Generation is
// continuously batched, so a part's rows share steps with other rows than in
// one process; the values are still the same bytes on XLA CPU, where a row's
// arithmetic does not depend on its batch-mates (TestShardedBuildEqualsOneProcess
// in cmd/ifprobe/internal/cli). A backend whose kernels change with the batch
// would agree to its batch tolerance instead.

// partsDir holds the parts of a sharded build.
const partsDir = "parts"

// partStamp is the part of a part's build.json that says which part it is.
// Batch is in it because it decides which items are in which part.
type partStamp struct {
	Shard shard.Shard `json:"shard"`
	Batch int         `json:"batch"`
}

// PartDir is the directory of one part of a sharded build of dir.
func PartDir(dir string, s shard.Shard) string {
	return filepath.Join(dir, partsDir, fmt.Sprintf("part-%04d-of-%04d", s.Index, s.Count))
}

// partItems returns the items of the plan's batch units that s owns, in plan
// order.
func partItems(items []dataset.Item, batch int, s shard.Shard) []dataset.Item {
	var out []dataset.Item
	for lo := 0; lo < len(items); lo += batch {
		if s.Owns(lo / batch) {
			out = append(out, items[lo:min(lo+batch, len(items))]...)
		}
	}
	return out
}

// MergeIfSharded merges dir (Merge) when it holds parts and no build of its
// own; it returns nil, nil when there is nothing to merge.
func MergeIfSharded(dir string) (*Stats, error) {
	if _, err := os.Stat(filepath.Join(dir, "build.json")); err == nil {
		return nil, nil
	}
	if names, _ := filepath.Glob(filepath.Join(dir, partsDir, "part-*")); len(names) == 0 {
		return nil, nil
	}
	return Merge(dir)
}

// ErrParts is wrapped by Merge's errors about missing, unfinished or
// inconsistent parts.
var ErrParts = errors.New("collect: sharded build")

// part is one part directory of a sharded build, read.
type part struct {
	dir   string
	stamp buildStamp
	plan  []byte
	store *acts.Store
}

// Merge joins the parts of a sharded build of dir (dir/parts/part-I-of-N, all N
// of them finished, with the same settings) into dir, as one process would have
// written it. Concurrent Merges of one dir wait for each other (a lock file in
// dir/parts); once dir has a build.json, Merge does nothing more. A Merge killed
// midway resumes when run again. The parts are left in place.
func Merge(dir string) (*Stats, error) {
	start := time.Now()
	if err := os.MkdirAll(filepath.Join(dir, partsDir), 0o755); err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	lk, err := flock.Lock(filepath.Join(dir, partsDir, ".merge.lock"), true)
	if err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	defer lk.Close()
	parts, err := readParts(dir)
	if err != nil {
		return nil, err
	}
	items, err := dataset.ReadItems(bytes.NewReader(parts[0].plan))
	if err != nil {
		return nil, fmt.Errorf("collect: %s: %w", PlanPath(parts[0].dir), err)
	}
	st := &Stats{Items: len(items), Done: len(items)}
	if _, err := os.Stat(filepath.Join(dir, "build.json")); err == nil {
		if err := writeSummary(dir, st); err != nil { // merged by another process meanwhile
			return nil, err
		}
		return st, nil
	}
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	lines, err := checkParts(parts, items)
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(PlanPath(dir), parts[0].plan); err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	err = atomicfile.Write(DatasetPath(dir), func(w io.Writer) error {
		for _, id := range ids {
			if _, err := w.Write(lines[id]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	stores := make([]*acts.Store, len(parts))
	for i, p := range parts {
		stores[i] = p.store
	}
	if err := acts.Merge(ActsDir(dir), ids, stores...); err != nil {
		return nil, fmt.Errorf("collect: merge: %w", err)
	}
	if err := writeSummary(dir, st); err != nil {
		return nil, err
	}
	whole := parts[0].stamp
	whole.Part = nil
	if err := checkStamp(dir, whole); err != nil { // last: build.json says the merge is complete
		return nil, err
	}
	st.Elapsed = time.Since(start)
	return st, nil
}

// readParts reads every part directory of dir and checks they are parts of one
// build: the same count, all of them, the same settings and plan.
func readParts(dir string) ([]*part, error) {
	names, err := filepath.Glob(filepath.Join(dir, partsDir, "part-*"))
	if err != nil || len(names) == 0 {
		return nil, fmt.Errorf("%w: %s has no parts (%s/part-*)", ErrParts, dir, partsDir)
	}
	slices.Sort(names)
	var parts []*part
	for _, name := range names {
		p := &part{dir: name}
		data, err := os.ReadFile(filepath.Join(name, "build.json"))
		if err == nil {
			err = json.Unmarshal(data, &p.stamp)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s/build.json: %v (has this part started?)", ErrParts, name, err)
		}
		if p.stamp.Part == nil || PartDir(dir, p.stamp.Part.Shard) != name {
			return nil, fmt.Errorf("%w: %s/build.json does not describe part %s", ErrParts, name, filepath.Base(name))
		}
		if p.plan, err = os.ReadFile(PlanPath(name)); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrParts, err)
		}
		parts = append(parts, p)
	}
	n := parts[0].stamp.Part.Shard.Count
	var missing []string
	for i := range n {
		s := shard.Shard{Index: i, Count: n}
		if !slices.ContainsFunc(parts, func(p *part) bool { return p.stamp.Part.Shard == s }) {
			missing = append(missing, s.String())
		}
	}
	if len(missing) > 0 || len(parts) != n {
		return nil, fmt.Errorf("%w: %s has %d parts of %d; missing: %s (run those shards)", ErrParts, dir, len(parts), n, strings.Join(missing, ", "))
	}
	for _, p := range parts[1:] {
		a, b := parts[0].stamp, p.stamp
		a.Part, b.Part = nil, nil
		same, _ := json.Marshal(a)
		other, _ := json.Marshal(b)
		if !bytes.Equal(same, other) || p.stamp.Part.Batch != parts[0].stamp.Part.Batch || !bytes.Equal(p.plan, parts[0].plan) {
			return nil, fmt.Errorf("%w: %s and %s were built with other settings or plans:\n%s\n%s", ErrParts, parts[0].dir, p.dir, same, other)
		}
	}
	return parts, nil
}

// checkParts checks that each part holds exactly its own items, in the dataset
// and in the activation store, and returns every record's line by id.
func checkParts(parts []*part, items []dataset.Item) (map[string][]byte, error) {
	lines := map[string][]byte{}
	for _, p := range parts {
		ps := p.stamp.Part
		want := partItems(items, ps.Batch, ps.Shard)
		var err error
		if p.store, err = acts.Open(ActsDir(p.dir)); err != nil {
			return nil, fmt.Errorf("%w: part %s: %w", ErrParts, ps.Shard, err)
		}
		stored := p.store.Examples()
		recs, err := dataset.ReadRaw(DatasetPath(p.dir))
		if err != nil {
			return nil, fmt.Errorf("%w: part %s: %w", ErrParts, ps.Shard, err)
		}
		if len(stored) != len(want) || len(recs) != len(want) {
			return nil, fmt.Errorf("%w: part %s has %d of its %d items (%d records): unfinished, rerun that shard",
				ErrParts, ps.Shard, len(stored), len(want), len(recs))
		}
		for i, it := range want {
			if stored[i].ID != it.ID {
				return nil, fmt.Errorf("%w: part %s: stored item %d is %q, its plan says %q", ErrParts, ps.Shard, i, stored[i].ID, it.ID)
			}
		}
		for _, r := range recs {
			lines[r.ID] = r.Line
		}
	}
	for _, it := range items {
		if lines[it.ID] == nil {
			return nil, fmt.Errorf("%w: no part has a record of item %q", ErrParts, it.ID)
		}
	}
	return lines, nil
}
