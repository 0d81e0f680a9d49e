package analyses

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ifprobe/ifprobe/internal/jsonnan"
	"github.com/ifprobe/ifprobe/pkg/atomicfile"
)

// ResultVersion stamps result.json files.
const ResultVersion = "ifprobe.result/v2"

// Files of a saved result, inside its directory.
const (
	ResultFile  = "result.json" // the envelope: version, analysis, verdict, result
	TableFile   = "table.csv"
	VerdictFile = "verdict.txt" // the verdict's prose
	FiguresDir  = "figures"     // every figure as PNG and SVG
)

// envelope is result.json: the verdict beside the result it was computed from,
// so that a reader needs no Go to find a finding's status.
type envelope struct {
	Version  string          `json:"version"`
	Analysis string          `json:"analysis"`
	Verdict  Verdict         `json:"verdict"`
	Result   json.RawMessage `json:"result"`
}

// Save writes r into dir: result.json, table.csv, verdict.txt and every figure as
// PNG and SVG under dir/figures. Each file is written atomically. It returns the
// paths written, relative to dir.
func Save(dir string, r Result) ([]string, error) {
	if err := os.MkdirAll(filepath.Join(dir, FiguresDir), 0o755); err != nil {
		return nil, fmt.Errorf("analyses: save %s: %w", r.Name(), err)
	}
	body, err := jsonnan.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("analyses: save %s: %w", r.Name(), err)
	}
	v := r.Verdict()
	b, err := jsonnan.MarshalIndent(envelope{Version: ResultVersion, Analysis: r.Name(), Verdict: v, Result: body}, "", " ")
	if err != nil {
		return nil, fmt.Errorf("analyses: save %s: %w", r.Name(), err)
	}
	files := []string{ResultFile, TableFile, VerdictFile}
	if err := atomicfile.WriteFile(filepath.Join(dir, ResultFile), b); err != nil {
		return nil, err
	}
	if err := atomicfile.Write(filepath.Join(dir, TableFile), func(w io.Writer) error {
		cw := csv.NewWriter(w)
		cw.WriteAll(r.Table())
		return cw.Error()
	}); err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, VerdictFile), []byte(v.Text+"\n")); err != nil {
		return nil, err
	}
	figs, err := r.Figures()
	if err != nil {
		return nil, fmt.Errorf("analyses: save %s: %w", r.Name(), err)
	}
	for _, f := range figs {
		paths, err := f.Save(filepath.Join(dir, FiguresDir))
		if err != nil {
			return nil, err
		}
		for _, p := range paths {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				rel = p
			}
			files = append(files, rel)
		}
	}
	return files, nil
}

// Load reads dir/result.json into r (a pointer to the analysis' result type, for
// example from Analysis.NewResult) and returns the verdict saved with it.
func Load(dir string, r Result) (Verdict, error) {
	path := filepath.Join(dir, ResultFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return Verdict{}, fmt.Errorf("analyses: load: %w", err)
	}
	var env envelope
	if err := jsonnan.Unmarshal(b, &env); err != nil { // null back as NaN, wherever a float is
		return Verdict{}, fmt.Errorf("analyses: load %s: %w", path, err)
	}
	if env.Version != ResultVersion {
		return Verdict{}, fmt.Errorf("analyses: load %s: version %q, want %q (rerun the analysis)", path, env.Version, ResultVersion)
	}
	if env.Analysis != r.Name() {
		return Verdict{}, fmt.Errorf("analyses: load %s: holds %q, not %q", path, env.Analysis, r.Name())
	}
	if err := jsonnan.Unmarshal(env.Result, r); err != nil {
		return Verdict{}, fmt.Errorf("analyses: load %s: result: %w", path, err)
	}
	return env.Verdict, nil
}

// F formats a float for tables: 4 decimals, "NaN" for missing values.
func F(v float64) string { return fmt.Sprintf("%.4f", v) }
