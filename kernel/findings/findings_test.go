package findings

import (
	"context"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/analyses/layers"
	"github.com/ifprobe/ifprobe/internal/testfiles"
	"github.com/ifprobe/ifprobe/kernel/nb"
	"github.com/ifprobe/ifprobe/pipeline"
	"github.com/ifprobe/ifprobe/pkg/planted"
	"github.com/ifprobe/ifprobe/pkg/registry"
)

// captureStdout returns what fn printed on standard output (where kernel/nb prints
// Markdown outside a notebook).
func captureStdout(t *testing.T, fn func()) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "stdout")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	old := os.Stdout
	os.Stdout = f
	defer func() { os.Stdout = old }()
	fn()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// noModel makes the models look not installed: an empty IFPROBE_HOME.
func noModel(t *testing.T) {
	t.Setenv(registry.EnvHome, t.TempDir())
}

// smallStudy is the paper's planted study cut to four tasks, one of each kind
// and lowercase (which reads word_limit's direction), 64 examples each.
func smallStudy(name string, seed uint64) planted.Config {
	c := planted.PaperConfig().WithTasks("word_limit", "lowercase", "forbidden_word", "sentiment")
	c.Name, c.Seed, c.N = name, seed, 64
	return c
}

// fixture is a planted run of two models, alpha and beta (pipeline.PlantedRun),
// computed once for the package's tests, which must not change it (copyRun).
var fixture struct {
	once sync.Once
	dir  string
	err  error
}

func twoModelRun(t *testing.T) string {
	t.Helper()
	fixture.once.Do(func() {
		if fixture.dir, fixture.err = os.MkdirTemp("", "findings-run"); fixture.err != nil {
			return
		}
		_, fixture.err = pipeline.PlantedRun(context.Background(), fixture.dir,
			[]planted.Config{smallStudy("alpha", 1), smallStudy("beta", 2)})
	})
	if fixture.err != nil {
		t.Fatal(fixture.err)
	}
	return fixture.dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixture.dir != "" {
		os.RemoveAll(fixture.dir)
	}
	os.Exit(code)
}

// copyRun copies the fixture run into a fresh directory the test may change.
func copyRun(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "run")
	if err := os.CopyFS(dst, os.DirFS(twoModelRun(t))); err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestDefaultPolicy(t *testing.T) {
	cache := t.TempDir()
	t.Setenv(nb.EnvCacheDir, cache)
	planted := filepath.Join(cache, "planted-study-v3")
	for i, c := range []struct {
		root, profile, ci, run, models string
		want                           Policy
	}{
		{"/ck", "", "", "", "", Policy{Profile: "quick", Out: "/ck/runs/quick", Planted: planted}},                                                                         // 0: the kernel sets IFPROBE_ROOT
		{"", "full", "", "", "", Policy{Profile: "quick", Out: filepath.Join(cache, "reproduce-quick-"+path.Base(pipeline.ReportVersion)), Planted: planted}},              // 1
		{"/ck", "ci", "true", "", "", Policy{Profile: "ci", Out: filepath.Join(cache, "reproduce-ci-"+path.Base(pipeline.ReportVersion)), Planted: planted, Strict: true}}, // 2: tests
		{"/ck", "paper", "", "runs/two", " a, b ,", Policy{Run: "/ck/runs/two", Models: []string{"a", "b"}, Profile: "paper",
			Out: "/ck/runs/paper", Planted: planted}}, // 3: a run and its models chosen
		{"/ck", "", "", "/abs/run/", "", Policy{Run: "/abs/run", Profile: "quick", Out: "/ck/runs/quick", Planted: planted}}, // 4
	} {
		t.Setenv("IFPROBE_ROOT", c.root)
		t.Setenv(nb.EnvProfile, c.profile)
		t.Setenv("CI", c.ci)
		t.Setenv(EnvRun, c.run)
		t.Setenv(EnvModels, c.models)
		if got := DefaultPolicy(); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%d: DefaultPolicy() = %+v, want %+v", i, got, c.want)
		}
	}
}

