package testfiles

import (
	"os"
	"path/filepath"
	"testing"
)

func TestEditJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, []byte(`{"vocab_size": 10, "keep": "x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	EditJSON(t, path, func(m map[string]any) { m["vocab_size"] = -1 })
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"keep":"x","vocab_size":-1}`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
