package planted

import (
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/tasks"
)

// PaperConfig is the planted study: synthetic hidden states for the nine tasks in
// which the paper's five findings hold by construction. The notebooks show it when
// the model's own study cannot be reproduced, so a reader sees what each figure
// looks like when its claim is true; pipeline.Planted computes its findings.
//
// What is planted, for each task t of kind k (structural, lexical, semantic):
//
//   - its own direction (index = t's place in the study's order), weight 3, plus one
//     direction shared by every task of kind k (9, 10, 11), weight 1.5: specialists
//     beat a pooled probe, and transfer clusters by kind;
//   - one asymmetric dependency for the ablation to find: lowercase has no
//     direction of its own but reads word_limit's pair of directions, weakly
//     (weights 1 and 0.5, the same 2:1 mix as word_limit's 3 and 1.5). A
//     linear eraser removes a task's class-mean direction, and word_limit's,
//     estimated from a strong signal, is lowercase's exactly: erasing it leaves
//     lowercase at chance. Lowercase's, estimated from a weak signal, is only
//     close to word_limit's, and word_limit keeps much of its AUROC when it is
//     erased: D[word_limit→lowercase] > D[lowercase→word_limit]. (A planted
//     dependency must be this aligned to survive the ablation's multiplicity
//     correction at 120 items per task: erasing a direction that is merely
//     correlated with another task's barely moves a refitted probe.)
//   - the signal is off below an onset layer that grows from structural (1) to
//     lexical (2) to semantic (4) tasks, and above it grows along the response:
//     0.3 at prompt_last, 0.4 at response_first, 0.7 at frac:0.5, 1 at frac:1.0 and
//     eos.
//
// The sizes are small enough to compute every finding in seconds: 6 layers, 120
// examples per task, dimension 16, seed 7. Each call returns a fresh config (its
// maps are not shared), and the same config draws the same study.
func PaperConfig() Config {
	kindDir := map[string]int{"structural": 9, "lexical": 10, "semantic": 11}
	onset := map[string]int{"structural": 1, "lexical": 2, "semantic": 4}
	along := map[hook.Position]float64{hook.PromptLast: 0.3, hook.ResponseFirst: 0.4, hook.Frac(0.5): 0.7, hook.Frac(1): 1, hook.EOS: 1}
	cfg := Config{Name: "planted", NumLayers: 6, N: 120, D: 16, Seed: 7,
		Positions:  []hook.Position{hook.PromptLast, hook.ResponseFirst, hook.Frac(0.5), hook.Frac(1), hook.EOS},
		Components: map[string][]Component{}}
	kindOf := map[string]string{}
	own := map[string]int{}
	for i, t := range tasks.All() {
		kind := string(t.Kind)
		cfg.Tasks = append(cfg.Tasks, probeset.Task{Name: t.Name, Kind: kind})
		cfg.Components[t.Name] = []Component{{Direction: i, Weight: 3}, {Direction: kindDir[kind], Weight: 1.5}}
		kindOf[t.Name], own[t.Name] = kind, i
	}
	// One planted asymmetric dependency: lowercase reads word_limit's mix, weakly.
	cfg.Components["lowercase"] = []Component{{Direction: own["word_limit"], Weight: 1}, {Direction: kindDir["structural"], Weight: 0.5}}
	cfg.Scale = func(task string, layer int, pos hook.Position) float64 {
		if layer < onset[kindOf[task]] {
			return 0
		}
		return along[pos]
	}
	return cfg
}

// WithTasks returns the config restricted to the named tasks, in the config's
// order (names it lacks are ignored): a smaller study, and one in which a kind
// can be missing, for tests of what reads a study.
func (c Config) WithTasks(names ...string) Config {
	var keep []probeset.Task
	for _, t := range c.Tasks {
		for _, n := range names {
			if t.Name == n {
				keep = append(keep, t)
			}
		}
	}
	c.Tasks = keep
	return c
}
