// Package progress draws progress bars for long CLI jobs (items/s and ETA) on a
// terminal, and plain periodic lines otherwise (logs, CI), so a job never looks hung.
package progress
