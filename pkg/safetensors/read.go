package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/bits"
	"sort"
	"unicode/utf8"

	"github.com/ifprobe/ifprobe/internal/limitread"
)

// MaxHeaderSize bounds the JSON header, as the reference implementation does (100 MB).
// A header is also bounded by the file size.
const MaxHeaderSize = 100_000_000

// metadataKey is the reserved header entry holding free-form string metadata.
const metadataKey = "__metadata__"

// TensorInfo describes one tensor of a file, as its header declares it (validated).
type TensorInfo struct {
	Name  string
	DType DType
	Shape []int
	// Begin and End are the byte offsets of the tensor's data relative to the start of
	// the data section (the header's "data_offsets"); End-Begin = NumElements×DType.Size().
	Begin, End int64
}

// NumElements is the product of the shape (1 for a scalar).
func (t TensorInfo) NumElements() int64 {
	n := int64(1)
	for _, d := range t.Shape {
		n *= int64(d) // validated not to overflow when the header was read
	}
	return n
}

// File is an open safetensors file. Tensors are read on demand with ReadAt: opening a
// file reads only its header, and reading one tensor reads only that tensor's bytes.
// A File is safe for concurrent reads.
type File struct {
	name      string
	r         io.ReaderAt
	closer    io.Closer
	size      int64
	dataStart int64
	tensors   []TensorInfo // sorted by name
	byName    map[string]int
	metadata  map[string]string
}

// Open opens the safetensors file at path and validates its header.
func Open(path string) (*File, error) {
	f, size, err := limitread.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	sf, err := NewFile(f, size, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	sf.closer = f
	return sf, nil
}

// NewFile reads and validates the header of the safetensors data of the given size in r;
// name is used in error messages. The caller keeps ownership of r.
func NewFile(r io.ReaderAt, size int64, name string) (*File, error) {
	f := &File{name: name, r: r, size: size}
	if err := f.readHeader(); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *File) errorf(format string, args ...any) error {
	return fmt.Errorf("safetensors: %s: "+format+": %w", append(append([]any{f.name}, args...), ErrFormat)...)
}

func (f *File) readHeader() error {
	if f.size < 8 {
		return f.errorf("%d bytes, too short for the 8-byte header length", f.size)
	}
	var lenBuf [8]byte
	if _, err := f.r.ReadAt(lenBuf[:], 0); err != nil {
		return f.errorf("read header length: %v", err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > MaxHeaderSize {
		return f.errorf("header length %d exceeds the maximum %d", n, MaxHeaderSize)
	}
	if n > uint64(f.size-8) {
		return f.errorf("header length %d exceeds the %d bytes after the length field", n, f.size-8)
	}
	hdr := make([]byte, n)
	if _, err := f.r.ReadAt(hdr, 8); err != nil {
		return f.errorf("read %d-byte header: %v", n, err)
	}
	f.dataStart = 8 + int64(n)
	if len(hdr) == 0 || hdr[0] != '{' {
		return f.errorf("header does not start with '{'")
	}
	if !utf8.Valid(hdr) {
		return f.errorf("header is not valid UTF-8")
	}
	if err := f.parseHeader(hdr); err != nil {
		return err
	}
	return f.checkLayout()
}

// headerEntry is one tensor entry of the header as JSON.
type headerEntry struct {
	DType       *string   `json:"dtype"`
	Shape       *[]uint64 `json:"shape"`
	DataOffsets *[]uint64 `json:"data_offsets"`
}

// parseHeader decodes the JSON header token by token so that duplicate names, which a
// map would silently merge, are rejected.
func (f *File) parseHeader(hdr []byte) error {
	dec := json.NewDecoder(bytes.NewReader(hdr))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return f.errorf("header is not a JSON object")
	}
	f.byName = map[string]int{}
	seenMeta := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return f.errorf("header JSON: %v", err)
		}
		name, _ := tok.(string)
		if name == metadataKey {
			if seenMeta {
				return f.errorf("duplicate %s", metadataKey)
			}
			seenMeta = true
			if err := dec.Decode(&f.metadata); err != nil {
				return f.errorf("%s must map strings to strings: %v", metadataKey, err)
			}
			continue
		}
		if _, dup := f.byName[name]; dup {
			return f.errorf("tensor %q: duplicate name", name)
		}
		var e headerEntry
		if err := dec.Decode(&e); err != nil {
			return f.errorf("tensor %q: %v", name, err)
		}
		t, err := f.tensorInfo(name, e)
		if err != nil {
			return err
		}
		f.byName[name] = len(f.tensors)
		f.tensors = append(f.tensors, t)
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return f.errorf("header JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return f.errorf("trailing data after the header object")
	}
	sort.Slice(f.tensors, func(i, j int) bool { return f.tensors[i].Name < f.tensors[j].Name })
	for i, t := range f.tensors {
		f.byName[t.Name] = i
	}
	return nil
}

// tensorInfo validates one header entry: known dtype, overflow-free size, offsets that
// agree with shape × dtype size.
func (f *File) tensorInfo(name string, e headerEntry) (TensorInfo, error) {
	if e.DType == nil || e.Shape == nil || e.DataOffsets == nil {
		return TensorInfo{}, f.errorf("tensor %q: missing dtype, shape or data_offsets", name)
	}
	dt := DType(*e.DType)
	size := dt.Size()
	if size == 0 {
		return TensorInfo{}, fmt.Errorf("safetensors: %s: tensor %q: dtype %q: %w", f.name, name, *e.DType, ErrDType)
	}
	t := TensorInfo{Name: name, DType: dt, Shape: make([]int, len(*e.Shape))}
	nbytes := uint64(size)
	for i, d := range *e.Shape {
		hi, lo := bits.Mul64(nbytes, d)
		if hi != 0 || lo > math.MaxInt64 || d > math.MaxInt64 {
			return TensorInfo{}, f.errorf("tensor %q: shape %v overflows", name, *e.Shape)
		}
		nbytes = lo
		t.Shape[i] = int(d)
	}
	off := *e.DataOffsets
	if len(off) != 2 {
		return TensorInfo{}, f.errorf("tensor %q: data_offsets has %d values, want 2", name, len(off))
	}
	if off[0] > off[1] || off[1] > math.MaxInt64 {
		return TensorInfo{}, f.errorf("tensor %q: data_offsets %v out of order", name, off)
	}
	if off[1]-off[0] != nbytes {
		return TensorInfo{}, f.errorf("tensor %q: data_offsets %v span %d bytes, shape %v of %s needs %d",
			name, off, off[1]-off[0], t.Shape, dt, nbytes)
	}
	t.Begin, t.End = int64(off[0]), int64(off[1])
	return t, nil
}

// checkLayout requires the tensors to tile the data section exactly: no gaps, no
// overlaps, nothing beyond the end of the file (the reference implementation's rule).
func (f *File) checkLayout() error {
	order := make([]int, len(f.tensors))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		ta, tb := f.tensors[order[a]], f.tensors[order[b]]
		return ta.Begin < tb.Begin || (ta.Begin == tb.Begin && ta.End < tb.End)
	})
	end := int64(0)
	for _, i := range order {
		t := f.tensors[i]
		if t.Begin != end {
			if t.Begin < end {
				return f.errorf("tensor %q: data_offsets [%d, %d) overlap the previous tensor (ends at %d)", t.Name, t.Begin, t.End, end)
			}
			return f.errorf("tensor %q: data_offsets [%d, %d) leave a gap after offset %d", t.Name, t.Begin, t.End, end)
		}
		end = t.End
	}
	if dataLen := f.size - f.dataStart; end != dataLen {
		return f.errorf("tensors cover %d data bytes but the file has %d after the header", end, dataLen)
	}
	return nil
}

