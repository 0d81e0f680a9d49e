package pipeline

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/internal/jsonnan"
	"github.com/ifprobe/ifprobe/pkg/atomicfile"
)

// Report is the outcome of a reproduction: per model, the dataset summary, the
// findings' results and verdicts, and across models one table per finding, with
// the configuration, versions and timings.
type Report struct {
	Config     Config       `json:"config"`
	Models     []*ModelRun  `json:"models"`
	CrossModel []CrossModel `json:"cross_model,omitempty"` // with two or more models
	Started    time.Time    `json:"started"`
	Finished   time.Time    `json:"finished"`
	Versions   Versions     `json:"versions"`
}

// ReportVersion stamps report.json (Versions.Report). Bump it when the same
// inputs would now give other findings, verdicts or errors: readers then know a
// report written before (with its recorded errors) is stale and reproduce it
// (kernel/findings does), where every stage but the changed ones resumes.
const ReportVersion = "ifprobe.report/v2"

// Versions records what produced a report.
type Versions struct {
	Report  string            `json:"report"` // ReportVersion of the code that wrote it
	Go      string            `json:"go"`
	IFProbe string            `json:"ifprobe"`
	Modules map[string]string `json:"modules"`
	Backend string            `json:"backend"`
}

func versions(backend string) Versions {
	v := Versions{Report: ReportVersion, Go: runtime.Version(), Modules: map[string]string{}, Backend: backend}
	if bi, ok := debug.ReadBuildInfo(); ok {
		v.IFProbe = bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				v.IFProbe += " " + s.Value
			}
		}
		for _, d := range bi.Deps {
			if strings.Contains(d.Path, "gomlx") || strings.Contains(d.Path, "gonum") {
				v.Modules[d.Path] = d.Version
			}
		}
	}
	return v
}

// Write writes report.md, report.html (self-contained: figures embedded) and
// report.json into dir.
func (r *Report) Write(dir string) error {
	backend := ""
	if r.Config.Backend != nil {
		backend = r.Config.Backend.Name()
	}
	r.Versions = versions(backend)
	r.CrossModel = r.crossModels()
	depth, err := r.saveDepthFigure(dir)
	if err != nil {
		return err
	}
	doc := r.document(dir, depth)
	if err := atomicfile.WriteFile(filepath.Join(dir, "report.md"), []byte(doc.markdown())); err != nil {
		return err
	}
	h, err := doc.html()
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "report.html"), []byte(h)); err != nil {
		return err
	}
	b, err := jsonnan.MarshalIndent(r, "", " ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, "report.json"), b)
}

// crossModels pools every finding that two or more models computed.
func (r *Report) crossModels() []CrossModel {
	if len(r.Models) < 2 {
		return nil
	}
	var out []CrossModel
	for _, a := range analyses.All() {
		var names []string
		var vs []analyses.Verdict
		for _, m := range r.Models {
			if v, ok := m.Verdicts[a.Name()]; ok {
				names, vs = append(names, m.Model), append(vs, v)
			}
		}
		if len(vs) >= 2 {
			out = append(out, crossModel(a.Name(), names, vs))
		}
	}
	return out
}

// header describes the run in one paragraph.
func (r *Report) header() string {
	var b strings.Builder
	var names []string
	for _, m := range r.Models {
		names = append(names, m.Model)
	}
	p := r.Config.Profile
	fmt.Fprintf(&b, "Models: %s. Profile %q: %d items per task, responses up to %d tokens, %d-fold grouped CV, %d bootstrap resamples, seed %d, probes read at %s. ",
		strings.Join(names, ", "), p.Name, p.PerTask, p.MaxTokens, p.Folds, p.BootstrapReps, r.Config.Seed, p.Position)
	if s := r.Config.NullSeed; s != nil {
		fmt.Fprintf(&b, "**Label-permutation null (seed %d)**: every task's labels were shuffled before probing, so no finding may hold; a status of holds here would mean a broken analysis. ", *s)
	}
	if r.Config.ExcludeTruncated {
		fmt.Fprintf(&b, "**Without truncated responses**: only responses that ended before the %d-token limit were probed, at every position; compare with the run's own report one directory up. ", p.MaxTokens)
	}
	fmt.Fprintf(&b, "Took %s (%s to %s).", r.Finished.Sub(r.Started).Round(time.Second), r.Started.UTC().Format(time.RFC3339), r.Finished.UTC().Format(time.RFC3339))
	return b.String()
}

// readingGuide explains the statuses once, above the verdict table.
const readingGuide = "How to read a verdict: **holds** needs positive evidence (the 95% CI of the finding's statistic lies on the paper's side of zero, the probes read the labels at all, and the finding's other parts hold too); **partly** means only part of the claim has that evidence (for example on raw AUROC but not over what a probe on the text alone reaches); **not supported** means the effect is reliably smaller than the smallest effect the claim could mean; **contradicted** means the CI lies on the other side of zero; **inconclusive** means this run cannot tell: the CI is wider than the effects in question. Every verdict gives n and the minimum detectable effect (MDE, power 0.8) at that n; an inconclusive one says what n would settle it. Run a bigger profile (`--profile standard` or `paper`) or another model to settle it, and `--null-seed 1` as the negative control."

// statusCell is a verdict in a table cell: status, estimate, CI, n and MDE.
func statusCell(v analyses.Verdict) string {
	return fmt.Sprintf("**%s**: %s", v.Status, v.Primary.Short())
}

// runJSON is the report's closing block: profile, seeds, versions, timings.
func (r *Report) runJSON() string {
	t := map[string]map[string]float64{}
	for _, m := range r.Models {
		t[m.Model] = m.Timings
	}
	b, _ := json.MarshalIndent(struct {
		Profile  Profile                       `json:"profile"`
		Seed     uint64                        `json:"seed"`
		NullSeed *uint64                       `json:"null_seed,omitempty"`
		NoTrunc  bool                          `json:"exclude_truncated,omitempty"`
		Versions Versions                      `json:"versions"`
		Timings  map[string]map[string]float64 `json:"timings_s"`
	}{r.Config.Profile, r.Config.Seed, r.Config.NullSeed, r.Config.ExcludeTruncated, r.Versions, t}, "", "  ")
	return string(b)
}
