package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/ifprobe/ifprobe/pkg/calibrate"
	"github.com/ifprobe/ifprobe/pkg/dataset"
	"github.com/ifprobe/ifprobe/pkg/lm"
	"github.com/ifprobe/ifprobe/pkg/tasks"
)

// CalibrationFile is the pilot's file in a model's directory: its answers,
// keyed by the model's sha256 and the pilot settings, and the chosen domains.
const CalibrationFile = "calibration.json"

// pilotAnswerer answers pilot items as the dataset stage would (same chat
// template, response limit and batch), without capturing states. The batch size
// is not in the pilot's key: continuous batching gives each prompt the answer it
// gets alone (pkg/model TestContinuousBatching), so a run resumed with another
// --batch keeps the answers it has instead of paying for the pilot again.
type pilotAnswerer struct{ b *behaviour }

func (a pilotAnswerer) Answer(ctx context.Context, items []dataset.Item) ([]bool, error) {
	return a.b.answer(ctx, items)
}

// calibrate runs the profile's pilot for m (or reads it from disk) and puts
// the chosen domains into the plan's space, where they join the build stamp:
// a dataset built under another calibration is refused, not mixed.
func (cfg Config) calibrate(ctx context.Context, m *lm.LM, plan *dataset.Config, mr *ModelRun) error {
	p := cfg.Profile
	if !p.Calibrate {
		return nil
	}
	cfg.logf("%s: calibration pilot", m.Name)
	t0 := time.Now()
	r, err := calibrate.Run(ctx, pilotAnswerer{&behaviour{m: m, maxTokens: p.MaxTokens, batch: p.Batch}}, calibrate.Config{
		Tasks: plan.Tasks, Base: plan.Space, Settings: p.Pilot, Batch: p.Batch,
		Key:      fmt.Sprintf("model %s sha256 %s, up to %d tokens", m.Name, m.SHA256, p.MaxTokens),
		Path:     filepath.Join(cfg.Out, m.Name, CalibrationFile),
		Progress: cfg.progress(m.Name, "calibration"),
	})
	if err != nil {
		return err
	}
	mr.Calibration, mr.Timings["calibration"] = r, time.Since(t0).Seconds()
	if plan.Space == nil {
		plan.Space = map[string]tasks.Space{}
	}
	for name, sp := range r.Space() {
		if plan.Space[name] == nil {
			plan.Space[name] = tasks.Space{}
		}
		for param, d := range sp {
			plan.Space[name][param] = d
		}
	}
	return nil
}
