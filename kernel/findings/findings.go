package findings

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/kernel/nb"
	"github.com/ifprobe/ifprobe/pipeline"
	"github.com/ifprobe/ifprobe/pkg/registry"
)

// DefaultModel is the model the finding notebooks study: the instruction-tuned
// model that ./install.sh installs.
const DefaultModel = "smollm2-135m-instruct"

// Location is where a notebook's numbers come from.
type Location struct {
	Dir     string // the model's study: grid.json and <analysis>/result.json
	Profile string // the profile that wrote it: quick, ci, ... or pipeline.PlantedProfile
}

// Planted reports whether the numbers come from the planted study, not the model.
func (l Location) Planted() bool { return l.Profile == pipeline.PlantedProfile }

// Policy says where a finding notebook looks for its study, what it reproduces when
// there is none, and whether it may fall back to the planted study. The order of
// the look-ups is in the package documentation.
type Policy struct {
	Model string // registry name of the model; DefaultModel in the notebooks
	// Saved is the output directory (pipeline.Config.Out) of an earlier quick
	// reproduction, looked in first; "" looks nowhere.
	Saved   string
	Profile string // pipeline.Profiles name run when nothing is saved
	Out     string // where that reproduction writes (pipeline.Config.Out)
	// Planted is where the planted study is kept; "" means no planted study (a
	// failed reproduction is then an error).
	Planted string
	Strict  bool // a failed reproduction is an error, not the planted study (CI=true)
}

// Directory names inside the notebook cache (nb.CacheDir). The planted study's
// carries a version: bump it when pipeline.Planted computes something else.
const (
	cacheQuick   = "reproduce-quick"
	cacheCI      = "reproduce-ci"
	cachePlanted = "planted-study-v3"
)

// DefaultPolicy is the notebooks' policy, read from the environment:
//
//	Model    DefaultModel
//	Saved    $IFPROBE_ROOT/runs/quick, or <nbcache>/reproduce-quick without IFPROBE_ROOT
//	Profile  "quick" into Saved; "ci" into <nbcache>/reproduce-ci when IFPROBE_PROFILE=ci
//	Planted  <nbcache>/planted-study-v3
//	Strict   CI=true
//
// where <nbcache> is nb.CacheDir().
func DefaultPolicy() Policy {
	quick := filepath.Join(nb.CacheDir(), cacheQuick)
	if r := os.Getenv("IFPROBE_ROOT"); r != "" {
		quick = filepath.Join(r, "runs", "quick")
	}
	p := Policy{Model: DefaultModel, Saved: quick, Profile: "quick", Out: quick,
		Planted: filepath.Join(nb.CacheDir(), cachePlanted), Strict: os.Getenv("CI") == "true"}
	if nb.Small() {
		p.Profile, p.Out = "ci", filepath.Join(nb.CacheDir(), cacheCI)
	}
	return p
}

// Locate returns where the saved result of analysis (specialist, transfer,
// ablation, layers or temporal) is, reproducing the study or computing the planted
// study first when nothing is saved; see the package documentation for the order.
func (p Policy) Locate(ctx context.Context, analysis string) (Location, error) {
	if _, err := analyses.Get(analysis); err != nil {
		// Checked first: a misspelt name would otherwise start a reproduction.
		return Location{}, fmt.Errorf("findings: %w", err)
	}
	if p.Saved != "" && hasResult(filepath.Join(p.Saved, p.Model), analysis) {
		return Location{filepath.Join(p.Saved, p.Model), savedProfile(p.Saved, "quick")}, nil
	}
	dir := filepath.Join(p.Out, p.Model)
	if hasResult(dir, analysis) {
		return Location{dir, p.Profile}, nil
	}
	if p.Planted != "" && hasResult(p.Planted, analysis) {
		return Location{p.Planted, pipeline.PlantedProfile}, nil
	}
	err := p.reproduce(ctx, analysis)
	if err == nil {
		return Location{dir, p.Profile}, nil
	}
	return p.fallBack(ctx, err)
}

// fallBack is what follows a failed reproduction (err): an error under Strict,
// without a planted directory or once ctx is done; otherwise the reader is told
// why and the planted study is computed.
func (p Policy) fallBack(ctx context.Context, err error) (Location, error) {
	switch {
	case ctx.Err() != nil:
		return Location{}, fmt.Errorf("findings: %w", err)
	case p.Strict:
		return Location{}, fmt.Errorf("findings: CI=true and the study of %s could not be reproduced: %w", p.Model, err)
	case p.Planted == "":
		return Location{}, fmt.Errorf("findings: the study of %s could not be reproduced: %w", p.Model, err)
	}
	nb.Markdown(fmt.Sprintf("**The study of `%s` could not be reproduced here:** `%v`\n\n"+
		"So this notebook shows the **planted study** instead: synthetic hidden states in which the "+
		"paper's findings hold *by construction* (see the note at the top). Every number below comes from it.", p.Model, err))
	bar := nb.NewProgress("planted study: probes (%)", 100)
	err = pipeline.Planted(ctx, p.Planted, func(done, total int) { bar.Set(done * 100 / total) })
	bar.Done()
	if err != nil {
		return Location{}, fmt.Errorf("findings: %w", err)
	}
	return Location{p.Planted, pipeline.PlantedProfile}, nil
}