// A run of two models: both are shown, with their report entries; IFPROBE_MODELS
// narrows them; a model the run lacks says so; the verdict table has a row per
// model and the cross-model row comes from report.json. Nothing is reproduced.
func TestLocateRun(t *testing.T) {
	noModel(t)
	run := twoModelRun(t)
	ctx := context.Background()
	s, err := Policy{Run: run}.Locate(ctx, "transfer")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Models) != 2 || s.Models[0].Name != "alpha" || s.Models[1].Name != "beta" || !s.Complete() || s.Profile != pipeline.PlantedProfile {
		t.Fatalf("study %+v", s)
	}
	if s.Models[1].Run == nil || s.Models[1].Dir != filepath.Join(run, "beta") {
		t.Errorf("beta: report entry %v, dir %s", s.Models[1].Run, s.Models[1].Dir)
	}
	for _, want := range []string{"`alpha`, `beta`", "once per model"} {
		if about := s.About(); !strings.Contains(about, want) {
			t.Errorf("About lacks %q: %s", want, about)
		}
	}
	rows, err := VerdictRows(s)
	if err != nil || len(rows) != 3 || rows[1][0] != "alpha" || rows[2][0] != "beta" {
		t.Errorf("verdict rows %v, %v", rows, err)
	}
	if cm := CrossModelRows(s); len(cm) != 2 || cm[1][0] != "transfer" || !strings.Contains(cm[1][1], "alpha") {
		t.Errorf("cross-model rows %v", cm)
	}

	s, err = Policy{Run: run, Models: []string{"beta", "gamma"}}.Locate(ctx, "layers")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Models) != 2 || s.Models[0].Missing != "" || s.Models[1].Missing != "not in this run" || s.Complete() {
		t.Errorf("beta and gamma: %+v", s.Models)
	}
	if _, err := s.Model("gamma"); err == nil || !strings.Contains(err.Error(), "not in this run") {
		t.Errorf(`Model("gamma") = %v`, err)
	}
	var r layers.Result
	if m, err := s.Model(""); err != nil || m.Load(&r) != nil || r.Model != "beta" {
		t.Errorf(`Model("") = %+v, %v; loaded %q`, m, err, r.Model)
	}

	_, err = Policy{Run: run, Models: []string{"gamma"}}.Locate(ctx, "layers")
	if err == nil || !strings.Contains(err.Error(), "gamma: not in this run") || !strings.Contains(err.Error(), EnvRun) {
		t.Errorf("a run without the model: %v", err)
	}
	_, err = Policy{Run: filepath.Join(run, "nowhere")}.Locate(ctx, "layers")
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "ifprobe reproduce --out") {
		t.Errorf("a run that does not exist: %v", err)
	}
}

