//go:build !linux

package membudget

// physical returns 0: the machine's memory is not read on this platform.
func physical() uint64 { return 0 }
