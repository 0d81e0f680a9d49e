// Package membudget bounds what a job may ask of memory before it starts: a count
// given on the command line (items per task, a batch, a token limit) is turned into
// an estimate of the bytes it will hold, and a job whose estimate exceeds the
// budget fails at once with the estimate in the message, instead of growing until
// the machine swaps or the kernel kills it.
//
// The budget is half of the machine's physical memory (or of the cgroup's limit,
// when lower); IFPROBE_MEMORY_BUDGET overrides it ("6GiB", "512MiB", plain bytes).
package membudget
