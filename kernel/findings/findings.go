package findings

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/kernel/nb"
	"github.com/ifprobe/ifprobe/pipeline"
	"github.com/ifprobe/ifprobe/pkg/registry"
)

// DefaultModel is the model the finding notebooks study when nothing names one:
// the instruction-tuned model that ./install.sh installs.
const DefaultModel = "smollm2-135m-instruct"

// The environment variables that choose the study (IFPROBE_PROFILE is
// nb.EnvProfile). In a notebook, set them in the first code cell with gonb's
// %env, or before starting Jupyter.
const (
	// EnvRun names a run to read: the --out directory of `ifprobe reproduce`
	// (relative paths are taken from the checkout, $IFPROBE_ROOT). Nothing is
	// reproduced then, and nothing falls back to the planted study.
	EnvRun = "IFPROBE_RUN"
	// EnvModels lists the models to show, comma-separated (default: every model
	// of the run, or DefaultModel when the notebooks reproduce the study).
	EnvModels = "IFPROBE_MODELS"
)

// Policy says which study a finding notebook reads, what it reproduces when
// there is none, and whether it may fall back to the planted study. The order of
// the look-ups is in the package documentation.
type Policy struct {
	// Run, when set, is the only place looked in: the output directory
	// (pipeline.Config.Out) of a reproduction, read as it is.
	Run string
	// Models are the models shown, as the run names them; nil means every model
	// of the run (its report.json), or DefaultModel for a run still to reproduce.
	Models []string
	// Profile is the pipeline profile reproduced when Run is empty, into Out.
	Profile string
	Out     string
	// Planted is where the planted study is kept; "" means no planted study (a
	// failed reproduction is then an error).
	Planted string
	Strict  bool // a failed reproduction is an error, not the planted study (CI=true)
}

// Directory names inside the notebook cache (nb.CacheDir). The planted study's
// carries a version: bump it when pipeline.Planted computes something else.
// A reproduction's carries pipeline.ReportVersion (reproduceCache), so that a
// cache written by older code is reproduced anew, not shown: its results may
// still load, and the pipeline would resume from them. Results that do not load
// (another analyses.ResultVersion) count as absent wherever they are.
const (
	cacheReproduce = "reproduce-" // + profile + "-" + report version
	cachePlanted   = "planted-study-v3"
)

// reproduceCache is the notebook cache's directory of a reproduction with the
// profile: reproduce-ci-v2 for pipeline.ReportVersion ifprobe.report/v2.
func reproduceCache(profile string) string {
	return filepath.Join(nb.CacheDir(), cacheReproduce+profile+"-"+path.Base(pipeline.ReportVersion))
}

// DefaultPolicy is the notebooks' policy, read from the environment:
//
//	Run      $IFPROBE_RUN (relative to $IFPROBE_ROOT), else none
//	Models   $IFPROBE_MODELS, comma-separated, else nil (every model of the run)
//	Profile  $IFPROBE_PROFILE when it names a pipeline profile (ci, quick, paper),
//	         else quick
//	Out      $IFPROBE_ROOT/runs/<profile> (what `ifprobe reproduce --profile
//	         <profile>` writes); <nbcache>/reproduce-ci-<v> for ci, and
//	         <nbcache>/reproduce-<profile>-<v> without IFPROBE_ROOT, where
//	         <v> is pipeline.ReportVersion's last element (v2)
//	Planted  <nbcache>/planted-study-v3
//	Strict   CI=true
//
// where <nbcache> is nb.CacheDir(). The ci profile reproduces into the cache so
// that tests never write into the checkout.
func DefaultPolicy() Policy {
	root := os.Getenv("IFPROBE_ROOT")
	prof := os.Getenv(nb.EnvProfile)
	if prof == "" || prof == nb.ProfileFull {
		prof = "quick"
	}
	p := Policy{Models: splitList(os.Getenv(EnvModels)), Profile: prof,
		Out:     reproduceCache(prof),
		Planted: filepath.Join(nb.CacheDir(), cachePlanted), Strict: os.Getenv("CI") == "true"}
	if root != "" && prof != nb.ProfileCI {
		p.Out = filepath.Join(root, "runs", prof)
	}
	if run := os.Getenv(EnvRun); run != "" {
		if !filepath.IsAbs(run) && root != "" {
			run = filepath.Join(root, run)
		}
		p.Run = filepath.Clean(run)
	}
	return p
}

// splitList splits a comma-separated list, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// Locate returns the study of analysis (specialist, transfer, ablation, layers
// or temporal): Policy.Run when set; else Policy.Out when every model asked for
// has the finding there and the run finished (its report.json is there); else the planted study an earlier notebook computed;
// else a reproduction into Out now, and when that fails the planted study (or an
// error, under Strict). A result that does not load (written by older code, or
// corrupt) counts as absent.
func (p Policy) Locate(ctx context.Context, analysis string) (*Study, error) {
	if _, err := analyses.Get(analysis); err != nil {
		// Checked first: a misspelt name would otherwise start a reproduction.
		return nil, fmt.Errorf("findings: %w", err)
	}
	if p.Run != "" {
		return p.readRun(analysis)
	}
	if _, err := pipeline.ProfileByName(p.Profile); err != nil {
		return nil, fmt.Errorf("findings: %s=%s: %w", nb.EnvProfile, p.Profile, err)
	}
	s, err := openRun(p.Out, p.Models, p.Profile, analysis)
	switch {
	case err == nil && s.Complete() && s.Report != nil:
		return s, nil // without report.json the run stopped before its end: reproducing resumes it
	case err == nil && len(s.Available()) > 0 && s.Settled():
		return s, nil // the others could not compute it: reproducing again would not help
	case p.Planted != "" && (err != nil || len(s.Available()) == 0) && loadable(p.Planted, analysis) == nil:
		return openPlanted(p.Planted, analysis) // an earlier notebook fell back to it
	case err == nil && len(s.Available()) == 0 && s.Settled():
		return p.fallBack(ctx, analysis, s.missingError())
	}
	if err := p.reproduce(ctx); err != nil {
		return p.fallBack(ctx, analysis, err)
	}
	s, err = openRun(p.Out, p.Models, p.Profile, analysis)
	if err == nil && len(s.Available()) == 0 {
		err = s.missingError()
	}
	if err != nil {
		return p.fallBack(ctx, analysis, err)
	}
	return s, nil
}

