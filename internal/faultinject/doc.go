// Package faultinject lets the fault-injection suite fail this process's file
// writes at a chosen byte: every writer of results (atomicfile, the dataset's
// append-only log) sends its bytes through Writer, which by default returns the
// destination unchanged. Armed, it counts the bytes written by the whole process
// and, at the chosen one, either fails that write and every later one with ENOSPC
// ("no space left on device", as a full disk does) or kills the process with
// SIGKILL in the middle of the write (as a power cut or the OOM killer does).
//
// Only tests arm it (RELIABILITY.md lists what they prove): a run killed or out of
// space at any byte must leave nothing half-written in place of a good file, and
// its rerun must finish with the results of an undisturbed run.
package faultinject
