package gguf

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"unicode/utf8"

	"github.com/ifprobe/ifprobe/internal/limitread"
)

// File is an open GGUF file: its header, metadata and tensor infos, all validated
// against the file size by Open, and a reader for tensor data. Methods are safe for
// concurrent use; Close must not race with them.
type File struct {
	Version   uint32 // GGUF version: 2 or 3
	Alignment int64  // tensor data alignment in bytes (general.alignment or 32)
	DataStart int64  // file offset of the tensor data section
	Size      int64  // file size in bytes

	path    string
	r       io.ReaderAt
	closer  io.Closer
	keys    []string
	meta    map[string]Value
	tensors []TensorInfo
	byName  map[string]int
}

// TensorInfo describes one tensor. Dims are in GGUF (ggml) order: Dims[0] is the
// number of elements in a row, the fastest-varying index.
type TensorInfo struct {
	Name   string
	Dims   []uint64
	Type   GGMLType
	Offset int64 // from the start of the data section; a multiple of the alignment
}

// Elements returns the number of elements.
func (t TensorInfo) Elements() int64 {
	n := int64(1)
	for _, d := range t.Dims {
		n *= int64(d)
	}
	return n
}

// Size returns the bytes the tensor's data takes in the file.
func (t TensorInfo) Size() int64 { return t.Type.RowSize(t.Elements()) }

// Shape returns the dims in row-major order (the reverse of Dims), as numpy, torch
// and GoMLX write shapes: a [rows, cols] matrix has Dims {cols, rows}.
func (t TensorInfo) Shape() []int {
	s := make([]int, len(t.Dims))
	for i, d := range t.Dims {
		s[len(s)-1-i] = int(d)
	}
	return s
}

// Open opens and validates the GGUF file at path. Tensor data is read on demand.
func Open(path string) (*File, error) {
	fh, size, err := limitread.Open(path)
	if errors.Is(err, limitread.ErrNotRegular) {
		return nil, fmt.Errorf("gguf: %w: %w", err, ErrFormat)
	}
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	f, err := NewFile(fh, size, filepath.Base(path))
	if err != nil {
		fh.Close()
		return nil, err
	}
	f.path, f.closer = path, fh
	return f, nil
}

// NewFile reads a GGUF of size bytes from r; name is used in error messages. The
// caller keeps r open while the File is used; Close does not close r.
func NewFile(r io.ReaderAt, size int64, name string) (*File, error) {
	if size < 0 {
		return nil, fmt.Errorf("gguf: %s: negative size %d", name, size)
	}
	d := &decoder{r: bufio.NewReaderSize(io.NewSectionReader(r, 0, size), 1<<16), size: size, name: name}
	f := &File{r: r, Size: size, path: name, meta: map[string]Value{}, byName: map[string]int{}}
	if err := f.readHeader(d); err != nil {
		return nil, err
	}
	if err := f.readTensorInfos(d); err != nil {
		return nil, err
	}
	return f, nil
}

// Close closes the underlying file if Open opened it.
func (f *File) Close() error {
	if f.closer == nil {
		return nil
	}
	err := f.closer.Close()
	f.closer = nil
	return err
}

// Path returns the path given to Open (or the name given to NewFile).
func (f *File) Path() string { return f.path }

// name is the file name used in error messages.
func (f *File) name() string { return filepath.Base(f.path) }