// readRun opens the run the user named; it is an error when no model there has
// the finding.
func (p Policy) readRun(analysis string) (*Study, error) {
	if _, err := os.Stat(p.Run); err != nil {
		return nil, fmt.Errorf("findings: %s=%s: no run there (write one with `ifprobe reproduce --out %s`): %w", EnvRun, p.Run, p.Run, err)
	}
	s, err := openRun(p.Run, p.Models, "", analysis)
	if err != nil {
		return nil, fmt.Errorf("findings: %s=%s: %w", EnvRun, p.Run, err)
	}
	if len(s.Available()) == 0 {
		return nil, fmt.Errorf("findings: %s=%s: %w", EnvRun, p.Run, s.missingError())
	}
	return s, nil
}

// fallBack is what follows a failed reproduction (err): an error under Strict,
// without a planted directory or once ctx is done; otherwise the reader is told
// why and the planted study is computed.
func (p Policy) fallBack(ctx context.Context, analysis string, err error) (*Study, error) {
	models := strings.Join(p.wanted(), ", ")
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("findings: %w", err)
	case p.Strict:
		return nil, fmt.Errorf("findings: CI=true and the study of %s could not be reproduced: %w", models, err)
	case p.Planted == "":
		return nil, fmt.Errorf("findings: the study of %s could not be reproduced: %w", models, err)
	}
	nb.Markdown(fmt.Sprintf("**The study of `%s` could not be reproduced here:** `%v`\n\n"+
		"So this notebook shows the **planted study** instead: synthetic hidden states in which the "+
		"paper's findings hold *by construction* (see the note at the top). Every number below comes from it.", models, err))
	bar := nb.NewProgress("planted study: probes (%)", 100)
	err = pipeline.Planted(ctx, p.Planted, func(done, total int) { bar.Set(done * 100 / total) })
	bar.Done()
	if err != nil {
		return nil, fmt.Errorf("findings: %w", err)
	}
	return openPlanted(p.Planted, analysis)
}

// wanted are the models a reproduction runs: those asked for, with the models
// already in Out's report (so that a rerun keeps them in it), else DefaultModel.
func (p Policy) wanted() []string {
	var ms []string
	if rep, err := pipeline.ReadReport(p.Out); err == nil {
		for _, m := range rep.Models {
			ms = append(ms, m.Model)
		}
	}
	for _, m := range p.Models {
		if !slices.Contains(ms, m) {
			ms = append(ms, m)
		}
	}
	if len(ms) == 0 {
		ms = []string{DefaultModel}
	}
	return ms
}

// reproduce runs `ifprobe reproduce` in-process for the wanted models into Out,
// with one progress bar per model and stage. Every stage resumes from disk.
func (p Policy) reproduce(ctx context.Context) error {
	models := p.wanted()
	for _, m := range models {
		if _, err := registry.Path(m); err != nil {
			return fmt.Errorf("the model %s is not installed (run ./install.sh or `ifprobe models install %s`): %w", m, m, err)
		}
	}
	prof, err := pipeline.ProfileByName(p.Profile)
	if err != nil {
		return err
	}
	nb.Markdown(fmt.Sprintf("No saved results for `%s` yet: reproducing the study with the **%s** profile into `%s` "+
		"(it resumes from disk if interrupted; later cells and notebooks reuse it).", strings.Join(models, ", "), p.Profile, p.Out))
	var mu sync.Mutex
	bars := map[string]*nb.Progress{}
	_, err = pipeline.Run(ctx, pipeline.Config{
		Models: models, Profile: prof, Out: p.Out, Seed: 0, Log: os.Stdout,
		Progress: func(model, stage string, done, total int) {
			mu.Lock()
			defer mu.Unlock()
			key := model + ": " + stage
			if bars[key] == nil {
				bars[key] = nb.NewProgress(key, total)
			}
			bars[key].Set(done)
		},
	})
	for _, b := range bars {
		b.Done()
	}
	return err
}

// Open is DefaultPolicy().Locate(context.Background(), analysis): the study a
// finding notebook reads.
func Open(analysis string) (*Study, error) {
	return DefaultPolicy().Locate(context.Background(), analysis)
}

// LoadModel reads into r (a pointer to the analysis' Result) the result of
// analysis of one model of the study: the model named model, or with "" the
// first that has it. It returns that model (Model.Dir holds its grid.json and
// activations). When the study has several models it says which one this is
// and which others there are, for the explore cells that look at one model.
func LoadModel(analysis, model string, r analyses.Result) (Model, error) {
	s, err := Open(analysis)
	if err != nil {
		return Model{}, err
	}
	m, err := s.Model(model)
	if err != nil {
		return m, err
	}
	if len(s.Models) > 1 {
		var others []string
		for _, o := range s.Models {
			if o.Name != m.Name {
				others = append(others, o.Name)
			}
		}
		fmt.Printf("model: %s (also in this study: %s; set model to look at another)\n", m.Name, strings.Join(others, ", "))
	}
	return m, m.Load(r)
}
