package pipeline

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/analyses/layers"
	"github.com/ifprobe/ifprobe/pkg/stats"
)

// iv95 is an estimate with a 95% CI of standard error se.
func iv95(est, se float64) stats.Interval {
	z := stats.NormalQuantile(0.975)
	return stats.Interval{Estimate: est, Lo: est - z*se, Hi: est + z*se, Level: 0.95}
}

// Two models, SEs 0.1 and 0.2: weights 100 and 25, pooled mean (0.3·100 +
// 0.1·25)/125 = 0.26 with SE √(1/125); Cochran's Q = 100·0.04² + 25·0.16² = 0.8
// on 1 degree of freedom, p = 0.371 (scipy.stats.chi2.sf(0.8, 1) = 0.37109).
func TestCrossModelPooling(t *testing.T) {
	vs := []analyses.Verdict{
		{Status: analyses.Holds, Primary: analyses.Evidence{Estimate: iv95(0.3, 0.1)}},
		{Status: analyses.Inconclusive, Primary: analyses.Evidence{Estimate: iv95(0.1, 0.2)}},
	}
	c := crossModel("specialist", []string{"a", "b"}, vs)
	if c.Positive != 2 || c.SignAgreement != 1 {
		t.Errorf("signs: %d positive, agreement %v", c.Positive, c.SignAgreement)
	}
	if math.Abs(c.Pooled.Estimate-0.26) > 1e-12 || math.Abs(c.Pooled.SE()-math.Sqrt(1.0/125)) > 1e-12 {
		t.Errorf("pooled %v (SE %v)", c.Pooled, c.Pooled.SE())
	}
	if math.Abs(float64(c.Heterogeneity)-0.37109) > 1e-4 {
		t.Errorf("heterogeneity p = %v, want 0.37109", float64(c.Heterogeneity))
	}
}

// A two-model report has the cross-model table in report.json and report.md and
// the depth overlay figure, embedded in report.html.
func TestReportTwoModels(t *testing.T) {
	curve := func(shift float64) *layers.Result {
		r := &layers.Result{Model: "m"}
		for _, kind := range []string{"structural", "semantic"} {
			tl := layers.TaskLayers{Task: kind + "-task", Kind: kind, Depth: []float64{0.25, 0.5, 0.75, 1}}
			for _, a := range []float64{0.5, 0.6 + shift, 0.8, 0.9} {
				tl.AUROC = append(tl.AUROC, stats.Interval{Estimate: a})
			}
			r.Tasks = append(r.Tasks, tl)
		}
		return r
	}
	rep := &Report{Config: Config{Profile: Profiles["ci"]}}
	for i, name := range []string{"small", "large"} {
		v := analyses.Verdict{Finding: "layers", Status: analyses.Inconclusive, Text: "Paper: …",
			Primary: analyses.NewEvidence("contrast", iv95(0.1*float64(i+1), 0.1), 40, analyses.UnitItems, 0.1)}
		rep.Models = append(rep.Models, &ModelRun{Model: name, Dir: name,
			Results:  map[string]analyses.Result{"layers": curve(0.1 * float64(i))},
			Verdicts: map[string]analyses.Verdict{"layers": v}, Errors: map[string]string{}, Files: map[string][]string{}})
	}
	dir := t.TempDir()
	if err := rep.Write(dir); err != nil {
		t.Fatal(err)
	}
	if len(rep.CrossModel) != 1 || rep.CrossModel[0].Finding != "layers" {
		t.Fatalf("cross-model rows: %+v", rep.CrossModel)
	}
	for file, want := range map[string]string{"report.md": "## Across models", "report.json": `"cross_model"`, "report.html": "data:image/png;base64,"} {
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil || !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %q (%v)", file, want, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "figures", "across_models_auroc_by_depth.png")); err != nil {
		t.Error(err)
	}
}

// TestVariantDirs: the null and the run without truncated responses reuse the
// dataset and write their results apart, alone or together.
func TestVariantDirs(t *testing.T) {
	seed := uint64(2)
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Out: "o"}, "o"},
		{Config{Out: "o", NullSeed: &seed}, "o/null-2"},
		{Config{Out: "o", ExcludeTruncated: true}, "o/no-truncated"},
		{Config{Out: "o", ExcludeTruncated: true, NullSeed: &seed}, "o/no-truncated/null-2"},
	} {
		if got := c.cfg.ReportDir(); got != c.want {
			t.Errorf("ReportDir %+v = %s, want %s", c.cfg, got, c.want)
		}
		d := c.cfg.dirs("m")
		if d.data != "o/m/data" || d.results != strings.Replace(c.want, "o", "o/m", 1) {
			t.Errorf("dirs %+v = %+v", c.cfg, d)
		}
	}
}