// Name is the path or name the file was opened with.
func (f *File) Name() string { return f.name }

// Names lists the tensor names in sorted order.
func (f *File) Names() []string {
	names := make([]string, len(f.tensors))
	for i, t := range f.tensors {
		names[i] = t.Name
	}
	return names
}

// Tensors lists every tensor's description, sorted by name.
func (f *File) Tensors() []TensorInfo {
	out := make([]TensorInfo, len(f.tensors))
	copy(out, f.tensors)
	return out
}

// Info describes the named tensor; ok is false when there is none.
func (f *File) Info(name string) (info TensorInfo, ok bool) {
	i, ok := f.byName[name]
	if !ok {
		return TensorInfo{}, false
	}
	return f.tensors[i], true
}

// Metadata returns a copy of the header's __metadata__ map (empty when absent).
func (f *File) Metadata() map[string]string {
	m := make(map[string]string, len(f.metadata))
	for k, v := range f.metadata {
		m[k] = v
	}
	return m
}

// Raw reads the named tensor's little-endian bytes into dst (grown when too short; nil
// means allocate) and returns dst[:n]. The size is bounded by the file size.
func (f *File) Raw(name string, dst []byte) ([]byte, error) {
	t, ok := f.Info(name)
	if !ok {
		return dst, fmt.Errorf("safetensors: %s: tensor %q: %w", f.name, name, ErrNotFound)
	}
	return f.RawRange(name, 0, t.End-t.Begin, dst)
}

// RawRange reads n bytes of the named tensor's data starting at byte off into
// dst (grown when too short; nil means allocate) and returns dst[:n]: one row of
// a row-major tensor without reading the others.
func (f *File) RawRange(name string, off, n int64, dst []byte) ([]byte, error) {
	t, ok := f.Info(name)
	if !ok {
		return dst, fmt.Errorf("safetensors: %s: tensor %q: %w", f.name, name, ErrNotFound)
	}
	if off < 0 || n < 0 || off > t.End-t.Begin || n > t.End-t.Begin-off {
		return dst, fmt.Errorf("safetensors: %s: tensor %q: bytes [%d, %d) outside its %d", f.name, name, off, off+n, t.End-t.Begin)
	}
	if int64(cap(dst)) < n {
		dst = make([]byte, n)
	}
	dst = dst[:n]
	if _, err := f.r.ReadAt(dst, f.dataStart+t.Begin+off); err != nil {
		return dst, fmt.Errorf("safetensors: %s: tensor %q: read %d bytes at %d: %w", f.name, name, n, off, err)
	}
	return dst, nil
}

// Float32 reads the named tensor converted to float32 (see DecodeFloat32) into dst
// (grown when too short; nil means allocate) and returns dst[:NumElements].
func (f *File) Float32(name string, dst []float32) ([]float32, error) {
	t, ok := f.Info(name)
	if !ok {
		return dst, fmt.Errorf("safetensors: %s: tensor %q: %w", f.name, name, ErrNotFound)
	}
	if !t.DType.convertible() {
		return dst, fmt.Errorf("safetensors: %s: tensor %q: %s to float32: %w", f.name, name, t.DType, ErrDType)
	}
	raw, err := f.Raw(name, nil)
	if err != nil {
		return dst, err
	}
	return DecodeFloat32(dst, raw, t.DType)
}

// Close closes the underlying file when the File was made by Open.
func (f *File) Close() error {
	if f.closer == nil {
		return nil
	}
	err := f.closer.Close()
	f.closer = nil
	return err
}
