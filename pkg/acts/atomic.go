package acts

import (
	"bufio"
	"fmt"
	"io"

	"github.com/ifprobe/ifprobe/pkg/atomicfile"
)

// writeAtomic writes path through atomicfile: a crash at any moment leaves path either
// as it was or complete. bw, when not nil, is reused as the buffer (the Writer keeps
// one, so that committing a shard allocates nothing large).
func writeAtomic(path string, bw *bufio.Writer, write func(io.Writer) error) error {
	if err := atomicfile.WriteBuffered(path, bw, write); err != nil {
		return fmt.Errorf("acts: %w", err)
	}
	return nil
}

// tmpInfix marks temporary files; Create removes leftovers of a crash.
const tmpInfix = atomicfile.TmpInfix
