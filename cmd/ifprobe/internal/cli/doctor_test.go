package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/ifprobe/ifprobe/cmd/ifprobe/internal/doctor"
	"github.com/ifprobe/ifprobe/pkg/compute"
)

// TestDoctorJSON runs `ifprobe doctor --json` on SimpleGo with an empty
// $IFPROBE_HOME: the JSON parses, names the backend, and the missing default
// models make the command a MissingError (exit 4).
func TestDoctorJSON(t *testing.T) {
	t.Setenv("IFPROBE_HOME", t.TempDir())
	var out bytes.Buffer
	root := NewRootCmd()
	root.SetOut(&out)
	root.SetArgs([]string{"doctor", "--json", "--no-bench", "--backend", "go", "--root", t.TempDir()})
	err := root.Execute()
	var r doctor.Report
	if jerr := json.Unmarshal(out.Bytes(), &r); jerr != nil {
		t.Fatalf("doctor --json printed invalid JSON: %v\n%s", jerr, out.String())
	}
	if r.Backend.Kind != "go" || r.Backend.Reason == "" {
		t.Errorf("backend = %+v", r.Backend)
	}
	var me *MissingError
	if len(r.Problems()) > 0 && !errors.As(err, &me) {
		t.Errorf("problems %v but error %v, want a MissingError", r.Problems(), err)
	}
}

func TestDoctorUnknownBackend(t *testing.T) {
	var out bytes.Buffer
	root := NewRootCmd()
	root.SetOut(&out)
	root.SetArgs([]string{"doctor", "--no-bench", "--backend", "tpu", "--root", t.TempDir()})
	err := root.Execute()
	var ue *UsageError
	if !errors.As(err, &ue) || !errors.Is(err, compute.ErrUnknownBackend) {
		t.Errorf("doctor --backend tpu: err %v, output:\n%s", err, out.String())
	}
}
