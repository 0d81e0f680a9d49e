package findings

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/pipeline"
	"github.com/ifprobe/ifprobe/pkg/probeset"
)

// Study is what a finding notebook reads for one finding: a run (the output
// directory of `ifprobe reproduce`, or the planted study) and the models shown
// from it, each with the finding's result or the reason it has none.
type Study struct {
	Analysis string // the finding: specialist, transfer, ablation, layers or temporal
	Dir      string // the run's directory (the planted study's own directory)
	Profile  string // quick, ci, paper, ... or pipeline.PlantedProfile; "" when not recorded
	// Report is the run's report.json; nil when it has none (the planted study,
	// or a run stopped before writing it). ReportErr says why it could not be
	// read when it exists but does not decode.
	Report    *pipeline.Report
	ReportErr error
	Models    []Model
}

// Model is one model of a study.
type Model struct {
	Name     string
	Dir      string             // its results: grid.json, <analysis>/result.json, data/
	Profile  string             // the study's (Study.Profile)
	Run      *pipeline.ModelRun // its entry in report.json; nil without one
	Analysis string
	// Missing says why the finding's result is not there or does not load; ""
	// when it does.
	Missing string
}

// Planted reports whether the numbers come from the planted study, not a model.
func (s *Study) Planted() bool { return s.Profile == pipeline.PlantedProfile }

// Planted reports whether the model is the planted study's (synthetic states).
func (m Model) Planted() bool { return m.Profile == pipeline.PlantedProfile }

// Available returns the models that have the finding's result.
func (s *Study) Available() []Model {
	var out []Model
	for _, m := range s.Models {
		if m.Missing == "" {
			out = append(out, m)
		}
	}
	return out
}

// Complete reports whether every model of the study has the finding.
func (s *Study) Complete() bool {
	return len(s.Models) > 0 && len(s.Available()) == len(s.Models)
}

// Settled reports whether every model without the finding is one whose finished
// run recorded why it could not be computed, in a report written by this code
// (pipeline.ReportVersion): reproducing again would not change that. An error
// recorded by older code is not settled: newer code may compute the finding.
func (s *Study) Settled() bool {
	if len(s.Models) == 0 || s.Report == nil || s.Report.Versions.Report != pipeline.ReportVersion {
		return false
	}
	for _, m := range s.Models {
		if m.Missing != "" && (m.Run == nil || m.Run.Errors[s.Analysis] == "") {
			return false
		}
	}
	return true
}

// Model returns the model named name; "" is the first model that has the
// finding.
func (s *Study) Model(name string) (Model, error) {
	for _, m := range s.Models {
		if (name == "" && m.Missing == "") || (name != "" && m.Name == name) {
			if m.Missing != "" {
				return m, fmt.Errorf("findings: %s of %s: %s", s.Analysis, m.Name, m.Missing)
			}
			return m, nil
		}
	}
	if name == "" {
		return Model{}, fmt.Errorf("findings: %w", s.missingError())
	}
	var names []string
	for _, m := range s.Models {
		names = append(names, m.Name)
	}
	return Model{}, fmt.Errorf("findings: no model %q in %s (models: %s)", name, s.Dir, strings.Join(names, ", "))
}

// Load reads the model's result of the study's finding into r (a pointer to the
// analysis' Result type, e.g. *transfer.Result).
func (m Model) Load(r analyses.Result) error {
	if m.Missing != "" {
		return fmt.Errorf("findings: %s of %s: %s", m.Analysis, m.Name, m.Missing)
	}
	if _, err := analyses.Load(filepath.Join(m.Dir, m.Analysis), r); err != nil {
		return fmt.Errorf("findings: %w", err)
	}
	return nil
}

// Result loads the model's result as the registry's type for the finding.
func (m Model) Result() (analyses.Result, error) {
	a, err := analyses.Get(m.Analysis)
	if err != nil {
		return nil, fmt.Errorf("findings: %w", err)
	}
	r := a.NewResult()
	return r, m.Load(r)
}