// Without a chosen run: the reproduction's output when every model has the
// finding there, else the planted study an earlier notebook computed. A result
// written by older code (another result version) counts as absent, and so does
// an error recorded in a report of another pipeline.ReportVersion: the study is
// reproduced (here it cannot be: no model, and under Strict that is an error).
func TestLocateStale(t *testing.T) {
	noModel(t)
	out := copyRun(t)
	ctx := context.Background()
	p := Policy{Profile: "ci", Out: out, Planted: filepath.Join(t.TempDir(), "planted"), Strict: true}
	s, err := p.Locate(ctx, "specialist")
	if err != nil || s.Dir != out || len(s.Models) != 2 {
		t.Fatalf("Locate = %+v, %v, want the two models of %s", s, err, out)
	}
	// A run that stopped before writing its report is resumed, not shown without its summary.
	report := filepath.Join(out, pipeline.ReportFile)
	if err := os.Rename(report, report+".away"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Locate(ctx, "specialist"); err == nil || !strings.Contains(err.Error(), "could not be reproduced") {
		t.Errorf("a run without report.json: Locate = %v, want a reproduction", err)
	}
	if err := os.Rename(report+".away", report); err != nil {
		t.Fatal(err)
	}
	testfiles.EditJSON(t, filepath.Join(out, "beta", "specialist", analyses.ResultFile), func(m map[string]any) {
		m["version"] = "ifprobe.result/v1"
	})
	_, err = p.Locate(ctx, "specialist")
	// alpha and beta are planted models, which no registry knows: the reproduction fails at once.
	if !errors.Is(err, registry.ErrUnknown) || !strings.Contains(err.Error(), "CI=true") {
		t.Errorf("with beta's result from older code: %v, want a reproduction that fails for want of the model", err)
	}
	s, err = openRun(out, nil, "ci", "specialist")
	if err != nil || !strings.Contains(s.Models[1].Missing, `version "ifprobe.result/v1"`) || len(s.Available()) != 1 {
		t.Errorf("beta's stale result: %+v, %v", s.Models, err)
	}
	// beta's run recorded why it could not compute the finding: settled, so what
	// alpha has is shown without a reproduction; unless older code recorded it.
	if err := os.RemoveAll(filepath.Join(out, "beta", "specialist")); err != nil {
		t.Fatal(err)
	}
	setReport := func(version string) {
		testfiles.EditJSON(t, filepath.Join(out, pipeline.ReportFile), func(m map[string]any) {
			m["models"].([]any)[1].(map[string]any)["errors"] = map[string]any{"specialist": "too few examples"}
			m["versions"].(map[string]any)["report"] = version
		})
	}
	setReport(pipeline.ReportVersion)
	if s, err := p.Locate(ctx, "specialist"); err != nil || len(s.Available()) != 1 || !strings.Contains(s.Models[1].Missing, "too few examples") {
		t.Errorf("an error recorded by this code: Locate = %+v, %v, want alpha's result and beta's error", s, err)
	}
	if s, err := openRun(out, nil, "ci", "specialist"); err != nil || strings.Contains(s.About(), "older code") {
		t.Errorf("a report of this code: About says %q (%v)", s.About(), err)
	}
	setReport("ifprobe.report/v1")
	if _, err := p.Locate(ctx, "specialist"); !errors.Is(err, registry.ErrUnknown) {
		t.Errorf("an error recorded by older code: Locate = %v, want a reproduction", err)
	}
	// A run named by the user is shown as it is, with a warning when older code wrote it.
	if s, err := openRun(out, nil, "ci", "specialist"); err != nil || !strings.Contains(s.About(), `**Written by older code of ifprobe** (report version "ifprobe.report/v1"`) {
		t.Errorf("a report of older code: About says %q (%v)", s.About(), err)
	}
	// An earlier notebook's planted study is read only when nothing of the run is.
	p.Planted = filepath.Join(out, "alpha")
	if s, err := p.Locate(ctx, "specialist"); err == nil {
		t.Errorf("with alpha's result at hand, Locate fell back to %s", s.Dir)
	}
	p.Out = filepath.Join(t.TempDir(), "empty")
	if s, err := p.Locate(ctx, "specialist"); err != nil || !s.Planted() || len(s.Models) != 1 {
		t.Errorf("nothing reproduced: Locate = %+v, %v, want the planted study", s, err)
	}
	if _, err := (Policy{Profile: "huge", Out: out}).Locate(ctx, "specialist"); err == nil || !strings.Contains(err.Error(), "IFPROBE_PROFILE=huge") {
		t.Errorf("an unknown profile: %v", err)
	}
}

// Nothing saved and no model: under Strict (CI=true) an error that says so; with
// no planted directory an error too.
func TestLocateStrict(t *testing.T) {
	noModel(t)
	base := t.TempDir()
	p := Policy{Profile: "ci", Out: filepath.Join(base, "out"), Planted: filepath.Join(base, "planted"), Strict: true}
	_, err := p.Locate(context.Background(), "layers")
	if !errors.Is(err, registry.ErrNotInstalled) || !strings.Contains(err.Error(), "CI=true and the study of "+DefaultModel+" could not be reproduced") {
		t.Errorf("Strict: Locate = %v, want a CI=true error wrapping registry.ErrNotInstalled", err)
	}
	if _, err := os.Stat(p.Planted); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Strict: the planted study was written (%v)", err)
	}
	p.Strict, p.Planted = false, ""
	if _, err := p.Locate(context.Background(), "layers"); !errors.Is(err, registry.ErrNotInstalled) {
		t.Errorf("no planted directory: Locate = %v, want an error wrapping registry.ErrNotInstalled", err)
	}
}

