// Package atomicfile writes files so that readers never see a partial one: the
// content goes to a temporary file in the same directory, is synced, and is renamed
// over the destination. A crash at any moment leaves the destination either as it
// was or complete, which is what lets every ifprobe stage resume from disk.
package atomicfile
