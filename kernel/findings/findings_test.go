package findings

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ifprobe/ifprobe/analyses/layers"
	"github.com/ifprobe/ifprobe/kernel/nb"
	"github.com/ifprobe/ifprobe/pipeline"
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

// writeResult makes dir/<analysis>/result.json; Locate only looks for the file.
func writeResult(t *testing.T, dir, analysis string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, analysis), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, analysis, "result.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// noModel makes the model look not installed: an empty IFPROBE_HOME.
func noModel(t *testing.T) {
	t.Setenv(registry.EnvHome, t.TempDir())
}

func TestDefaultPolicy(t *testing.T) {
	cache := t.TempDir()
	t.Setenv(nb.EnvCacheDir, cache)
	for i, c := range []struct {
		root, profile, ci string
		want              Policy
	}{
		{"/ck", "", "", Policy{Model: DefaultModel, Saved: "/ck/runs/quick", Profile: "quick", Out: "/ck/runs/quick",
			Planted: filepath.Join(cache, "planted-study-v3")}}, // 0: the kernel sets IFPROBE_ROOT
		{"", "", "", Policy{Model: DefaultModel, Saved: filepath.Join(cache, "reproduce-quick"), Profile: "quick",
			Out: filepath.Join(cache, "reproduce-quick"), Planted: filepath.Join(cache, "planted-study-v3")}}, // 1
		{"/ck", "ci", "true", Policy{Model: DefaultModel, Saved: "/ck/runs/quick", Profile: "ci",
			Out: filepath.Join(cache, "reproduce-ci"), Planted: filepath.Join(cache, "planted-study-v3"), Strict: true}}, // 2: tests
	} {
		t.Setenv("IFPROBE_ROOT", c.root)
		t.Setenv(nb.EnvProfile, c.profile)
		t.Setenv("CI", c.ci)
		if got := DefaultPolicy(); got != c.want {
			t.Errorf("%d: DefaultPolicy() = %+v, want %+v", i, got, c.want)
		}
	}
}

