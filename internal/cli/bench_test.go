package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/compute"
)

func TestBenchGo(t *testing.T) {
	var out bytes.Buffer
	root := NewRootCmd()
	root.SetOut(&out)
	root.SetArgs([]string{"bench", "--backend", "go", "--sizes", "16,32", "--time", "1ns", "--json"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	var rows []benchRow
	if err := json.Unmarshal(out.Bytes(), &rows); err != nil {
		t.Fatalf("bench --json: %v\n%s", err, out.String())
	}
	if len(rows) != 2 || rows[0].Backend != compute.KindSimpleGo || rows[1].N != 32 || rows[1].GFLOPs <= 0 || rows[0].Error != "" {
		t.Errorf("bench rows = %+v", rows)
	}
	root = NewRootCmd()
	root.SetArgs([]string{"bench", "--sizes", "0"})
	var ue *UsageError
	if err := root.Execute(); !errors.As(err, &ue) {
		t.Errorf("bench --sizes 0: %v, want a UsageError", err)
	}
}