// hasResult reports whether dir holds the saved result of analysis.
func hasResult(dir, analysis string) bool {
	_, err := os.Stat(filepath.Join(dir, analysis, "result.json"))
	return err == nil
}

// reproduce runs `ifprobe reproduce` in-process for the model, with one progress
// bar per stage, and reports an error when it did not compute analysis.
func (p Policy) reproduce(ctx context.Context, analysis string) error {
	if _, err := registry.Path(p.Model); err != nil {
		return fmt.Errorf("the model %s is not installed (run ./install.sh or `ifprobe models install %s`): %w", p.Model, p.Model, err)
	}
	prof, err := pipeline.ProfileByName(p.Profile)
	if err != nil {
		return err
	}
	nb.Markdown(fmt.Sprintf("No saved results for `%s` yet: reproducing the study with the **%s** profile into `%s` "+
		"(it resumes from disk if interrupted; later cells and notebooks reuse it).", p.Model, p.Profile, p.Out))
	var mu sync.Mutex
	bars := map[string]*nb.Progress{}
	rep, err := pipeline.Run(ctx, pipeline.Config{
		Models: []string{p.Model}, Profile: prof, Out: p.Out, Seed: 0, Log: os.Stdout,
		Progress: func(model, stage string, done, total int) {
			mu.Lock()
			defer mu.Unlock()
			if bars[stage] == nil {
				bars[stage] = nb.NewProgress(model+": "+stage, total)
			}
			bars[stage].Set(done)
		},
	})
	for _, b := range bars {
		b.Done()
	}
	if err != nil {
		return err
	}
	mr := rep.Models[0]
	for _, sk := range mr.Skipped {
		fmt.Printf("not probed: %s (%s)\n", sk.Task, sk.Reason)
	}
	if mr.Results[analysis] == nil {
		return fmt.Errorf("reproduce: %s: %s", analysis, mr.Errors[analysis])
	}
	return nil
}

// savedProfile reads the profile name from a reproduction's report.json, or
// returns fallback when there is none (a run stopped before writing its report).
func savedProfile(out, fallback string) string {
	var rep struct {
		Config struct {
			Profile struct{ Name string } `json:"profile"`
		} `json:"config"`
	}
	if b, err := os.ReadFile(filepath.Join(out, "report.json")); err == nil && json.Unmarshal(b, &rep) == nil && rep.Config.Profile.Name != "" {
		return rep.Config.Profile.Name
	}
	return fallback
}

// Locate is DefaultPolicy().Locate(context.Background(), analysis).
func Locate(analysis string) (Location, error) {
	return DefaultPolicy().Locate(context.Background(), analysis)
}

// Load reads the saved result of analysis into r (a pointer to the analysis'
// Result, e.g. *specialist.Result) and returns where it came from.
func Load(analysis string, r analyses.Result) (Location, error) {
	loc, err := Locate(analysis)
	if err != nil {
		return Location{}, err
	}
	if _, err := analyses.Load(filepath.Join(loc.Dir, analysis), r); err != nil {
		return loc, fmt.Errorf("findings: %w", err)
	}
	return loc, nil
}

// ShowVerdict shows a result's verdict: its status in bold, then the prose with
// the statistic, CI, n and minimum detectable effect.
func ShowVerdict(model string, r analyses.Result) {
	v := r.Verdict()
	nb.Markdown(fmt.Sprintf("**Verdict on %s: %s.** %s", model, v.Status, v.Text))
}

// Setup is the first code cell of a finding notebook: it locates the study of
// analysis (reproducing it if needed) and tells the reader where the numbers come
// from, with a warning for the ci profile and for the planted study.
func Setup(analysis string) error {
	loc, err := Locate(analysis)
	if err != nil {
		return err
	}
	fmt.Printf("results: %s\nprofile: %s\n", loc.Dir, loc.Profile)
	switch {
	case loc.Profile == "ci":
		nb.Markdown("**ci profile**: a handful of examples per task, enough to run every step. " +
			"Its numbers mean nothing; run `ifprobe reproduce` (quick profile) for results worth reading.")
	case loc.Planted():
		nb.Markdown("**planted study**: synthetic states with the paper's findings built in, *not the model*. " +
			"The model's study could not be reproduced here (the first notebook that tried says why). " +
			"Run `ifprobe reproduce`, or delete `" + loc.Dir + "` to try again.")
	}
	nb.Sync() // the cell may end before a Markdown message is delivered
	return nil
}

// ShowFigures shows every figure of a result inline.
func ShowFigures(r analyses.Result) error {
	figs, err := r.Figures()
	if err != nil {
		return fmt.Errorf("findings: %s figures: %w", r.Name(), err)
	}
	for _, f := range figs {
		if err := nb.Figure(f); err != nil {
			return err
		}
	}
	return nil
}

// ShowTable shows a result's table (its first row is the header) as HTML. A table
// longer than MaxTableRows is shown in part, the rows that matter first (for
// transfer and ablation: the diagonal, then the pairs whose interval excludes
// chance), with a note saying which and a link to every row as CSV.
func ShowTable(r analyses.Result) error {
	t := r.Table()
	if len(t) == 0 {
		return fmt.Errorf("findings: %s has an empty table", r.Name())
	}
	show, why := shownRows(r.Name(), t)
	return nb.TableWith(t[0], t[1:], nb.TableOptions{Show: show, Why: why, CSV: r.Name() + ".csv"})
}