// Nothing saved and no model, outside CI: the notebook says why, computes the
// planted study once, and every later look-up reads it without a word. Setup, the
// Show functions and the notes then work on it as on a reproduction.
func TestFallbackToPlanted(t *testing.T) {
	noModel(t)
	cache := t.TempDir()
	t.Setenv(nb.EnvCacheDir, cache)
	t.Setenv("IFPROBE_ROOT", t.TempDir())
	t.Setenv(nb.EnvProfile, "ci")
	t.Setenv("CI", "")
	t.Setenv(EnvRun, "")
	t.Setenv(EnvModels, "")
	t.Setenv(nb.EnvOut, "")
	var s *Study
	var err error
	out := captureStdout(t, func() { s, err = Open("layers") })
	if err != nil {
		t.Fatal(err)
	}
	if s.Dir != filepath.Join(cache, "planted-study-v3") || !s.Planted() || len(s.Models) != 1 {
		t.Errorf("Open = %+v, want the planted study", s)
	}
	for _, want := range []string{"**The study of `" + DefaultModel + "` could not be reproduced here:**", "not installed", "So this notebook shows the **planted study** instead"} {
		if !strings.Contains(out, want) {
			t.Errorf("the reader was not told %q:\n%s", want, out)
		}
	}
	out = captureStdout(t, func() {
		if err := Setup("temporal"); err != nil {
			t.Error(err)
		}
	})
	for _, want := range []string{"results: " + s.Dir + "\nprofile: planted\n**planted study**: synthetic states",
		"**planted:** 9 of 9 tasks probed. Truncated responses: not recorded"} {
		if !strings.Contains(out, want) {
			t.Errorf("Setup printed\n%s\nwant it to hold\n%s", out, want)
		}
	}
	if !hasRow(out, "word_limit", "structural", "120") {
		t.Errorf("Setup printed no pass-rate row of word_limit:\n%s", out)
	}
	out = captureStdout(t, func() {
		for _, show := range []func(string) error{Figures, Tables, Verdicts, Baselines} {
			if err := show("layers"); err != nil {
				t.Error(err)
			}
		}
	})
	for _, want := range []string{"not in a notebook", "All 9 tasks probed are decodable",
		"the planted study has no text and no instruction"} {
		if !strings.Contains(out, want) {
			t.Errorf("Figures, Tables, Verdicts and Baselines printed no %q:\n%s", want, out)
		}
	}
	if !hasRow(out, "lowercase", "structural") || !hasRow(out, "planted", "holds") {
		t.Errorf("Tables and Verdicts printed no row of lowercase or of the planted verdict:\n%s", out)
	}
}

// hasRow reports whether a line of out, a table as kernel/nb prints it outside a
// notebook (aligned columns), starts with the cells given.
func hasRow(out string, cells ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= len(cells) && slices.Equal(f[:len(cells)], cells) {
			return true
		}
	}
	return false
}

// A study that is missing its result file is an error naming the file, not a panic.
func TestLoadCorruptResult(t *testing.T) {
	noModel(t)
	run := copyRun(t)
	t.Setenv(EnvRun, run)
	t.Setenv(EnvModels, "")
	path := filepath.Join(run, "alpha", "layers", analyses.ResultFile)
	if err := os.WriteFile(path, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	var r layers.Result
	if _, err := LoadModel("layers", "alpha", &r); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Load of a corrupt result.json: %v, want an error naming the file", err)
	}
}

// A misspelt analysis is an error at once: it must not start a reproduction.
func TestLocateUnknownAnalysis(t *testing.T) {
	base := t.TempDir()
	p := Policy{Profile: "ci", Out: base, Planted: filepath.Join(base, "planted")}
	_, err := p.Locate(context.Background(), "layer")
	if err == nil || !strings.Contains(err.Error(), `unknown analysis "layer"`) || !strings.Contains(err.Error(), "layers") {
		t.Errorf("Locate(layer) = %v, want an error listing the valid names", err)
	}
	if entries, _ := os.ReadDir(base); len(entries) != 0 {
		t.Errorf("Locate(layer) wrote %d entries into %s", len(entries), base)
	}
}

// LoadModel reads the model asked for, or the first that has the finding, and
// says which when the study has several; a model the study lacks is an error
// naming the models it has.
func TestLoadModel(t *testing.T) {
	noModel(t)
	t.Setenv(EnvRun, twoModelRun(t))
	t.Setenv(EnvModels, "")
	var r layers.Result
	var m Model
	var err error
	out := captureStdout(t, func() { m, err = LoadModel("layers", "beta", &r) })
	if err != nil || m.Name != "beta" || r.Model != "beta" || m.Dir != filepath.Join(twoModelRun(t), "beta") || !m.Planted() {
		t.Errorf("LoadModel(beta) = %+v, %v; loaded %q", m, err, r.Model)
	}
	if !strings.Contains(out, "model: beta (also in this study: alpha; set model to look at another)") {
		t.Errorf("LoadModel printed %q", out)
	}
	if m, err := LoadModel("layers", "", &r); err != nil || m.Name != "alpha" || r.Model != "alpha" {
		t.Errorf(`LoadModel("") = %+v, %v`, m, err)
	}
	if _, err := LoadModel("layers", "gamma", &r); err == nil || !strings.Contains(err.Error(), "alpha, beta") {
		t.Errorf("LoadModel(gamma) = %v, want an error listing alpha and beta", err)
	}
}
