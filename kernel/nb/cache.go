package nb

import (
	"bufio"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"

	"github.com/ifprobe/ifprobe/internal/home"
)

// Environment variables read by the cache.
const (
	// EnvHome is ifprobe's data directory (internal/home); the cache is its
	// nbcache folder.
	EnvHome = home.Env
	// EnvCache set to "off" makes Cache compute every time, reading and writing nothing.
	EnvCache = "IFPROBE_NBCACHE"
	// EnvCacheDir, when set, is the cache directory itself (tests point it at a
	// temporary directory so that notebooks run from a cold cache).
	EnvCacheDir = "IFPROBE_NBCACHE_DIR"
)

// cacheMagic and cacheVersion start every entry; a file without them is not ours.
const (
	cacheMagic   = "ifprobe-nbcache"
	cacheVersion = 1
)

// ErrBadKey is returned (wrapped) for a cache key that is not a plain file name.
var ErrBadKey = errors.New("nb: bad cache key")

var keyRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// cacheHeader is gob-encoded before the value.
type cacheHeader struct {
	Magic    string
	Version  int
	Key      string
	Type     string // the Go type of the value, as reflect prints it
	Encoding string // encGob, or a raw little-endian encoding for numeric slices
}

// Value encodings. gob decodes a float at a time through reflection, ten times
// slower than reading the bytes; activations ([]float32) are the common large
// value, so plain numeric slices are stored raw: a uint64 count, then the values.
const (
	encGob = "gob"
	encF32 = "f32le"
	encF64 = "f64le"
)

// encodingOf returns the encoding Cache uses for values of type T.
func encodingOf[T any]() string {
	var zero T
	switch any(zero).(type) {
	case []float32:
		return encF32
	case []float64:
		return encF64
	}
	return encGob
}

// CacheDir returns the directory of cache entries: $IFPROBE_NBCACHE_DIR if set, else
// $IFPROBE_HOME/nbcache, with IFPROBE_HOME defaulting to ~/.cache/ifprobe (the
// rule of internal/home).
func CacheDir() string {
	if d := os.Getenv(EnvCacheDir); d != "" {
		return d
	}
	return filepath.Join(home.Dir(), "nbcache")
}

// Cache returns the value stored under key, or calls compute, stores its result under
// key and returns it. The key is a file name: letters, digits, '.', '_' and '-', at
// most 128 bytes, starting with a letter or digit. T must be gob-encodable (exported
// fields). An entry written for another type T, or one that does not decode, is
// recomputed and overwritten. An error from compute is returned as is and nothing is
// stored. A failure to store the result is returned together with the result.
func Cache[T any](key string, compute func() (T, error)) (T, error) {
	var zero T
	if !keyRE.MatchString(key) {
		return zero, fmt.Errorf("%w %q: want 1-128 of [A-Za-z0-9._-], starting with a letter or digit", ErrBadKey, key)
	}
	if compute == nil {
		return zero, fmt.Errorf("nb: Cache(%q): nil compute function", key)
	}
	if os.Getenv(EnvCache) == "off" {
		return compute()
	}
	path := filepath.Join(CacheDir(), key+".gob")
	typ := reflect.TypeFor[T]().String()
	if v, err := readEntry[T](path, key, typ); err == nil {
		return v, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(os.Stderr, "nb: cache entry %s: %v: recomputing\n", path, err)
	}
	v, err := compute()
	if err != nil {
		return v, err
	}
	if err := writeEntry(path, cacheHeader{cacheMagic, cacheVersion, key, typ, encodingOf[T]()}, v); err != nil {
		return v, fmt.Errorf("nb: Cache(%q): result computed but not stored: %w", key, err)
	}
	return v, nil
}

// CacheClear removes the entry stored under key; a missing entry is not an error.
func CacheClear(key string) error {
	if !keyRE.MatchString(key) {
		return fmt.Errorf("%w %q", ErrBadKey, key)
	}
	err := os.Remove(filepath.Join(CacheDir(), key+".gob"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("nb: CacheClear(%q): %w", key, err)
	}
	return nil
}

// readEntry decodes the entry at path. gob bounds every length it decodes by the
// message it reads, and a raw slice's count is checked against the file size, so a
// damaged file gives an error, not a huge allocation.
func readEntry[T any](path, key, typ string) (v T, err error) {
	f, err := os.Open(path)
	if err != nil {
		return v, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return v, err
	}
	defer func() { // gob panics on some malformed inputs it cannot describe
		if r := recover(); r != nil {
			err = fmt.Errorf("decode: %v", r)
		}
	}()
	r := bufio.NewReader(f) // an io.ByteReader: gob reads no further than each message
	dec := gob.NewDecoder(r)
	var h cacheHeader
	if err := dec.Decode(&h); err != nil {
		return v, fmt.Errorf("header: %w", err)
	}
	switch {
	case h.Magic != cacheMagic || h.Version != cacheVersion:
		return v, fmt.Errorf("not an ifprobe cache entry of version %d", cacheVersion)
	case h.Key != key:
		return v, fmt.Errorf("written for key %q", h.Key)
	case h.Type != typ:
		return v, fmt.Errorf("holds a %s, want %s", h.Type, typ)
	case h.Encoding != encodingOf[T]():
		return v, fmt.Errorf("encoded as %q, want %q", h.Encoding, encodingOf[T]())
	}
	switch p := any(&v).(type) {
	case *[]float32:
		*p, err = readRaw[float32](r, 4, st.Size())
	case *[]float64:
		*p, err = readRaw[float64](r, 8, st.Size())
	default:
		err = dec.Decode(&v)
	}
	if err != nil {
		return v, fmt.Errorf("value: %w", err)
	}
	return v, nil
}

// readRaw reads a uint64 count and that many little-endian values of elemSize
// bytes; the count must fit in fileSize.
func readRaw[E float32 | float64](r io.Reader, elemSize, fileSize int64) ([]E, error) {
	var n uint64
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
		return nil, err
	}
	if n > uint64(fileSize/elemSize) {
		return nil, fmt.Errorf("count %d does not fit in a %d-byte file", n, fileSize)
	}
	out := make([]E, n)
	if err := binary.Read(r, binary.LittleEndian, out); err != nil {
		return nil, err
	}
	return out, nil
}

// writeEntry encodes the header and v to a temporary file in the cache directory,
// syncs it, and renames it over path.
func writeEntry[T any](path string, h cacheHeader, v T) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	w := bufio.NewWriter(f)
	enc := gob.NewEncoder(w)
	if err := enc.Encode(h); err != nil {
		return err
	}
	switch x := any(v).(type) {
	case []float32:
		err = writeRaw(w, x)
	case []float64:
		err = writeRaw(w, x)
	default:
		err = enc.Encode(v)
	}
	if err != nil {
		return fmt.Errorf("encode %s: %w", h.Type, err)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// writeRaw writes len(x) as a uint64, then x, little-endian.
func writeRaw[E float32 | float64](w io.Writer, x []E) error {
	if err := binary.Write(w, binary.LittleEndian, uint64(len(x))); err != nil {
		return err
	}
	return binary.Write(w, binary.LittleEndian, x)
}
