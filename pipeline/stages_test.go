package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/internal/faultinject"
	"github.com/ifprobe/ifprobe/pipeline/stage"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/planted"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/stats"
)

// layersInputs are the inputs of the layers finding on a small planted study.
func layersInputs(t *testing.T) (analyses.Analysis, analyses.Inputs) {
	t.Helper()
	cfg := planted.PaperConfig()
	cfg.N = 80
	study, err := planted.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	bp := stats.BootstrapParams{Reps: 20, Seed: 1}
	cv := probe.CVParams{Probe: probe.DefaultParams(), Folds: 2, Bootstrap: bp}
	grid, err := probeset.EvaluateGrid(context.Background(), study, probeset.GridConfig{CV: cv, Positions: []hook.Position{hook.EOS}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := analyses.Get("layers")
	if err != nil {
		t.Fatal(err)
	}
	return a, analyses.Inputs{Source: study, Grid: grid, Position: hook.EOS, CV: cv, Bootstrap: bp, Seed: 1}
}

// readAll returns every file under dir but the completion records.
func readAll(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Base(filepath.Dir(p)) == stage.RecordDir {
			return err
		}
		b, _ := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = string(b)
		return nil
	})
	return out
}

// TestAnalysisStageNeedsEveryFile: an analysis whose figures were lost (a full disk
// while saving, then the disk enlarged; or a file deleted) is not taken as done on
// the rerun: it is saved again, whole, with the bytes of an undisturbed run. (It
// used to count as done as soon as result.json existed: 8 files of a real run were
// never written and the report linked to missing figures.)
func TestAnalysisStageNeedsEveryFile(t *testing.T) {
	defer faultinject.Arm(faultinject.Off, 0)
	a, in := layersInputs(t)
	ctx := context.Background()
	ref := t.TempDir()
	_, fresh, err := runAnalysis(ctx, a, ref, "k", in)
	if err != nil || len(fresh) < 5 {
		t.Fatalf("undisturbed: files %v, %v", fresh, err)
	}
	want := readAll(t, ref)

	dir := t.TempDir()
	text := int64(len(want[filepath.Join(a.Name(), analyses.ResultFile)]) + len(want[filepath.Join(a.Name(), analyses.TableFile)]) +
		len(want[filepath.Join(a.Name(), analyses.VerdictFile)]))
	faultinject.Arm(faultinject.NoSpace, text+500) // the disk fills inside the first figure
	_, _, err = runAnalysis(ctx, a, dir, "k", in)
	var we *writeError
	if !errors.As(err, &we) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("saving on a full disk: %v, want a writeError with ENOSPC", err)
	}
	faultinject.Arm(faultinject.Off, 0)
	if _, err := os.Stat(filepath.Join(dir, a.Name(), analyses.ResultFile)); err != nil {
		t.Fatalf("the test needs result.json written before the disk filled: %v", err)
	}
	if _, files, err := runAnalysis(ctx, a, dir, "k", in); err != nil || len(files) != len(want) {
		t.Fatalf("rerun: %d files, %v; want %d", len(files), err, len(want))
	}
	got := readAll(t, dir)
	for f, b := range want {
		if got[f] != b {
			t.Errorf("%s: missing or different after the rerun", f)
		}
	}
	// A figure deleted later: the stage is incomplete again, and the rerun puts it back.
	figs, _ := filepath.Glob(filepath.Join(dir, a.Name(), analyses.FiguresDir, "*.png"))
	os.Remove(figs[0])
	if ok, missing, _ := stage.Done(dir, a.Name(), "k"); ok || len(missing) != 1 {
		t.Errorf("after deleting %s: done %v, missing %v", figs[0], ok, missing)
	}
	runAnalysis(ctx, a, dir, "k", in)
	if _, err := os.Stat(figs[0]); err != nil {
		t.Errorf("rerun did not restore %s", figs[0])
	}
	// Done and unchanged: loaded, with the files of its record, in the order the
	// analysis saved them (the report shows the figures in that order; a loaded
	// stage used to list them sorted, so a rerun's report differed).
	_, files, err := runAnalysis(ctx, a, dir, "k", in)
	rec, _ := stage.Read(dir, a.Name())
	if err != nil || !slices.Equal(files, recordedFiles(rec, a.Name())) || !slices.Equal(files, fresh) {
		t.Errorf("complete stage: files %v, %v; want %v", files, err, fresh)
	}
}

// TestGridStageFollowsItsInputs: a saved grid (the probe grid or a baseline's) is
// loaded only for the inputs its record names. Computed from other inputs (another
// dataset, so another manifest sum in the key) it is evaluated again; a damaged
// grid file is evaluated again. (Baseline grids used to be loaded whenever their
// file existed.)
func TestGridStageFollowsItsInputs(t *testing.T) {
	_, in := layersInputs(t)
	ctx := context.Background()
	dir := t.TempDir()
	gc := probeset.GridConfig{CV: in.CV, Positions: []hook.Position{hook.EOS}}
	g, err := stagedGrid(ctx, dir, "baseline-text", "a", in.Source, gc)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(filepath.Join(dir, "baseline-text.json"))
	other := probeset.PermuteLabels(in.Source, 7) // other inputs, under another key
	g2, err := stagedGrid(ctx, dir, "baseline-text", "b", other, gc)
	if err != nil {
		t.Fatal(err)
	}
	if jsonOf(t, g2) == jsonOf(t, g) {
		t.Fatal("a grid of other inputs was loaded from the first one's file")
	}
	if ok, _, _ := stage.Done(dir, "baseline-text", "b"); !ok {
		t.Error("the grid's stage is not recorded for its new key")
	}
	// Back to the first inputs, with the file damaged in between.
	os.Truncate(filepath.Join(dir, "baseline-text.json"), 10)
	if _, err := stagedGrid(ctx, dir, "baseline-text", "a", in.Source, gc); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "baseline-text.json")); string(got) != string(want) {
		t.Error("rerun on the first inputs did not give the first grid back")
	}
}

func jsonOf(t *testing.T, g *probeset.Grid) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "g.json")
	if err := g.Save(p); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	return string(b)
}
