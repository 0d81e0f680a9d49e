package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/calibrate"
	"github.com/ifprobe/ifprobe/pkg/compute"
	"github.com/ifprobe/ifprobe/pkg/dataset"
	"github.com/ifprobe/ifprobe/pkg/lm"
	"github.com/ifprobe/ifprobe/pkg/registry/registrytest"
	"github.com/ifprobe/ifprobe/pkg/tasks"
)

// A tiny pilot on the real default model: answers of at most 12 tokens always
// meet a 240-word limit, the chosen domain reaches the plan (hence the build
// stamp), and a second run, with another batch size (a resume with --batch),
// reads the pilot from disk without the model.
func TestCalibrateTinyRealModel(t *testing.T) {
	m := defaultModel(t)
	p := Profiles["ci"]
	p.Tasks, p.MaxTokens, p.Batch = []string{"word_limit", "sentiment"}, 12, 6
	p.Calibrate, p.Pilot = true, calibrate.Settings{Points: 3, PerValue: 2, Window: 2}
	cfg := Config{Profile: p, Out: t.TempDir(), Seed: 3}
	plan, err := p.plan(cfg.Seed)
	if err != nil {
		t.Fatal(err)
	}
	mr := &ModelRun{Timings: map[string]float64{}}
	if err := cfg.calibrate(context.Background(), m, &plan, mr); err != nil {
		t.Fatal(err)
	}
	c := mr.Calibration
	if c == nil || len(c.Knobs) != 1 || c.Items != 6 || len(c.Categorical) != 1 {
		t.Fatalf("calibration %+v", c)
	}
	k := c.Knobs[0]
	if k.Grid[2] != 240 || k.Pass[2] != k.N[2] {
		t.Errorf("12-token answers under a 240-word limit: %d of %d passed (grid %v)", k.Pass[2], k.N[2], k.Grid)
	}
	if got := plan.Space["word_limit"]["n"]; got.Min != k.Chosen.Min || got.Max != k.Chosen.Max {
		t.Errorf("plan's word_limit.n %+v, chosen %+v", got, k.Chosen)
	}
	if _, err := os.Stat(filepath.Join(cfg.Out, m.Name, CalibrationFile)); err != nil {
		t.Error(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the model must not be asked again
	cfg.Profile.Batch = 4
	again := &ModelRun{Timings: map[string]float64{}}
	plan2, _ := p.plan(cfg.Seed)
	if err := cfg.calibrate(ctx, m, &plan2, again); err != nil {
		t.Fatalf("rerun: %v", err)
	}
	if again.Calibration.Specs()[0] != c.Specs()[0] {
		t.Errorf("rerun chose %v, first run %v", again.Calibration.Specs(), c.Specs())
	}
}

// The report shows the pilot, the fit's direction, the domain before and
// after, the dataset's pass rate, and the knobs left alone.
func TestCalibrationSection(t *testing.T) {
	k := calibrate.Knob{Task: "word_limit", Param: "n", Grid: []int{5, 26, 240}, N: []int{4, 4, 4}, Pass: []int{0, 2, 4},
		Fit:  calibrate.Curve{X: []int{5, 26, 240}, Rate: []float64{0, 0.5, 1}, Increasing: true},
		Base: tasks.Domain{Min: 10, Max: 35}, BaseRate: 0.3, Chosen: tasks.Domain{Min: 5, Max: 240}, ChosenRate: 0.52, Changed: true}
	flat := calibrate.Knob{Task: "bullet_count", Param: "n", Grid: []int{1, 14}, N: []int{4, 4}, Pass: []int{0, 0},
		Fit: calibrate.Curve{X: []int{1, 14}, Rate: []float64{0, 0}, Increasing: true}, Base: tasks.Domain{Min: 2, Max: 7}}
	r := &Report{Config: Config{Profile: Profiles["quick"]}, Models: []*ModelRun{{Model: "m", Timings: map[string]float64{"calibration": 41},
		Summary:     []dataset.Summary{{Task: "word_limit", N: 40, PassRate: 0.45}},
		Calibration: &calibrate.Result{Knobs: []calibrate.Knob{k, flat}, Categorical: []string{"topic.topic"}, Items: 20, Settings: calibrate.Settings{PerValue: 4}}}}}
	md := r.document(t.TempDir(), "").markdown()
	for _, want := range []string{"## Difficulty calibration", "| `word_limit.n` | 5: 0/4, 26: 2/4, 240: 4/4 | rising | 10–35 (0.30) | 5–240 (0.52) | 0.45 (n = 40) |",
		"| `bullet_count.n` | 1: 0/4, 14: 0/4 | rising | 2–7 (0.00) | kept: no range nearer the target |", "20 items in all", "`topic.topic`"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	r.Config.Profile = Profiles["ci"]
	if md := r.document(t.TempDir(), "").markdown(); strings.Contains(md, "Difficulty calibration") {
		t.Error("a profile without calibration shows the section")
	}
}

// defaultModel loads the installed default model on the default backend
// (skipped with an install hint when it is missing, failed under CI).
func defaultModel(t *testing.T) *lm.LM {
	t.Helper()
	registrytest.Model(t, DefaultModel)
	b, _, err := compute.Open("")
	if err != nil {
		t.Fatal(err)
	}
	m, err := lm.Load(DefaultModel, lm.Options{Backend: b})
	if err != nil {
		t.Fatal(err)
	}
	return m
}
