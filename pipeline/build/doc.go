// Package collect builds the labelled dataset of the study from a model's own
// responses: it plans the prompt items (pkg/dataset), has the model answer each one
// through its chat template (pkg/lm), verifies the answer (pkg/tasks), and stores the
// record in dataset.jsonl and the residual stream at every layer and chosen position
// in an activation store (pkg/acts).
//
// Layout of the output directory:
//
//	plan.jsonl      the prompt items (seeded, reproducible)
//	dataset.jsonl   one record per answered item: prompt, messages, response, label, reason, split
//	acts/           the activation store: blocks.{L}.resid_post at each position
//	summary.json    pass rates per task
//	build.json      the settings; a rerun with other settings is refused (ErrConfigChanged)
//
// Build is resumable: an item is done once its activations are in the store; a rerun
// skips done items, regenerates the few whose shard was in flight when the process
// died (greedy decoding makes them identical), and never appends a record twice.
//
// Positions: prompt_last, response_first, frac:{f} for the configured fractions, and
// eos. A response cut by the token limit has no end-of-sequence token; its eos row
// holds the last generated token instead (the record's stop field says which).
package build
