package limitread

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAll(t *testing.T) {
	got, err := All(strings.NewReader("12345"), 5)
	if err != nil || string(got) != "12345" {
		t.Fatalf("at the cap: %q, %v", got, err)
	}
	if _, err := All(strings.NewReader("123456"), 5); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "5 bytes") {
		t.Fatalf("over the cap: %v, want ErrTooLarge naming the cap", err)
	}
}

func TestFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "manifest.json")
	if err := os.WriteFile(path, []byte(`{"a":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := File(path, 100); err != nil || string(got) != `{"a":1}` {
		t.Fatalf("File: %q, %v", got, err)
	}
	if _, err := File(path, 3); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), path) {
		t.Fatalf("over the cap: %v, want ErrTooLarge naming %s", err, path)
	}
	if _, err := File(path+".missing", 3); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "manifest.json.missing") {
		t.Fatalf("missing: %v", err)
	}
}

func TestOpenRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := Open(dir); !errors.Is(err, ErrNotRegular) {
		t.Errorf("Open(directory) = %v, want ErrNotRegular", err)
	}
	path := filepath.Join(dir, "f")
	os.WriteFile(path, []byte("abc"), 0o644)
	f, n, err := Open(path)
	if err != nil || n != 3 {
		t.Fatalf("Open(file) = %d, %v", n, err)
	}
	f.Close()
}
