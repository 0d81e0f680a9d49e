// Package probeset holds the probing data of one model — activations by task,
// layer and position, with behavioural labels and base-request groups — behind
// the Source interface, and the Grid of cross-validated probe evaluations over
// every task × layer × position that the findings read.
//
// A Source is a real activation store written by the dataset stage (FromStore),
// a synthetic study with planted structure (package planted), a baseline's
// features (FeatureSource), or any of them with its labels replaced (Relabel,
// and PermuteLabels: the label-permutation null).
//
//	src, err := probeset.FromStore(store, probeset.StoreOptions{})
//	grid, err := probeset.EvaluateGrid(ctx, src, probeset.GridConfig{Positions: []hook.Position{hook.EOS}})
//	auc := grid.AUROC("lowercase", 12, hook.EOS)   // stats.Interval with a 95% CI
//	sel, err := grid.Select("lowercase", hook.EOS) // layer chosen on other folds
//	honest := sel.AUROC()                           // not inflated by the choice
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
// are pkg/hook's: prompt_last, response_first, step:{k}, frac:{f}, eos.
//
// Groups: every example carries the base request it was built from; the same base
// request crossed with different tasks gets the same group id, so grouped folds never
// put a paraphrase of a test prompt in training, within or across tasks.
package probeset
