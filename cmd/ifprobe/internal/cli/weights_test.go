package cli

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/model"
	"github.com/ifprobe/ifprobe/pkg/registry/registrytest"
)

// TestWeightsFlagErrors: every command that loads a model has --weights, and a
// value it does not know is a usage error naming the flag, before any model
// loads (the model here does not exist, so reaching the load would fail
// differently).
func TestWeightsFlagErrors(t *testing.T) {
	cmds := [][]string{
		{"reproduce", "--models", "no-such-model"},
		{"dataset", "build", "--model", "no-such-model", "--out", t.TempDir()},
		{"generate", "--model", "no-such-model", "hi"},
		{"capture", "--model", "no-such-model", "--out", t.TempDir()},
		{"bench", "--model", "no-such-model"},
	}
	for _, c := range cmds {
		for _, bad := range []string{"fp16", "bf16,,f32"} {
			_, err := runCLI(append(c, "--weights", bad)...)
			var ue *UsageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), "--weights") {
				t.Errorf("%s --weights %s: %v, want a usage error naming --weights", strings.Join(c[:1], " "), bad, err)
			}
			if exitCode(err) != ExitUsage {
				t.Errorf("%s --weights %s: exit %d, want %d", c[0], bad, exitCode(err), ExitUsage)
			}
		}
	}
}

// TestBenchWeightsSweep measures the default model with f32 and bf16 weights in
// one run: a row per entry and batch, in the order given, with the weights'
// memory halved in bf16.
func TestBenchWeightsSweep(t *testing.T) {
	registrytest.Model(t, "smollm2-135m-instruct")
	out, err := runCLI("bench", "--model", "smollm2-135m-instruct", "--weights", "f32,bf16", "--batch", "1",
		"--prompt", "4", "--gen", "3", "--reps", "1", "--json")
	if err != nil {
		t.Fatalf("bench --weights f32,bf16: %v\n%s", err, out)
	}
	var rows []benchModelRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("bench --json: %v\n%s", err, out)
	}
	if len(rows) != 2 || rows[0].Weights != model.WeightsF32 || rows[1].Weights != model.WeightsBF16 {
		t.Fatalf("rows = %+v", rows)
	}
	if r := rows[0].WeightsMiB / rows[1].WeightsMiB; r != 2 {
		t.Errorf("weights f32 %.1f MiB, bf16 %.1f MiB: ratio %g, want 2", rows[0].WeightsMiB, rows[1].WeightsMiB, r)
	}
	if !(rows[1].Prefill > 0 && rows[1].Decode > 0) {
		t.Errorf("bf16 row %+v", rows[1])
	}
}