// Grid reads the model's probe grid (grid.json), which every finding reads.
func (m Model) Grid() (*probeset.Grid, error) {
	return probeset.LoadGrid(filepath.Join(m.Dir, "grid.json"))
}

// missingError says why no model has the finding, model by model.
func (s *Study) missingError() error {
	if len(s.Models) == 0 {
		return fmt.Errorf("no model's results in %s", s.Dir)
	}
	var why []string
	for _, m := range s.Models {
		if m.Missing != "" {
			why = append(why, m.Name+": "+m.Missing)
		}
	}
	return errors.New(s.Analysis + " is missing: " + strings.Join(why, "; "))
}

// loadable returns why dir/<analysis>/result.json does not load, or nil.
func loadable(dir, analysis string) error {
	a, err := analyses.Get(analysis)
	if err != nil {
		return err
	}
	_, err = analyses.Load(filepath.Join(dir, analysis), a.NewResult())
	return err
}

// openRun opens the run in dir for analysis: its report.json when there is one,
// and the models (those named, else those of the report, else every directory
// holding the finding). profile is what to call a run whose report does not
// name its profile. It is an error when dir does not exist.
func openRun(dir string, models []string, profile, analysis string) (*Study, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, err
	}
	s := &Study{Analysis: analysis, Dir: dir, Profile: profile}
	if rep, err := pipeline.ReadReport(dir); err == nil {
		s.Report, s.Profile = rep, rep.Config.Profile.Name
		if rep.Config.NullSeed != nil {
			s.Profile += fmt.Sprintf(" (label-permutation null, seed %d)", *rep.Config.NullSeed)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		s.ReportErr = err
	}
	if len(models) == 0 {
		models = s.runModels()
	}
	for _, name := range models {
		s.Models = append(s.Models, s.model(name))
	}
	return s, nil
}

// runModels are the models of the run: its report's, else the directories that
// hold the finding, in sorted order.
func (s *Study) runModels() []string {
	var names []string
	if s.Report != nil {
		for _, m := range s.Report.Models {
			names = append(names, m.Model)
		}
		return names
	}
	found, _ := filepath.Glob(filepath.Join(s.Dir, "*", s.Analysis, analyses.ResultFile))
	for _, f := range found {
		names = append(names, filepath.Base(filepath.Dir(filepath.Dir(f))))
	}
	slices.Sort(names)
	return names
}

// model describes one model of the run: where its results are, its report
// entry, and why the finding is missing when it is.
func (s *Study) model(name string) Model {
	m := Model{Name: name, Dir: filepath.Join(s.Dir, name), Profile: s.Profile, Analysis: s.Analysis}
	if s.Report != nil {
		if m.Run = s.Report.Model(name); m.Run != nil && m.Run.Dir != "" {
			m.Dir = filepath.Join(s.Dir, m.Run.Dir)
		}
	}
	err := loadable(m.Dir, s.Analysis)
	switch {
	case err == nil:
	case m.Run != nil && m.Run.Errors[s.Analysis] != "":
		m.Missing = "could not be computed: " + m.Run.Errors[s.Analysis]
	case errors.Is(err, os.ErrNotExist):
		m.Missing = "not in this run"
		if _, statErr := os.Stat(m.Dir); statErr == nil {
			m.Missing = "not computed yet"
		}
	default:
		m.Missing = "its result does not load (" + err.Error() + ")"
	}
	return m
}

// openPlanted opens the planted study in dir: one model, "planted".
func openPlanted(dir, analysis string) (*Study, error) {
	s := &Study{Analysis: analysis, Dir: dir, Profile: pipeline.PlantedProfile}
	m := Model{Name: pipeline.PlantedProfile, Dir: dir, Profile: pipeline.PlantedProfile, Analysis: analysis}
	if err := loadable(dir, analysis); err != nil {
		m.Missing = err.Error()
	}
	s.Models = []Model{m}
	if m.Missing != "" {
		return nil, fmt.Errorf("findings: planted study: %s", m.Missing)
	}
	return s, nil
}
