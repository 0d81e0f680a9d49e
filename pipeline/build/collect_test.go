package build

import (
	"context"
	"errors"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/acts"
	"github.com/ifprobe/ifprobe/pkg/compute"
	"github.com/ifprobe/ifprobe/pkg/dataset"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/lm"
	"github.com/ifprobe/ifprobe/pkg/registry/registrytest"
)

// A tiny real build with the default model: every item answered, verified and
// stored at every layer and position; a second Build resumes and does nothing.
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
		MaxTokens: 12, Batch: 4}
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
	a, err := s.Get(hook.ResidPost(29), hook.EOS)
	if err != nil || a.N != 4 || a.D != 576 {
		t.Fatalf("get: %v", err)
	}
	st2, err := Build(context.Background(), m, dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if st2.Generated != 0 || st2.Done != 4 {
		t.Fatalf("resume regenerated: %+v", st2)
	}
	cfg.MaxTokens = 20 // other settings: resuming would mix two datasets
	if _, err := Build(context.Background(), m, dir, cfg); !errors.Is(err, ErrConfigChanged) {
		t.Fatalf("resume with other settings: %v, want ErrConfigChanged", err)
	}
}
