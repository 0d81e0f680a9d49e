// Package stage keeps the state of a run folder: which stages are complete, and who
// is working in it.
//
// A stage is complete only when every one of its outputs exists as it was written.
// The stage writes its outputs (each atomically), then Complete writes an atomic
// completion record, DIR/.stages/NAME.json, listing every output with its size and
// sha256 and the key of what it was computed from. Done checks the record against
// the disk: a record that is missing, made for another key, or whose files are
// missing or changed means the stage must run again (and Done says which files).
// So a run killed between two outputs, or a disk that filled up after some figures
// were written, never passes for finished: the rerun completes what is missing.
//
//	if ok, missing, _ := stage.Done(dir, "layers", key); !ok {
//		files, err := run() // writes the outputs, returns their paths
//		err = stage.Complete(dir, "layers", key, files)
//	}
//
// Lock takes the run folder for one process: a second run on the same folder is
// refused at once with a message naming the holder, instead of both writing the
// same files. The lock is an flock, dropped by the kernel if the process dies.
package stage
