package runner

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ifprobe/ifprobe/pipeline"
	"github.com/ifprobe/ifprobe/pkg/planted"
)

// TestNotebookFollowsRun points notebook 02 at a run of two models by one
// variable (IFPROBE_RUN), as a user would, and checks that it shows both, with
// their verdicts side by side, and that its prose follows each model's data: the
// two are planted studies of different tasks (alpha: four tasks of three kinds;
// beta: three, no semantic one), so every count the notebook prints differs
// between them. Nothing is reproduced: a run named is read as it is.
func TestNotebookFollowsRun(t *testing.T) {
	opts := requireKernel(t)
	run := filepath.Join(t.TempDir(), "two")
	study := func(name string, seed uint64, tasks ...string) planted.Config {
		c := planted.PaperConfig().WithTasks(tasks...)
		c.Name, c.Seed, c.N = name, seed, 64
		return c
	}
	_, err := pipeline.PlantedRun(context.Background(), run, []planted.Config{
		study("alpha", 1, "word_limit", "lowercase", "forbidden_word", "sentiment"),
		study("beta", 2, "word_limit", "json_format", "include_keyword"),
	})
	if err != nil {
		t.Fatal(err)
	}
	opts.Timeout = 10 * time.Minute
	opts.Env = []string{"IFPROBE_RUN=" + run, "IFPROBE_MODELS=", "IFPROBE_NBCACHE_DIR=" + t.TempDir()}
	res, err := Run(context.Background(), opts, []string{filepath.Join(opts.Root, "notebooks", "02-transfer.ipynb")})
	if err != nil {
		t.Fatal(err)
	}
	out := outputText(t, res[0].Executed)
	for _, want := range []string{
		"**Study:** `" + run + "`", "Models: `alpha`, `beta`.", "Every figure and table below comes once per model",
		"**alpha:** 4 of 4 tasks probed", "**beta:** 3 of 3 tasks probed",
		"#### alpha", "#### beta",
		"at `eos`, over the 4 tasks probed here: structural (`word_limit`, `lowercase`), lexical (`forbidden_word`) and semantic (`sentiment`)",
		"at `eos`, over the 3 tasks probed here: structural (`word_limit`, `json_format`) and lexical (`include_keyword`)",
		"pairs transfer (CI above 0.5)", "of 12 pairs transfer", "of 6 pairs transfer",
		"4 tasks: 16 rows", "3 tasks: 9 rows",
		"The kind contrast compares 2 within-kind pairs with 10 across kinds.",
		"The kind contrast compares 2 within-kind pairs with 4 across kinds.",
		"this run has 4, so read the statistic", "this run has 3, so read the statistic",
		"**alpha: ", "**beta: ", "**Across models**",
		"model: alpha (also in this study: beta; set model to look at another)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("notebook 02 on a two-model run does not say %q", want)
		}
	}
	if t.Failed() {
		t.Logf("its outputs:\n%s", out)
	}
	if err := res[0].Err(); err != nil {
		t.Error(err)
	}
}

// outputText is every text an executed notebook shows: streams, Markdown, HTML
// and plain text, in cell order.
func outputText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var nb struct {
		Cells []struct {
			Outputs []struct {
				Text json.RawMessage            `json:"text"`
				Data map[string]json.RawMessage `json:"data"`
			} `json:"outputs"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(b, &nb); err != nil {
		t.Fatal(err)
	}
	var s strings.Builder
	add := func(raw json.RawMessage) {
		var m multiline
		if len(raw) > 0 && json.Unmarshal(raw, &m) == nil {
			s.WriteString(string(m) + "\n")
		}
	}
	for _, c := range nb.Cells {
		for _, o := range c.Outputs {
			add(o.Text)
			for _, mime := range []string{"text/markdown", "text/html", "text/plain"} {
				add(o.Data[mime])
			}
		}
	}
	return s.String()
}
