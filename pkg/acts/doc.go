// Package acts stores activations captured from a model on disk, streamed and
// resumable, and reads them back like TransformerLens's ActivationCache.
//
// # Writing
//
//	w, err := acts.Create(dir, acts.Config{
//		Model:     acts.Model{Name: "smollm2-135m-instruct", SHA256: "…"},
//		DModel:    576,
//		Hooks:     []string{"blocks.0.resid_post", "blocks.1.resid_post"},
//		Positions: []string{"prompt_last", "eos"},
//		DType:     safetensors.F16,
//	})
//	for _, p := range prompts {
//		if w.Has(p.ID) {
//			continue // stored by an earlier, interrupted run
//		}
//		x := capture(p) // map[acts.Key][]float32: one d_model vector per hook × position
//		if err := w.Add(acts.Example{ID: p.ID, Task: p.Task, Label: p.Label}, x); err != nil { … }
//	}
//	err = w.Close()
//
// Create makes the store or reopens it for append. Hook and position names are plain
// strings here ("blocks.{L}.resid_post", "prompt_last", "step:{k}", ... as in DESIGN.md);
// pkg/model defines them as typed values.
//
// # Invariants
//
//   - Memory: the Writer holds one shard (ShardRows × keys × d_model values in the
//     store's dtype, allocated once, at most MaxShardBytes) and the set of stored ids
//     that Has consults (about 60 bytes per example). Committed example records are
//     not kept: each manifest rewrite copies them from the previous manifest file.
//     BENCHMARKS.md (Activation store) has the measurements.
//   - Crash safety: a shard is written to a temporary file, synced and renamed; only
//     then is it added to manifest.json, which is itself replaced atomically. Killing
//     the process at any moment loses at most the examples of the shard in flight. The
//     next Create removes the leftovers (temporary files, a shard never recorded) and
//     Has reports every recorded example, so a rerun continues where the last shard
//     ended.
//   - Determinism: the files depend only on the configuration and the examples added,
//     in order (no timestamps), so an interrupted and resumed run produces the same
//     bytes as an uninterrupted one.
//   - Reading: Open validates the manifest (names, ranges, row order, unique ids).
//     Before a shard is read (Get, Stack) or appended to (Create), its size and sha256
//     are checked against the manifest: the file is hashed once per process and the
//     result kept while its size and mtime stay the same. A damaged shard (altered,
//     truncated, missing) gives a *ShardError (wrapping ErrCorrupt) that names it and
//     the way back: Repair (`ifprobe acts verify --repair DIR`) cuts the store at that
//     shard, and the rerun that regenerates the dropped examples writes the same bytes
//     as an undisturbed run; CreateRepairing does both for a resuming writer. Verify
//     rehashes every shard and checks its ids.
//   - F16 keeps about 3 significant digits and |x| ≤ 65504; Add rejects values it
//     cannot store (and NaN/Inf for either dtype) instead of writing Inf.
//
// # Reading
//
//	s, err := acts.Open(dir)
//	fmt.Println(s) // model, example counts per task/split/label, every key and its shape
//	a, err := s.Get("blocks.1.resid_post", "prompt_last", acts.Task("lowercase"), acts.Split("train"))
//	// a.Data is a.N × a.D float32 (row-major); row i is a.Examples[i]; a.Labels(), a.IDs()
//	st, err := s.Stack("resid_post", "eos") // every layer: st.Layer(l) is N × D, labelled st.Hooks[l]
//
// Get and Stack read only the tensors asked for, and only from shards that hold a
// selected example. Stack's peak memory is the stack plus one key.
//
// A response stopped by the token limit has no end: its example is marked
// Truncated, its eos rows are stored as zeros (Add writes them whatever it is
// given), and Get and Stack at eos leave it out, so no state ever stands for the
// end of a response that did not end.
//
// Cost of a commit: the shard is written once; manifest.json is rewritten whole (its
// records are copied from the previous version), so each commit also writes about
// 200 bytes per example stored so far. With the default 64 MiB shards that is noise;
// with tiny shards and millions of examples, raise ShardRows.
//
// # On disk
//
//	DIR/manifest.json                  the Manifest type, as JSON
//	DIR/shards/shard-000000.safetensors one [rows, d_model] tensor per key "hook@position"
//
// manifest.json has the model (name, revision, sha256), d_model, dtype ("F16" or
// "F32"), hooks, layers, positions, keys, shard_rows, the complete shards (file, rows,
// bytes, sha256) and one record per example (id, task, label, base_id, split, fold,
// prompt_hash, truncated and response_tokens when set, shard, row) in shard and row
// order: so concatenating a key over the shards in order gives rows in the order of
// "examples". Each shard's __metadata__
// lists its example ids in row order under "ids" (a JSON array). README.md in this
// directory shows the same schema and a short Python reader (safetensors + json),
// which scripts/fixtures/acts/check.sh runs against testdata/store.
package acts