func (f *File) readHeader(d *decoder) error {
	magic, err := d.read("magic", 4)
	if err != nil {
		return err
	}
	if string(magic) != Magic {
		return d.errorf("magic", "got %q, want %q", magic, Magic)
	}
	if f.Version, err = d.u32("version"); err != nil {
		return err
	}
	switch {
	case f.Version == 2 || f.Version == 3:
	case f.Version&0xFFFF == 0 && f.Version != 0:
		return fmt.Errorf("gguf: %s: version: %#x looks like a big-endian file: %w", d.name, f.Version, ErrUnsupported)
	default:
		return fmt.Errorf("gguf: %s: version: %d (this reader handles 2 and 3): %w", d.name, f.Version, ErrUnsupported)
	}
	nTensors, err := d.u64("tensor count")
	if err != nil {
		return err
	}
	nKV, err := d.u64("metadata count")
	if err != nil {
		return err
	}
	// Each key-value pair takes at least 8 (key length) + 4 (type) + 1 bytes.
	if nKV > uint64(d.left()/13) {
		return d.errorf("metadata count", "%d pairs cannot fit in the %d bytes left", nKV, d.left())
	}
	for i := range int(nKV) {
		key, err := d.ident(fmt.Sprintf("metadata key #%d", i))
		if err != nil {
			return err
		}
		field := fmt.Sprintf("metadata %q", key)
		if _, dup := f.meta[key]; dup {
			return d.errorf(field, "duplicate key")
		}
		t, err := d.u32(field + " type")
		if err != nil {
			return err
		}
		v, err := d.value(field, ValueType(t), 0)
		if err != nil {
			return err
		}
		f.keys = append(f.keys, key)
		f.meta[key] = v
	}
	f.Alignment = DefaultAlignment
	if v, ok := f.meta["general.alignment"]; ok {
		a, ok := v.Interface().(uint32)
		if !ok || a == 0 || a&(a-1) != 0 {
			return d.errorf(`metadata "general.alignment"`, "%s %v is not a power-of-two uint32", v.Type(), v)
		}
		f.Alignment = int64(a)
	}
	// Tensor infos take at least 8 (name length) + 4 (n_dims) + 4 (type) + 8 (offset).
	if nTensors > uint64(d.left()/24) {
		return d.errorf("tensor count", "%d tensors cannot fit in the %d bytes left", nTensors, d.left())
	}
	f.tensors = make([]TensorInfo, 0, int(nTensors))
	return nil
}

func (f *File) readTensorInfos(d *decoder) error {
	for i := range cap(f.tensors) {
		t, err := readTensorInfo(d, i)
		if err != nil {
			return err
		}
		if _, dup := f.byName[t.Name]; dup {
			return d.errorf(fmt.Sprintf("tensor %q", t.Name), "duplicate name")
		}
		f.byName[t.Name] = len(f.tensors)
		f.tensors = append(f.tensors, t)
	}
	// The data section starts at the next multiple of the alignment.
	f.DataStart = (d.pos + f.Alignment - 1) / f.Alignment * f.Alignment
	avail := f.Size - f.DataStart
	for _, t := range f.tensors {
		field := fmt.Sprintf("tensor %q", t.Name)
		if t.Offset%f.Alignment != 0 {
			return d.errorf(field, "offset %d is not a multiple of the alignment %d", t.Offset, f.Alignment)
		}
		if sz := t.Size(); sz > 0 && (avail < 0 || t.Offset > avail || sz > avail-t.Offset) {
			return d.errorf(field, "data [%d, %d) of the data section runs past the end of the file (%d bytes of data)",
				t.Offset, t.Offset+sz, max(avail, 0))
		}
	}
	return nil
}

