package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// --cpuprofile writes a gzipped pprof profile of the whole command, and an
// unwritable path is a usage error that names the flag.
func TestCPUProfileFlag(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.pprof")
	if code := Main([]string{"tasks", "list", "--cpuprofile", path}); code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
		t.Fatalf("%s: %d bytes, not a gzipped profile", path, len(b))
	}
	bad := filepath.Join(t.TempDir(), "missing-dir", "cpu.pprof")
	msg := stderrOf(t, func() {
		if code := Main([]string{"tasks", "list", "--cpuprofile", bad}); code != ExitUsage {
			t.Errorf("unwritable --cpuprofile: exit %d, want %d", code, ExitUsage)
		}
	})
	if !bytes.Contains([]byte(msg), []byte("--cpuprofile")) {
		t.Errorf("message does not name the flag: %q", msg)
	}
}
