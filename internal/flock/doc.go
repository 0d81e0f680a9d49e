// Package flock takes exclusive advisory locks on files (flock(2)) without waiting:
// the guard that keeps two writers off one activation store or two runs off one run
// folder. The kernel drops a lock when its process dies, so a killed run never
// blocks the rerun. Where flock is not available locking is a no-op.
package flock
