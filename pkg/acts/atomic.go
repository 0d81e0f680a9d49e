package acts

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// writeAtomic runs write on a buffered temporary file next to path and renames it to
// path once complete and synced; on error the temporary file is removed. A crash at any
// moment leaves path either as it was or complete. bw, when not nil, is reused as the
// buffer (the Writer keeps one, so that committing a shard allocates nothing large).
func writeAtomic(path string, bw *bufio.Writer, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+tmpInfix+"*")
	if err != nil {
		return fmt.Errorf("acts: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if bw == nil {
		bw = bufio.NewWriterSize(tmp, 1<<20)
	}
	bw.Reset(tmp)
	defer bw.Reset(nil)
	if err = write(bw); err != nil {
		return fmt.Errorf("acts: %s: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("acts: %s: %w", path, err)
	}
	if err = tmp.Chmod(0o644); err != nil { // CreateTemp makes 0600; stores are meant to be shared
		return fmt.Errorf("acts: %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("acts: %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("acts: %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("acts: %w", err)
	}
	if d, derr := os.Open(dir); derr == nil { // make the rename durable
		d.Sync()
		d.Close()
	}
	return nil
}

// tmpInfix marks temporary files; Create removes leftovers of a crash.
const tmpInfix = ".tmp-"
