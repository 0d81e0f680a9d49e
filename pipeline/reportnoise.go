package pipeline

import (
	"fmt"

	"github.com/ifprobe/ifprobe/pkg/labelnoise"
	"github.com/ifprobe/ifprobe/pkg/tasks"
)

// labelNoiseSection shows, for each semantic task of each model, how often its
// verifier agrees with a human reading of real responses (the committed samples
// of package labelnoise) and the AUROC that this much label noise leaves a
// perfect probe at the run's pass rate.
func (r *Report) labelNoiseSection(d *document) {
	labels, err := labelnoise.Samples()
	if err != nil {
		d.h(2, "Label noise")
		d.p("The labelled samples could not be read: %v", err)
		return
	}
	ags := labelnoise.Measure(labels)
	rows := [][]string{{"model", "task", "labelled sample", "verifier accuracy", "sensitivity", "specificity", "run pass rate", "AUROC ceiling"}}
	for _, m := range r.Models {
		for _, s := range m.Summary {
			if t, err := tasks.Get(s.Task); err != nil || t.Kind != tasks.Semantic {
				continue
			}
			rows = append(rows, labelNoiseRow(ags, m.Model, s.Task, s.PassRate))
		}
	}
	if len(rows) == 1 {
		return
	}
	d.h(2, "Label noise")
	d.p("The structural and lexical verifiers check exactly what their instruction states; the semantic ones (sentiment: VADER; topic: a lexicon classifier) can disagree with a reader. Each was compared with a human reading of real responses, labelled without seeing the verifier's verdict (pkg/labelnoise/data/README.md). With that sensitivity and specificity, a probe that read each response's true success perfectly would reach only the AUROC ceiling below against the verifier's labels: read a semantic task's probe scores against it, not against 1. Accuracy, sensitivity and specificity carry Wilson 95%% intervals.")
	d.add(block{kind: table, rows: rows})
}

func labelNoiseRow(ags []labelnoise.Agreement, model, task string, passRate float64) []string {
	a, same, ok := labelnoise.For(ags, model, task)
	if !ok {
		return []string{model, task, "none", "", "", "", fmt.Sprintf("%.2f", passRate), ""}
	}
	sample := fmt.Sprintf("%d responses of %s", a.N, a.Model)
	if !same {
		sample += " (this model has none)"
	}
	ceil := labelnoise.Ceiling(a.Sensitivity.Estimate, a.Specificity.Estimate, passRate)
	return []string{model, task, sample, a.Accuracy.Format(2), a.Sensitivity.Format(2), a.Specificity.Format(2),
		fmt.Sprintf("%.2f", passRate), fmt.Sprintf("%.3f", ceil)}
}
