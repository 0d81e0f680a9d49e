package atomicfile

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ifprobe/ifprobe/internal/faultinject"
)

// TmpInfix marks temporary files, so cleaners can recognise leftovers of a crash.
const TmpInfix = ".tmp-"

// Write runs write on a buffered temporary file next to path, then syncs it and
// renames it to path (mode 0644). On any error the temporary file is removed and path
// is untouched.
func Write(path string, write func(io.Writer) error) error {
	return WriteBuffered(path, nil, write)
}

// WriteBuffered is Write with a caller-owned buffer (nil: a new 1 MiB one), so that a
// writer committing many large files allocates its buffer once. bw is reset to nil
// afterwards, holding no reference to the file.
func WriteBuffered(path string, bw *bufio.Writer, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+TmpInfix+"*")
	if err != nil {
		return fmt.Errorf("atomicfile: %w", err)
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
	bw.Reset(faultinject.Writer(tmp)) // the fault-injection suite's hook; tmp itself unless armed
	defer bw.Reset(nil)
	if err = write(bw); err != nil {
		return fmt.Errorf("atomicfile: %s: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("atomicfile: %s: %w", path, err)
	}
	if err = tmp.Chmod(0o644); err != nil { // CreateTemp makes 0600
		return fmt.Errorf("atomicfile: %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("atomicfile: %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("atomicfile: %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if d, derr := os.Open(dir); derr == nil { // make the rename durable
		d.Sync()
		d.Close()
	}
	return nil
}

// WriteFile writes data to path atomically.
func WriteFile(path string, data []byte) error {
	return Write(path, func(w io.Writer) error { _, err := w.Write(data); return err })
}
