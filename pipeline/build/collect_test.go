package build

import (
	"context"
	"errors"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/acts"
	"github.com/ifprobe/ifprobe/pkg/capture"
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
	cfg.MaxTokens = 20 // other settings: resuming would mix two datasets
	if _, err := Build(context.Background(), m, dir, cfg); !errors.Is(err, ErrConfigChanged) {
		t.Fatalf("resume with other settings: %v, want ErrConfigChanged", err)
	}
}
