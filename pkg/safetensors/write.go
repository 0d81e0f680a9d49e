package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/bits"
	"sort"

	"github.com/ifprobe/ifprobe/pkg/atomicfile"
)

// Tensor is a tensor to write: little-endian bytes of Shape in DType.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// NewTensor encodes float32 values as dt (F32, F16 or BF16; see EncodeFloat32).
func NewTensor(name string, dt DType, shape []int, values []float32) (Tensor, error) {
	n, err := numElements(shape)
	if err != nil {
		return Tensor{}, fmt.Errorf("safetensors: tensor %q: %w", name, err)
	}
	if n != int64(len(values)) {
		return Tensor{}, fmt.Errorf("safetensors: tensor %q: shape %v needs %d values, got %d", name, shape, n, len(values))
	}
	data, err := EncodeFloat32(make([]byte, 0, len(values)*dt.Size()), values, dt)
	if err != nil {
		return Tensor{}, fmt.Errorf("safetensors: tensor %q: %w", name, err)
	}
	return Tensor{Name: name, DType: dt, Shape: append([]int(nil), shape...), Data: data}, nil
}

func numElements(shape []int) (int64, error) {
	n := uint64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension in shape %v", shape)
		}
		hi, lo := bits.Mul64(n, uint64(d))
		if hi != 0 || lo > math.MaxInt64 {
			return 0, fmt.Errorf("shape %v overflows", shape)
		}
		n = lo
	}
	return int64(n), nil
}

// entry is one tensor entry of the header, fields in the reference's order.
type entry struct {
	DType       DType    `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// Encode writes tensors and metadata (may be nil) in safetensors format to w and
// returns the number of bytes written. Tensors are laid out in name order, the header
// is padded with spaces to a multiple of 8 bytes, and the output depends only on the
// arguments, so equal inputs give byte-identical files.
func Encode(w io.Writer, tensors []Tensor, metadata map[string]string) (int64, error) {
	sorted := append([]Tensor(nil), tensors...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	header := map[string]any{}
	if len(metadata) > 0 {
		header[metadataKey] = metadata
	}
	off := int64(0)
	for i, t := range sorted {
		if err := checkTensor(t); err != nil {
			return 0, err
		}
		if i > 0 && sorted[i-1].Name == t.Name {
			return 0, fmt.Errorf("safetensors: tensor %q: duplicate name", t.Name)
		}
		header[t.Name] = entry{DType: t.DType, Shape: t.Shape, DataOffsets: [2]int64{off, off + int64(len(t.Data))}}
		off += int64(len(t.Data))
	}
	hdr, err := json.Marshal(header)
	if err != nil {
		return 0, fmt.Errorf("safetensors: encode header: %w", err)
	}
	for len(hdr)%8 != 0 {
		hdr = append(hdr, ' ')
	}
	var total int64
	write := func(b []byte) error {
		n, err := w.Write(b)
		total += int64(n)
		return err
	}
	if err := write(binary.LittleEndian.AppendUint64(nil, uint64(len(hdr)))); err != nil {
		return total, fmt.Errorf("safetensors: write: %w", err)
	}
	if err := write(hdr); err != nil {
		return total, fmt.Errorf("safetensors: write: %w", err)
	}
	for _, t := range sorted {
		if err := write(t.Data); err != nil {
			return total, fmt.Errorf("safetensors: write tensor %q: %w", t.Name, err)
		}
	}
	return total, nil
}

func checkTensor(t Tensor) error {
	if t.Name == "" || t.Name == metadataKey {
		return fmt.Errorf("safetensors: invalid tensor name %q", t.Name)
	}
	size := t.DType.Size()
	if size == 0 {
		return fmt.Errorf("safetensors: tensor %q: dtype %q: %w", t.Name, t.DType, ErrDType)
	}
	n, err := numElements(t.Shape)
	if err != nil {
		return fmt.Errorf("safetensors: tensor %q: %w", t.Name, err)
	}
	if hi, lo := bits.Mul64(uint64(n), uint64(size)); hi != 0 || lo != uint64(len(t.Data)) {
		return fmt.Errorf("safetensors: tensor %q: shape %v of %s needs %d×%d bytes, data has %d", t.Name, t.Shape, t.DType, n, size, len(t.Data))
	}
	return nil
}

// WriteFile writes tensors and metadata to path atomically: it writes a temporary file
// in the same directory, syncs it, renames it over path and syncs the directory, so
// path holds either its old contents or the complete new file, even after a crash.
func WriteFile(path string, tensors []Tensor, metadata map[string]string) error {
	return writeAtomic(path, func(w io.Writer) error {
		_, err := Encode(w, tensors, metadata)
		return err
	})
}

// writeAtomic writes path through atomicfile, with this package's error prefix.
func writeAtomic(path string, write func(io.Writer) error) error {
	if err := atomicfile.Write(path, write); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}
