package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/pkg/compute"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/registry/registrytest"
)

// The whole pipeline on the real default model at a tiny size: every stage runs,
// every finding has a verdict (inconclusive at this size), the report has its
// figures, and a rerun resumes from disk without regenerating anything.
func TestReproduceTinyRealModel(t *testing.T) {
	registrytest.Model(t, "smollm2-135m-instruct")
	b, _, err := compute.Open("")
	if err != nil {
		t.Fatal(err)
	}
	p := Profiles["ci"]
	p.Tasks = []string{"word_limit", "forbidden_word", "sentiment", "topic"}
	p.PerTask, p.MaxTokens, p.BehaviourPrompts = 10, 12, 2
	out := t.TempDir()
	cfg := Config{Models: []string{"smollm2-135m-instruct"}, Profile: p, Out: out, Seed: 3, Backend: b}
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := rep.Models[0]
	for _, a := range analyses.All() {
		v, ok := m.Verdicts[a.Name()]
		if !ok { // a run too small to tell is inconclusive, never "not computed"
			t.Errorf("%s not computed: %s", a.Name(), m.Errors[a.Name()])
		}
		if ok && (!slices.Contains(analyses.Statuses, v.Status) || !strings.HasPrefix(v.Text, "Paper:") || v.Primary.N == 0) {
			t.Errorf("%s: verdict %+v", a.Name(), v)
		}
	}
	html, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(html), "data:image/png;base64,"); n < len(m.Results) {
		t.Errorf("report.html embeds %d figures for %d computed findings", n, len(m.Results))
	}
	if _, err := os.Stat(filepath.Join(out, "report.md")); err != nil {
		t.Error(err)
	}
	if _, err := probeset.LoadGrid(filepath.Join(out, m.Dir, "grid.json")); err != nil {
		t.Error(err)
	}
	// Baselines: one grid per kind beside grid.json, a comparison row per task
	// at each shown position, and the report's section; no controls in this
	// profile, and the report says so.
	for _, k := range probeset.BaselineKinds {
		if _, err := probeset.LoadGrid(BaselineGridPath(filepath.Join(out, m.Dir), k)); err != nil {
			t.Error(err)
		}
	}
	if m.Baselines == nil || len(m.Baselines.Rows) == 0 || m.Controls != nil || m.ControlsNote == "" {
		t.Errorf("baselines %v, controls %v (%q)", m.Baselines, m.Controls, m.ControlsNote)
	}
	md, _ := os.ReadFile(filepath.Join(out, "report.md"))
	for _, want := range []string{"## Baselines", "margin over text", "## Uninstructed controls", "truncated"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	rep2, err := Run(context.Background(), cfg) // resumes: nothing to generate
	if err != nil {
		t.Fatal(err)
	}
	if rep2.Models[0].Timings["dataset"] > rep.Models[0].Timings["dataset"] {
		t.Logf("dataset stage took longer on resume (%.1fs vs %.1fs)", rep2.Models[0].Timings["dataset"], rep.Models[0].Timings["dataset"])
	}
	for an, v := range m.Verdicts {
		if again := rep2.Models[0].Verdicts[an]; again.Text != v.Text || again.Status != v.Status {
			t.Errorf("%s: verdict changed on resume:\n%s\n%s", an, v.Text, again.Text)
		}
	}
}
