package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/acts"
	"github.com/ifprobe/ifprobe/pkg/hook"
)

// writeTinyStore writes n examples (2 per shard, d_model 4) into dir.
func writeTinyStore(t *testing.T, dir string, n int) {
	t.Helper()
	w, err := acts.Create(dir, acts.Config{Model: acts.Model{Name: "tiny"}, DModel: 4,
		Hooks: []hook.Point{hook.ResidPost(0)}, Positions: []hook.Position{hook.PromptLast}, ShardRows: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		x := map[hook.Key][]float32{{Point: hook.ResidPost(0), Position: hook.PromptLast}: {float32(i), 1, 2, 3}}
		if err := w.Add(acts.Example{ID: fmt.Sprintf("e%d", i), Task: "lowercase", Label: i % 2}, x); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestActsVerifyRepair: `acts verify` names a damaged shard and the repair, exit 1;
// `--repair` cuts the store there; the store is then sound.
func TestActsVerifyRepair(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	store := filepath.Join(dir, "acts")
	writeTinyStore(t, store, 7)
	if out, err := runCLI("acts", "verify", dir); err != nil || !strings.Contains(out, "sound: 4 shards, 7 examples") {
		t.Fatalf("sound store: %q, %v", out, err)
	}
	p := filepath.Join(store, "shards", "shard-000002.safetensors")
	b, _ := os.ReadFile(p)
	b[len(b)-1] ^= 1
	os.WriteFile(p, b, 0o644)
	_, err := runCLI("acts", "verify", store)
	var se *acts.ShardError
	if !errors.As(err, &se) || se.Shard != 2 || !strings.Contains(err.Error(), "ifprobe acts verify --repair") {
		t.Fatalf("damaged store: %v", err)
	}
	if code := Main([]string{"acts", "verify", store}); code != ExitError {
		t.Errorf("exit code %d, want %d", code, ExitError)
	}
	out, err := runCLI("acts", "verify", "--repair", store)
	if err != nil || !strings.Contains(out, "dropped 2 shard(s) and their 3 examples, kept 4") {
		t.Fatalf("repair: %q, %v", out, err)
	}
	if out, err := runCLI("acts", "verify", store); err != nil || !strings.Contains(out, "sound: 2 shards, 4 examples") {
		t.Fatalf("after repair: %q, %v", out, err)
	}
	for _, args := range [][]string{{"acts", "verify"}, {"acts", "verify", t.TempDir()}, {"acts", "verify", "a", "b"}} {
		var ue *UsageError
		if _, err := runCLI(args...); !errors.As(err, &ue) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}
