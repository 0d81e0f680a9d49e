// Package build is the dataset stage of the pipeline: it builds the labelled
// dataset of the study from a model's own responses. It plans the prompt items (pkg/dataset), has the model answer each one
// through its chat template (pkg/lm), verifies the answer (pkg/tasks), and stores the
// record in dataset.jsonl and the residual stream at every layer and chosen position
// in an activation store (pkg/acts).
//
// Layout of the output directory:
//
//	plan.jsonl      the prompt items (seeded, reproducible)
//	dataset.jsonl   one record per answered item: prompt, messages, response, its token ids,
//	                truncated, label, reason, split
//	acts/           the activation store: blocks.{L}.resid_post at each position
//	summary.json    pass rates per task
//	build.json      the settings; a rerun with other settings, or of a build made by an
//	                older ifprobe (other record format), is refused (ErrConfigChanged)
//
// Build is resumable: an item is done once its activations are in the store; a rerun
// skips done items, regenerates the few whose shard was in flight when the process
// died (greedy decoding makes them identical), and never appends a record twice.
//
// Positions: prompt_last, response_first, frac:{f} for the configured fractions, and
// eos. A response cut by the token limit did not end: its record and its stored
// example say truncated, and it has no eos state (the store keeps zeros there and
// never returns them; frac:1 is its last token).
package build
