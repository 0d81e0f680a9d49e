// Package dataset builds the study's prompt set and reads and writes its
// labelled records (dataset.jsonl); it holds no model code.
//
// # The pipeline
//
//	items, err := dataset.Plan(dataset.Config{PerTask: 40, Seed: 1})
//	w, err := dataset.OpenWriter("runs/x/dataset.jsonl")   // resumes
//	for _, it := range w.Pending(items) {
//		response := generate(it.Messages())                 // the model, elsewhere
//		rec, err := dataset.NewRecord(it, response, modelName) // verifies with pkg/tasks
//		err = w.Append(rec)
//	}
//	recs, _ := dataset.ReadRecords("runs/x/dataset.jsonl")
//	dataset.WriteSummary(os.Stdout, dataset.Summarize(recs))
//
// # Items
//
// Plan crosses the base requests of pkg/tasks with each task's phrasings and
// sampled parameters: PerTask items per task, base requests taken in a
// shuffled round-robin, the phrasing and parameters drawn at random. Every
// base request also appears once alone, as a control item (Task == Control),
// unless NoControls is set. Everything is drawn from Seed; each task has its own
// random stream, so its items do not change when other tasks are added.
//
// # Splits
//
// Base requests are dealt into Folds folds (default 5) of near-equal size; an
// item's fold is its base request's, so no base request (and no paraphrase of
// a test prompt) is in two folds. Items of fold TestFold (default 0) have Split
// "test", the rest "train"; cross-validation uses Fold.
//
// # dataset.jsonl
//
// One JSON object per line (Record): id, base_id, task, params, phrasing,
// instruction, prompt (the user message), messages (the chat given to the
// chat template), response, truncated (stopped by the token limit),
// response_tokens, prompt_ids and response_ids (the tokens read and written),
// label (true/false; null for controls), reason, split, fold, model. In Python:
// pandas.read_json(path, lines=True).
//
// Baseline verifies each base request's control response against the
// constraints of its instructed items: whether the constraint would have held
// with no instruction at all.
//
// # Invariants
//
//   - Append writes a whole line in one write and syncs; OpenWriter drops a
//     torn last line and refuses a malformed line anywhere else, so a killed
//     build resumes where it stopped and never duplicates an id.
//   - Summarize flags a task whose minority label is under MinMinority (20%):
//     a probe on it would learn little; retune the task's difficulty (see
//     pkg/tasks).
package dataset