func readTensorInfo(d *decoder, i int) (TensorInfo, error) {
	var t TensorInfo
	var err error
	if t.Name, err = d.ident(fmt.Sprintf("tensor #%d name", i)); err != nil {
		return t, err
	}
	field := fmt.Sprintf("tensor %q", t.Name)
	nd, err := d.u32(field + " n_dims")
	if err != nil {
		return t, err
	}
	if nd > maxDims {
		return t, d.errorf(field, "%d dims (at most %d)", nd, maxDims)
	}
	t.Dims = make([]uint64, nd)
	n := uint64(1)
	for j := range t.Dims {
		if t.Dims[j], err = d.u64(fmt.Sprintf("%s dim %d", field, j)); err != nil {
			return t, err
		}
		dim := t.Dims[j]
		if dim > math.MaxInt64 || (dim != 0 && n > math.MaxInt64/dim) {
			return t, d.errorf(field, "dims %v: element count overflows int64", t.Dims[:j+1])
		}
		n *= dim
	}
	typ, err := d.u32(field + " type")
	if err != nil {
		return t, err
	}
	t.Type = GGMLType(typ)
	if !t.Type.Known() {
		return t, d.errorf(field, "unknown ggml type %d", typ)
	}
	// ggml requires whole blocks per row; a 0-dim tensor (one element) has a row of 1.
	if row := rowLen(t.Dims); n != 0 && row%uint64(t.Type.BlockSize()) != 0 {
		return t, d.errorf(field, "row length %d is not a multiple of the %s block size %d", row, t.Type, t.Type.BlockSize())
	}
	if n/uint64(t.Type.BlockSize()) > math.MaxInt64/uint64(t.Type.TypeSize()) {
		return t, d.errorf(field, "dims %v: byte size overflows int64", t.Dims)
	}
	off, err := d.u64(field + " offset")
	if err != nil {
		return t, err
	}
	if off > math.MaxInt64 {
		return t, d.errorf(field, "offset %d overflows int64", off)
	}
	t.Offset = int64(off)
	return t, nil
}

// rowLen returns the number of elements in one row: Dims[0], or 1 for a scalar.
func rowLen(dims []uint64) uint64 {
	if len(dims) == 0 {
		return 1
	}
	return dims[0]
}

// Keys returns the metadata keys in file order.
func (f *File) Keys() []string { return append([]string(nil), f.keys...) }

// Meta returns the value of a metadata key.
func (f *File) Meta(key string) (Value, bool) { v, ok := f.meta[key]; return v, ok }

// Arch returns general.architecture ("llama", "gemma3"), or "" when absent.
func (f *File) Arch() string { s, _ := f.String("general.architecture"); return s }

// ArchKey returns the value of "<arch>.<suffix>", the architecture-specific keys
// such as "llama.block_count".
func (f *File) ArchKey(suffix string) (Value, bool) { return f.Meta(f.Arch() + "." + suffix) }

// lookup returns the value of key or an ErrNotFound error.
func (f *File) lookup(key string) (Value, error) {
	v, ok := f.meta[key]
	if !ok {
		return v, fmt.Errorf("gguf: %s: metadata %q: %w", f.name(), key, ErrNotFound)
	}
	return v, nil
}

func (f *File) typeErr(key string, v Value, want string) error {
	t := v.Type().String()
	if v.Type() == TypeArray {
		t = "array of " + v.ElemType().String()
	}
	return fmt.Errorf("gguf: %s: metadata %q: is %s, want %s: %w", f.name(), key, t, want, ErrType)
}

// String returns a string metadata value.
func (f *File) String(key string) (string, error) {
	v, err := f.lookup(key)
	if err != nil {
		return "", err
	}
	if s, ok := v.AsString(); ok {
		return s, nil
	}
	return "", f.typeErr(key, v, "string")
}

// Uint returns an integer metadata value of any width that is not negative.
func (f *File) Uint(key string) (uint64, error) {
	v, err := f.lookup(key)
	if err != nil {
		return 0, err
	}
	if u, ok := v.AsUint(); ok {
		return u, nil
	}
	return 0, f.typeErr(key, v, "a non-negative integer")
}

// Int returns an integer metadata value of any width that fits in int64.
func (f *File) Int(key string) (int64, error) {
	v, err := f.lookup(key)
	if err != nil {
		return 0, err
	}
	if i, ok := v.AsInt(); ok {
		return i, nil
	}
	return 0, f.typeErr(key, v, "an integer")
}

// Float returns a float32 or float64 metadata value.
func (f *File) Float(key string) (float64, error) {
	v, err := f.lookup(key)
	if err != nil {
		return 0, err
	}
	if x, ok := v.AsFloat(); ok {
		return x, nil
	}
	return 0, f.typeErr(key, v, "a float")
}

// Bool returns a bool metadata value.
func (f *File) Bool(key string) (bool, error) {
	v, err := f.lookup(key)
	if err != nil {
		return false, err
	}
	if b, ok := v.AsBool(); ok {
		return b, nil
	}
	return false, f.typeErr(key, v, "bool")
}

