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
//	parts/          the parts of a sharded build, each a directory laid out as above
//
// Build is resumable: an item is done once its activations are in the store; a rerun
// skips done items, regenerates the few whose shard was in flight when the process
// died (greedy decoding makes them identical), and never appends a record twice.
//
// Shards: with Config.Shard = I/N, Build answers only part I of the plan — the
// plan's batches of Config.Batch items, dealt round-robin to the N parts — into
// parts/part-I-of-N, so that N processes (a Slurm job array, a Kubernetes
// Indexed Job) share the work without talking to each other. Merge, or Build
// without a shard on the same directory, then writes the directory as one
// process would have, byte for byte: every batch was generated from the same
// rows with the same graphs, the records go back into plan order and the
// activation store is rewritten in plan order with the same shard size.
//
// Positions: prompt_last, response_first, frac:{f} for the configured fractions, and
// eos. A response cut by the token limit did not end: its record and its stored
// example say truncated, and it has no eos state (the store keeps zeros there and
// never returns them; frac:1 is its last token).
package build
