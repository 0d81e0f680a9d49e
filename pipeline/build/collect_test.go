package build

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ifprobe/ifprobe/internal/membudget"
	"github.com/ifprobe/ifprobe/pkg/acts"
	"github.com/ifprobe/ifprobe/pkg/capture"
	"github.com/ifprobe/ifprobe/pkg/compute"
	"github.com/ifprobe/ifprobe/pkg/dataset"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/lm"
	"github.com/ifprobe/ifprobe/pkg/model"
	"github.com/ifprobe/ifprobe/pkg/registry/registrytest"
)

// A tiny real build with the default model: every item answered, verified and
// stored at every layer and position, with fewer rows than items (continuous
// batching); a second Build resumes and does nothing; a build interrupted after
// two items and resumed writes the same records and activations, in plan order.
func TestBuildSmolLM2(t *testing.T) {
	path := registrytest.Model(t, "smollm2-135m-instruct")
	b, _, err := compute.Open("go")
	if err != nil {
		t.Fatal(err)
	}
	m, err := lm.Load(path, lm.Options{Backend: b})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := Config{Plan: dataset.Config{Tasks: []string{"lowercase", "include_keyword"}, PerTask: 2, Seed: 1, NoControls: true, Folds: 2},
		MaxTokens: 8, Batch: 3}
	st, err := Build(context.Background(), m, dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if st.Items != 4 || st.Generated != 4 {
		t.Fatalf("stats %+v", st)
	}
	recs, err := dataset.ReadRecords(DatasetPath(dir))
	if err != nil || len(recs) != 4 {
		t.Fatalf("records: %d, %v", len(recs), err)
	}
	for _, r := range recs {
		if r.Label == nil || r.Reason == "" {
			t.Errorf("record %s has no verdict", r.ID)
		}
	}
	s, err := acts.Open(ActsDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 4 || len(s.Layers()) != m.Model.Config.NLayers || len(s.Keys()) != m.Model.Config.NLayers*len(cfg.Positions()) {
		t.Fatalf("store: %s", s)
	}
	// Truncation: a response that used every token the limit allowed did not end;
	// the record and the store say so, and no eos state is read for it.
	ended := 0
	exs := map[string]acts.Example{}
	for _, e := range s.Examples() {
		exs[e.ID] = e
	}
	for _, r := range recs {
		if r.Truncated != (r.ResponseTokens == cfg.MaxTokens) || len(r.ResponseIDs) != r.ResponseTokens {
			t.Errorf("record %s: truncated %v with %d response tokens (%d ids), limit %d", r.ID, r.Truncated, r.ResponseTokens, len(r.ResponseIDs), cfg.MaxTokens)
		}
		if got := m.Tokenizer.Decode(r.ResponseIDs); got != r.Response {
			t.Errorf("record %s: response ids decode to %q, response is %q", r.ID, got, r.Response)
		}
		e := exs[r.ID]
		if e.Truncated != r.Truncated || e.ResponseTokens != r.ResponseTokens || e.PromptHash != capture.PromptHash(r.PromptIDs) {
			t.Errorf("store example %+v disagrees with record %s (truncated %v, %d tokens)", e, r.ID, r.Truncated, r.ResponseTokens)
		}
		if r.Ended() {
			ended++
		}
	}
	a, err := s.Get(hook.ResidPost(29), hook.EOS)
	if err != nil || a.N != ended || a.D != 576 {
		t.Fatalf("get at eos: %v rows, want the %d that ended: %v", a, ended, err)
	}
	if a, err := s.Get(hook.ResidPost(29), hook.Frac(1)); err != nil || a.N != 4 {
		t.Fatalf("get at frac:1: %v", err)
	}
	st2, err := Build(context.Background(), m, dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if st2.Generated != 0 || st2.Done != 4 {
		t.Fatalf("resume regenerated: %+v", st2)
	}
	interrupted := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	killed := cfg
	killed.Progress = func(done, _ int) {
		if done == 2 {
			cancel()
		}
	}
	if st, err := Build(ctx, m, interrupted, killed); !errors.Is(err, context.Canceled) || st.Generated != 2 {
		t.Fatalf("interrupted build: %v after %d items, want context.Canceled after 2", err, st.Generated)
	}
	if st, err := Build(context.Background(), m, interrupted, cfg); err != nil || st.Generated != 2 {
		t.Fatalf("resumed build: %v, %d items generated, want 2", err, st.Generated)
	}
	sameBuild(t, dir, interrupted)
	cfg.MaxTokens = 20 // other settings: resuming would mix two datasets
	if _, err := Build(context.Background(), m, dir, cfg); !errors.Is(err, ErrConfigChanged) {
		t.Fatalf("resume with other settings: %v, want ErrConfigChanged", err)
	}
	cfg.MaxTokens = 8 // the same settings, but the weights kept in bf16 (--weights bf16)
	narrow, err := lm.Load(path, lm.Options{Backend: b, Weights: model.WeightsBF16})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Build(context.Background(), narrow, dir, cfg); !errors.Is(err, ErrConfigChanged) {
		t.Fatalf("resume with bf16 weights of an f32 build: %v, want ErrConfigChanged", err)
	}
}

// sameBuild requires two build directories to hold the same dataset.jsonl bytes
// and the same activations, example by example in the same order.
func sameBuild(t *testing.T, a, b string) {
	t.Helper()
	ja, errA := os.ReadFile(DatasetPath(a))
	jb, errB := os.ReadFile(DatasetPath(b))
	if errA != nil || errB != nil || !bytes.Equal(ja, jb) {
		t.Fatalf("dataset.jsonl differs (%v, %v):\n%s\n%s", errA, errB, ja, jb)
	}
	sa, errA := acts.Open(ActsDir(a))
	sb, errB := acts.Open(ActsDir(b))
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	for _, k := range sa.Keys() {
		x, errA := sa.Get(k.Point, k.Position)
		y, errB := sb.Get(k.Point, k.Position)
		if errA != nil || errB != nil || !slices.Equal(x.IDs(), y.IDs()) || !slices.Equal(x.Data, y.Data) {
			t.Fatalf("%s differs (%v, %v)", k, errA, errB)
		}
	}
}

// storeBytes reads every file of the activation store in dir (manifest and shards).
func storeBytes(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, sub := range []string{"", acts.ShardDir} {
		entries, err := os.ReadDir(filepath.Join(ActsDir(dir), sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Type().IsRegular() && e.Name() != ".lock" {
				b, _ := os.ReadFile(filepath.Join(ActsDir(dir), sub, e.Name()))
				out[filepath.Join(sub, e.Name())] = string(b)
			}
		}
	}
	return out
}

// TestBuildRepairsDamagedStore: a rerun over a store with a damaged shard cuts it
// off, regenerates exactly the dropped examples and ends with the store an
// undisturbed build wrote, byte for byte (before, reads used the damaged values).
// A batch whose generation cannot fit in memory is refused before any work.
func TestBuildRepairsDamagedStore(t *testing.T) {
	path := registrytest.Model(t, "smollm2-135m-instruct")
	b, _, err := compute.Open("go")
	if err != nil {
		t.Fatal(err)
	}
	m, err := lm.Load(path, lm.Options{Backend: b})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := Config{Plan: dataset.Config{Tasks: []string{"lowercase", "include_keyword"}, PerTask: 2, Seed: 2, NoControls: true, Folds: 2},
		MaxTokens: 4, Batch: 2}
	if _, err := Build(context.Background(), m, dir, cfg); err != nil {
		t.Fatal(err)
	}
	want := storeBytes(t, dir)
	shard := filepath.Join(ActsDir(dir), acts.ShardDir, "shard-000000.safetensors")
	raw, _ := os.ReadFile(shard)
	raw[len(raw)-5] ^= 0x10
	os.WriteFile(shard, raw, 0o644)
	st, err := Build(context.Background(), m, dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if st.Repaired == nil || st.Repaired.Shard != 0 || st.Generated != 4 {
		t.Fatalf("rerun over a damaged shard: repaired %+v, generated %d", st.Repaired, st.Generated)
	}
	got := storeBytes(t, dir)
	if len(got) != len(want) {
		t.Fatalf("files %d, want %d", len(got), len(want))
	}
	for name, b := range want {
		if got[name] != b {
			t.Errorf("%s differs from the undisturbed build", name)
		}
	}
	t.Setenv(membudget.Env, "")
	cfg.Batch = 1 << 20
	start := time.Now()
	if _, err := Build(context.Background(), m, t.TempDir(), cfg); !errors.Is(err, membudget.ErrTooLarge) || !strings.Contains(err.Error(), "of memory") {
		t.Errorf("batch of a million: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("refused after %v", d)
	}
}
