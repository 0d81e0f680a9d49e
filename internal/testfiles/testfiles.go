// Package testfiles holds helpers for tests that corrupt or edit real files on disk
// (configs, manifests) to check the errors a loader gives.
package testfiles

import (
	"encoding/json"
	"os"
	"testing"
)

// EditJSON rewrites the JSON object in the file at path through edit, failing the
// test on any error.
func EditJSON(t testing.TB, path string, edit func(map[string]any)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	edit(m)
	if data, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
