// Package faults is the fault-injection suite of the reproduction pipeline; it has
// no code of its own, only tests (RELIABILITY.md says what they prove).
//
// A reference run of a small study on the real default model counts the bytes each
// stage writes. A second run is then disturbed again and again, each time resumed:
// killed with SIGKILL at a seeded random byte of each stage (dataset, probe grid,
// findings, report), stopped by a full disk (ENOSPC) at a chosen byte of each,
// interrupted with SIGINT. Its results must equal the reference run's, file for
// file. Then shards of its activation store are damaged (a flipped byte, a
// truncation) and the later stages deleted; the rerun must repair the store and
// give the same results again.
//
//	go test -v ./pipeline/faults/
package faults