// Strings returns an array-of-strings metadata value (not a copy: do not modify it).
func (f *File) Strings(key string) ([]string, error) {
	return arrayOf[string](f, key, "array of string")
}

// Int32s returns an array-of-int32 metadata value (not a copy).
func (f *File) Int32s(key string) ([]int32, error) { return arrayOf[int32](f, key, "array of int32") }

// Float32s returns an array-of-float32 metadata value (not a copy).
func (f *File) Float32s(key string) ([]float32, error) {
	return arrayOf[float32](f, key, "array of float32")
}

func arrayOf[T any](f *File, key, want string) ([]T, error) {
	v, err := f.lookup(key)
	if err != nil {
		return nil, err
	}
	if s, ok := v.Interface().([]T); ok {
		return s, nil
	}
	return nil, f.typeErr(key, v, want)
}

// Tensors returns the tensor infos in file order (a copy of the list; the Dims
// slices are shared).
func (f *File) Tensors() []TensorInfo { return append([]TensorInfo(nil), f.tensors...) }

// Tensor returns the info of the named tensor.
func (f *File) Tensor(name string) (TensorInfo, bool) {
	i, ok := f.byName[name]
	if !ok {
		return TensorInfo{}, false
	}
	return f.tensors[i], true
}

func (f *File) tensor(name string) (TensorInfo, error) {
	t, ok := f.Tensor(name)
	if !ok {
		if !utf8.ValidString(name) {
			name = fmt.Sprintf("%q", name)
		}
		return t, fmt.Errorf("gguf: %s: tensor %q: %w", f.name(), name, ErrNotFound)
	}
	return t, nil
}

// Section returns a reader over the named tensor's raw bytes in the file.
func (f *File) Section(name string) (*io.SectionReader, error) {
	t, err := f.tensor(name)
	if err != nil {
		return nil, err
	}
	return io.NewSectionReader(f.r, f.DataStart+t.Offset, t.Size()), nil
}

// ReadRaw returns the named tensor's bytes as stored (quantized blocks for quantized
// types). Its length is TensorInfo.Size, bounded by the file size.
func (f *File) ReadRaw(name string) ([]byte, error) {
	t, err := f.tensor(name)
	if err != nil {
		return nil, err
	}
	raw := make([]byte, t.Size())
	if _, err := f.r.ReadAt(raw, f.DataStart+t.Offset); err != nil && !(errors.Is(err, io.EOF) && len(raw) == 0) {
		return nil, fmt.Errorf("gguf: %s: tensor %q: read %d bytes at %d: %w", f.name(), name, len(raw), f.DataStart+t.Offset, err)
	}
	return raw, nil
}

// ReadF32 reads the named tensor and dequantizes it to float32. shape is row-major
// (the reverse of TensorInfo.Dims): element [i, j] of a [rows, cols] tensor is
// data[i*cols+j].
func (f *File) ReadF32(name string) (data []float32, shape []int, err error) {
	t, err := f.tensor(name)
	if err != nil {
		return nil, nil, err
	}
	data = make([]float32, t.Elements())
	if err := f.ReadF32To(data, name); err != nil {
		return nil, nil, err
	}
	return data, t.Shape(), nil
}

// ReadF32To is ReadF32 into dst, whose length must equal the tensor's element count.
func (f *File) ReadF32To(dst []float32, name string) error {
	t, err := f.tensor(name)
	if err != nil {
		return err
	}
	if int64(len(dst)) != t.Elements() {
		return fmt.Errorf("gguf: %s: tensor %q: dst has %d elements, tensor %d", f.name(), name, len(dst), t.Elements())
	}
	raw, err := f.ReadRaw(name)
	if err != nil {
		return err
	}
	if err := dequantize(t.Type, raw, len(dst), dst); err != nil {
		return fmt.Errorf("gguf: %s: tensor %q: %w", f.name(), name, err)
	}
	return nil
}
