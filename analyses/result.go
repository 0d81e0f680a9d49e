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
	"github.com/ifprobe/ifprobe/pkg/plot"
)

// Result is the common surface of the five analyses' results.
type Result interface {
	// Name is the analysis name: specialist, transfer, ablation, layers, temporal.
	Name() string
	// Figures draws the analysis' figures.
	Figures() ([]*plot.Figure, error)
	// Table returns the main table, header row first.
	Table() [][]string
	// Verdict states the paper's claim, the measured statistic with its CI, and
	// whether the claim holds on this model, in one sentence.
	Verdict() string
}

// Save writes r into dir: result.json (r itself), table.csv, verdict.txt and every
// figure as PNG and SVG under dir/figures. Each file is written atomically.
func Save(dir string, r Result) error {
	if err := os.MkdirAll(filepath.Join(dir, "figures"), 0o755); err != nil {
		return fmt.Errorf("study: save %s: %w", r.Name(), err)
	}
	b, err := jsonnan.MarshalIndent(r, "", " ")
	if err != nil {
		return fmt.Errorf("study: save %s: %w", r.Name(), err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "result.json"), b); err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, "table.csv"), func(w io.Writer) error {
		cw := csv.NewWriter(w)
		cw.WriteAll(r.Table())
		return cw.Error()
	}); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "verdict.txt"), []byte(r.Verdict()+"\n")); err != nil {
		return err
	}
	figs, err := r.Figures()
	if err != nil {
		return fmt.Errorf("study: save %s: %w", r.Name(), err)
	}
	for _, f := range figs {
		if _, err := f.Save(filepath.Join(dir, "figures")); err != nil {
			return err
		}
	}
	return nil
}

// Load reads dir/result.json into r (a pointer to the analysis' result type).
func Load(dir string, r any) error {
	b, err := os.ReadFile(filepath.Join(dir, "result.json"))
	if err != nil {
		return fmt.Errorf("study: load: %w", err)
	}
	if err := json.Unmarshal(b, r); err != nil {
		return fmt.Errorf("study: load %s: %w", filepath.Join(dir, "result.json"), err)
	}
	return nil
}

// F formats a float for tables: 4 decimals, "NaN" for missing values.
func F(v float64) string { return fmt.Sprintf("%.4f", v) }
