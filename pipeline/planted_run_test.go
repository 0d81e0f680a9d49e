package pipeline

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/pkg/planted"
)

// smallPlanted is the paper's planted study cut to four tasks (one per kind, and
// lowercase, which reads word_limit's direction), 64 examples each: a study of
// seconds, named name.
func smallPlanted(name string, seed uint64) planted.Config {
	c := planted.PaperConfig().WithTasks("word_limit", "lowercase", "forbidden_word", "sentiment")
	c.Name, c.Seed, c.N = name, seed, 64
	return c
}

// A planted run of two models is a run like Run's: report.json that ReadReport
// reads back with both models' summaries, verdicts and directories, and the
// cross-model table.
func TestPlantedRun(t *testing.T) {
	out := t.TempDir()
	rep, err := PlantedRun(context.Background(), out, []planted.Config{smallPlanted("alpha", 1), smallPlanted("beta", 2)})
	if err != nil {
		t.Fatal(err)
	}
	back, err := ReadReport(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Models) != 2 || back.Config.Profile.Name != PlantedProfile || back.Config.Profile.PerTask != 64 {
		t.Fatalf("read back %d models, profile %+v", len(back.Models), back.Config.Profile)
	}
	for i, m := range back.Models {
		if m.Model != rep.Models[i].Model || m.Dir != m.Model || len(m.Summary) != 4 || len(m.Verdicts) != len(analyses.All()) {
			t.Errorf("model %d: %s in %q, %d tasks summarised, %d verdicts", i, m.Model, m.Dir, len(m.Summary), len(m.Verdicts))
		}
		for name, v := range m.Verdicts {
			if v.Text != rep.Models[i].Verdicts[name].Text {
				t.Errorf("%s %s: the verdict read back differs from the run's", m.Model, name)
			}
		}
		if s := m.Summary[0]; s.N != 64 || s.Satisfied == 0 || s.Satisfied == 64 {
			t.Errorf("%s: summary %+v", m.Model, s)
		}
		if _, err := os.Stat(out + "/" + m.Dir + "/specialist/result.json"); err != nil {
			t.Error(err)
		}
	}
	if back.Model("beta") != back.Models[1] || back.Model("gamma") != nil {
		t.Error("Report.Model does not find the models by name")
	}
	if len(back.CrossModel) != len(analyses.All()) || len(back.CrossModelTable()) != len(analyses.All())+1 {
		t.Errorf("cross-model: %d rows, table %d", len(back.CrossModel), len(back.CrossModelTable()))
	}
	if _, err := PlantedRun(context.Background(), t.TempDir(), []planted.Config{smallPlanted("a", 1), smallPlanted("a", 2)}); err == nil {
		t.Error("two studies named alike were accepted")
	}
	if _, err := ReadReport(t.TempDir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadReport of an empty directory: %v, want os.ErrNotExist", err)
	}
}
