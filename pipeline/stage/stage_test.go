package stage

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func write(t *testing.T, dir, rel, text string) string {
	t.Helper()
	p := filepath.Join(dir, rel)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDoneNeedsEveryOutput: a stage is done only with its record and every output it
// lists, unchanged; a missing figure, a changed table or another key reopens it, and
// Done says which files are missing. (A stage used to count as done when its
// result.json existed: 8 files lost to a full disk were never written.)
func TestDoneNeedsEveryOutput(t *testing.T) {
	dir := t.TempDir()
	files := []string{
		write(t, dir, "m/layers/result.json", `{"x":1}`),
		"m/layers/table.csv",
		write(t, dir, "m/layers/figures/a.png", "png"),
		write(t, dir, "m/layers/figures/a.svg", "svg"),
	}
	write(t, dir, "m/layers/table.csv", "a,b\n")
	if ok, missing, err := Done(dir, "layers", "k1"); ok || missing != nil || err != nil {
		t.Fatalf("no record: done %v, missing %v, %v", ok, missing, err)
	}
	if err := Complete(dir, "layers", "k1", files); err != nil {
		t.Fatal(err)
	}
	if ok, missing, err := Done(dir, "layers", "k1"); !ok || missing != nil || err != nil {
		t.Fatalf("complete: done %v, missing %v, %v", ok, missing, err)
	}
	if ok, _, _ := Done(dir, "layers", "k2"); ok {
		t.Error("done for another key")
	}
	os.Remove(filepath.Join(dir, "m/layers/figures/a.png"))
	write(t, dir, "m/layers/table.csv", "a,b\n1,2\n")
	ok, missing, err := Done(dir, "layers", "k1")
	if ok || err != nil || !slices.Equal(missing, []string{"m/layers/table.csv", "m/layers/figures/a.png"}) {
		t.Errorf("a figure lost and a table changed: done %v, missing %v, %v", ok, missing, err)
	}
	rec, err := Read(dir, "layers")
	if err != nil || len(rec.Files) != 4 || rec.Files[0].Path != "m/layers/result.json" || rec.Files[2].Path != "m/layers/figures/a.png" {
		t.Errorf("record: %+v, %v; want its files in the order given", rec, err)
	}
	if err := Forget(dir, "layers"); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(dir, "layers"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after Forget: %v", err)
	}
	// Outputs must exist and lie inside the run folder; names are plain.
	for _, tc := range []struct {
		name  string
		files []string
	}{
		{"x", []string{"nope.txt"}},
		{"x", []string{filepath.Join(t.TempDir(), "elsewhere")}},
		{"x", []string{"../up"}},
		{"../x", nil},
		{"", nil},
		{".hidden", nil},
	} {
		if err := Complete(dir, tc.name, "", tc.files); err == nil {
			t.Errorf("Complete(%q, %v): no error", tc.name, tc.files)
		}
	}
	// A damaged record is no record.
	write(t, dir, ".stages/grid.json", `{"version":"x"`)
	if ok, missing, err := Done(dir, "grid", ""); ok || missing != nil || err != nil {
		t.Errorf("damaged record: %v %v %v", ok, missing, err)
	}
}

// TestLockOneRunPerFolder: a second run on a folder is refused with the holder named,
// in this process or another; the lock goes with its holder. (Two reproduce runs on
// one --out used to both proceed once the dataset stage was done.)
func TestLockOneRunPerFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	unlock, err := Lock(dir, "reproduce --out run")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Lock(dir, "second")
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "reproduce --out run") || !strings.Contains(err.Error(), "pid") {
		t.Fatalf("second lock: %v", err)
	}
	// Another process.
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelper$")
	cmd.Env = append(os.Environ(), "IFPROBE_STAGE_LOCK="+dir)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), ErrBusy.Error()) {
		t.Errorf("other process: %v\n%s", err, out)
	}
	unlock()
	unlock2, err := Lock(dir, "third")
	if err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	unlock2()
}

// TestLockHelper is the other process of TestLockOneRunPerFolder.
func TestLockHelper(t *testing.T) {
	dir := os.Getenv("IFPROBE_STAGE_LOCK")
	if dir == "" {
		t.Skip("helper")
	}
	if _, err := Lock(dir, "helper"); err != nil {
		t.Fatal(err)
	}
}
