package pipeline

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/ifprobe/ifprobe/analyses/baselines"
	"github.com/ifprobe/ifprobe/internal/limitread"
)

// ReportFile is the machine-readable report Run writes into its report directory.
const ReportFile = "report.json"

// maxReportBytes bounds what ReadReport reads: a report of many models with
// their baseline and control rows is a few MB.
const maxReportBytes = 256 << 20

// ReadReport reads the report.json that Run wrote into dir: the configuration,
// and per model the dataset summary, the tasks not probed, the verdicts, the
// errors and the baseline comparison (Results and Files, which report.json does
// not hold, stay empty; each finding's result is under ModelRun.Dir). It returns
// an error wrapping os.ErrNotExist when dir has no report.
func ReadReport(dir string) (*Report, error) {
	path := filepath.Join(dir, ReportFile)
	b, err := limitread.File(path, maxReportBytes)
	if err != nil {
		return nil, fmt.Errorf("reproduce: read report: %w", err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("reproduce: read report %s: %w", path, err)
	}
	return &r, nil
}

// Model returns the run of the model named name (as ModelRun.Model names it),
// or nil.
func (r *Report) Model(name string) *ModelRun {
	for _, m := range r.Models {
		if m.Model == name {
			return m
		}
	}
	return nil
}

// Table is one titled table of a report section, header row first.
type Table struct {
	Title string
	Rows  [][]string
}

// BaselineTables are the report's tables of a baseline comparison: one per
// position, each task's probe beside its baselines, its control task and its
// margin over the text baseline.
func BaselineTables(r *baselines.Result) []Table {
	var out []Table
	for _, t := range baselineTables(r) {
		out = append(out, Table{Title: t.title, Rows: append([][]string{t.head}, t.rows...)})
	}
	return out
}

// CrossModelTable is the report's table across models: per finding that two
// or more models computed, each model's status, the sign agreement, the pooled
// estimate and the heterogeneity p-value.
func (r *Report) CrossModelTable() [][]string { return r.crossModelRows() }