// Saved results come first, with the profile their report names; then what an
// earlier notebook reproduced; then a planted study an earlier notebook computed.
// None of these runs anything.
func TestLocateOrder(t *testing.T) {
	noModel(t) // a look-up that tried to reproduce would fail
	base := t.TempDir()
	p := Policy{Model: "m", Saved: filepath.Join(base, "saved"), Profile: "ci", Out: filepath.Join(base, "out"),
		Planted: filepath.Join(base, "planted"), Strict: true}
	writeResult(t, filepath.Join(p.Saved, "m"), "specialist")
	writeResult(t, filepath.Join(p.Out, "m"), "specialist")
	writeResult(t, filepath.Join(p.Out, "m"), "transfer")
	writeResult(t, p.Planted, "specialist")
	writeResult(t, p.Planted, "transfer")
	writeResult(t, p.Planted, "layers")
	if err := os.WriteFile(filepath.Join(p.Saved, "report.json"), []byte(`{"config":{"profile":{"name":"paper"}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i, c := range []struct {
		analysis string
		want     Location
	}{
		{"specialist", Location{filepath.Join(p.Saved, "m"), "paper"}}, // 0
		{"transfer", Location{filepath.Join(p.Out, "m"), "ci"}},        // 1
		{"layers", Location{p.Planted, pipeline.PlantedProfile}},       // 2
	} {
		out := captureStdout(t, func() {
			got, err := p.Locate(ctx, c.analysis)
			if err != nil || got != c.want {
				t.Errorf("%d: Locate(%s) = %+v, %v, want %+v", i, c.analysis, got, err, c.want)
			}
		})
		if out != "" {
			t.Errorf("%d: Locate(%s) printed %q for a saved result", i, c.analysis, out)
		}
	}
	// A saved run without report.json (stopped before writing it) is a quick run.
	if err := os.Remove(filepath.Join(p.Saved, "report.json")); err != nil {
		t.Fatal(err)
	}
	if got, err := p.Locate(ctx, "specialist"); err != nil || got.Profile != "quick" {
		t.Errorf("without report.json: Locate = %+v, %v, want profile quick", got, err)
	}
}

// Nothing saved and no model: under Strict (CI=true) an error that says so; with
// no planted directory an error too.
func TestLocateStrict(t *testing.T) {
	noModel(t)
	base := t.TempDir()
	p := Policy{Model: DefaultModel, Saved: filepath.Join(base, "saved"), Profile: "ci", Out: filepath.Join(base, "out"),
		Planted: filepath.Join(base, "planted"), Strict: true}
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
// planted study once, and every later look-up reads it without a word. Setup, Load
// and the Show functions then work on it as on a reproduction.
func TestFallbackToPlanted(t *testing.T) {
	noModel(t)
	cache := t.TempDir()
	t.Setenv(nb.EnvCacheDir, cache)
	t.Setenv("IFPROBE_ROOT", t.TempDir())
	t.Setenv(nb.EnvProfile, "ci")
	t.Setenv("CI", "")
	t.Setenv(nb.EnvOut, "")
	var loc Location
	var err error
	out := captureStdout(t, func() { loc, err = Locate("layers") })
	if err != nil {
		t.Fatal(err)
	}
	if want := (Location{filepath.Join(cache, "planted-study-v3"), pipeline.PlantedProfile}); loc != want || !loc.Planted() {
		t.Errorf("Locate = %+v, want %+v", loc, want)
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
	if want := "results: " + loc.Dir + "\nprofile: planted\n**planted study**: synthetic states"; !strings.HasPrefix(out, want) {
		t.Errorf("Setup printed\n%s\nwant it to start with\n%s", out, want)
	}
	var r layers.Result
	out = captureStdout(t, func() {
		got, err := Load("layers", &r)
		if err != nil || got != loc {
			t.Fatalf("Load = %+v, %v, want %+v", got, err, loc)
		}
		if err := ShowFigures(&r); err != nil {
			t.Error(err)
		}
		if err := ShowTable(&r); err != nil {
			t.Error(err)
		}
	})
	if r.Model != "planted" || len(r.Tasks) != 9 {
		t.Errorf("loaded the layers result of %q with %d tasks, want the planted study's 9", r.Model, len(r.Tasks))
	}
	if !strings.Contains(out, "not in a notebook") || !strings.Contains(out, "lowercase") {
		t.Errorf("ShowFigures/ShowTable printed no figure line or no table:\n%s", out)
	}
}

// A study that is missing its result file is an error naming the file, not a panic.
func TestLoadMissingResult(t *testing.T) {
	base := t.TempDir()
	t.Setenv(nb.EnvCacheDir, t.TempDir())
	t.Setenv("IFPROBE_ROOT", base)
	saved := filepath.Join(base, "runs", "quick", DefaultModel)
	writeResult(t, saved, "layers")
	var r layers.Result
	if err := os.WriteFile(filepath.Join(saved, "layers", "result.json"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load("layers", &r); err == nil || !strings.Contains(err.Error(), filepath.Join(saved, "layers", "result.json")) {
		t.Errorf("Load of a corrupt result.json: %v, want an error naming the file", err)
	}
}

// A misspelt analysis is an error at once: it must not start a reproduction.
func TestLocateUnknownAnalysis(t *testing.T) {
	base := t.TempDir()
	p := Policy{Model: DefaultModel, Profile: "ci", Out: base, Planted: filepath.Join(base, "planted")}
	_, err := p.Locate(context.Background(), "layer")
	if err == nil || !strings.Contains(err.Error(), `unknown analysis "layer"`) || !strings.Contains(err.Error(), "layers") {
		t.Errorf("Locate(layer) = %v, want an error listing the valid names", err)
	}
	if entries, _ := os.ReadDir(base); len(entries) != 0 {
		t.Errorf("Locate(layer) wrote %d entries into %s", len(entries), base)
	}
}
