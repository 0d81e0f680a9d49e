package faultinject

import (
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
)

// Mode is what happens at the chosen byte.
type Mode int

// Modes.
const (
	Off     Mode = iota // writers are returned unchanged
	Count               // count the bytes written, nothing fails
	NoSpace             // the write reaching the byte, and every later one, fails with ENOSPC
	Kill                // the process kills itself (SIGKILL) at the byte
)

var (
	mu      sync.Mutex
	mode    atomic.Int32 // Mode
	limit   atomic.Int64 // the byte at which NoSpace or Kill strikes
	written atomic.Int64
	full    atomic.Bool // NoSpace has struck
)

// Arm sets the mode and the byte (counted from now) at which it strikes. Arm(Off, 0)
// disarms.
func Arm(m Mode, atByte int64) {
	mu.Lock()
	defer mu.Unlock()
	limit.Store(atByte)
	written.Store(0)
	full.Store(false)
	mode.Store(int32(m))
}

// Written is the number of bytes written through armed writers since Arm.
func Written() int64 { return written.Load() }

// Writer returns w, wrapped when the package is armed so that its bytes count and
// the armed fault can strike in it.
func Writer(w io.Writer) io.Writer {
	if Mode(mode.Load()) == Off {
		return w
	}
	return &writer{w: w}
}

type writer struct{ w io.Writer }

func (f *writer) Write(p []byte) (int, error) {
	m := Mode(mode.Load())
	if m == NoSpace && full.Load() {
		return 0, syscall.ENOSPC
	}
	before := written.Add(int64(len(p))) - int64(len(p))
	at := limit.Load()
	if m == Count || m == Off || before+int64(len(p)) <= at {
		return f.w.Write(p)
	}
	// The fault strikes inside p: write what fits before it, as a disk filling up
	// or a process dying mid-write would leave.
	keep := max(at-before, 0)
	n, err := f.w.Write(p[:keep])
	if err != nil {
		return n, err
	}
	if m == Kill {
		if s, ok := f.w.(interface{ Sync() error }); ok {
			s.Sync() // the partial bytes reach the disk, as they may in a real crash
		}
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is on its way
	}
	full.Store(true)
	return n, syscall.ENOSPC
}
