// Package study holds what the five analyses share: the probing data of one model
// (activations by task, layer and position, with behavioural labels and base-request
// groups) behind the Source interface, and the Grid of cross-validated probe
// evaluations over every task × layer × position that most findings read.
//
// A Source is either a real activation store written by `ifprobe dataset build`
// (FromStore) or a synthetic study with planted structure (Synthetic), which the
// analyses' tests use so that a broken analysis fails a test with a known answer.
// PlantedConfig is the synthetic study the notebooks fall back to: the nine tasks
// with the paper's five findings built in.
//
//	src, err := probeset.FromStore(store, probeset.StoreOptions{})
//	grid, err := probeset.EvaluateGrid(ctx, src, probeset.GridConfig{Positions: []string{"prompt_last"}})
//	auc := grid.AUROC("lowercase", 12, "prompt_last") // stats.Interval with a 95% CI
//
// Baselines (FeatureSource: NewTextBaseline, NewInstructionBaseline) are Sources
// with a StoreSource's rows — same tasks, examples, order, labels and groups at
// every position — and one pseudo-layer (BaselineLayer) of features computed
// from the dataset records: the text seen at the position, or the instruction
// alone. A grid over one, with the activation grid's CVParams, has the same
// folds, so every probe score can be read beside what the text gives away.
//
// Truncated responses (stopped by the token limit) have no eos: a StoreSource
// leaves them out there, and everywhere with StoreOptions.ExcludeTruncated.
//
// Layers are the model's block indices (0-based, resid_post); Depth(l) maps a layer to
// normalised depth (l+1)/NumLayers so models of different depth compare. Positions
// use ifprobe's names: prompt_last, response_first, step:{k}, frac:{f}, eos.
//
// Groups: every example carries the base request it was built from; the same base
// request crossed with different tasks gets the same group id, so grouped folds never
// put a paraphrase of a test prompt in training, within or across tasks.
package probeset
