package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/compute"
	"github.com/ifprobe/ifprobe/pkg/registry/registrytest"
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

// TestBenchModel times the default model on a tiny workload and checks the rows;
// bad workload flags are usage errors before anything loads.
func TestBenchModel(t *testing.T) {
	for _, args := range [][]string{{"--batch", "0"}, {"--gen", "1"}, {"--reps", "0"}, {"--prompt", "0"}} {
		_, err := runCLI(append([]string{"bench", "--model", "smollm2-135m-instruct"}, args...)...)
		var ue *UsageError
		if !errors.As(err, &ue) {
			t.Errorf("bench --model %v: %v, want a UsageError", args, err)
		}
	}
	registrytest.Model(t, "smollm2-135m-instruct")
	out, err := runCLI("bench", "--model", "smollm2-135m-instruct", "--batch", "1,2", "--prompt", "4", "--gen", "3", "--reps", "1", "--json")
	if err != nil {
		t.Fatalf("bench --model: %v\n%s", err, out)
	}
	var rows []benchModelRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("bench --model --json: %v\n%s", err, out)
	}
	if len(rows) != 2 || rows[1].Batch != 2 || rows[0].Model != "smollm2-135m-instruct" || !(rows[0].Prefill > 0) || !(rows[1].Decode > 0) {
		t.Errorf("rows = %+v", rows)
	}
}
