package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/go_written.* (then rerun scripts/fixtures/safetensors/gen.sh)")

// expectedTensor is one entry of testdata/expected.json, written by
// scripts/fixtures/safetensors/gen.py with safetensors 0.7.0 + numpy 2.3.5.
type expectedTensor struct {
	DType   DType    `json:"dtype"`
	Shape   []int    `json:"shape"`
	F32Bits []uint32 `json:"f32_bits"`
}

func loadExpected(t *testing.T) map[string]map[string]expectedTensor {
	t.Helper()
	data, err := os.ReadFile("testdata/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]map[string]expectedTensor
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	return want
}

type tensorSource interface {
	Names() []string
	Info(string) (TensorInfo, bool)
	Float32(string, []float32) ([]float32, error)
}

// checkAgainst compares every tensor bit for bit (NaN payloads included) with numpy's
// float32 view of what Python wrote.
func checkAgainst(t *testing.T, src tensorSource, want map[string]expectedTensor) {
	t.Helper()
	if got := len(src.Names()); got != len(want) {
		t.Errorf("%d tensors, want %d", got, len(want))
	}
	for name, w := range want {
		info, ok := src.Info(name)
		if !ok {
			t.Errorf("tensor %q missing", name)
			continue
		}
		if info.DType != w.DType || !reflect.DeepEqual(append([]int{}, info.Shape...), append([]int{}, w.Shape...)) {
			t.Errorf("%q: %s%v, want %s%v", name, info.DType, info.Shape, w.DType, w.Shape)
		}
		got, err := src.Float32(name, nil)
		if err != nil {
			t.Errorf("%q: %v", name, err)
			continue
		}
		if len(got) != len(w.F32Bits) {
			t.Errorf("%q: %d values, want %d", name, len(got), len(w.F32Bits))
			continue
		}
		for i, v := range got {
			if math.Float32bits(v) != w.F32Bits[i] {
				t.Errorf("%q[%d] = %g (0x%08x), want 0x%08x", name, i, v, math.Float32bits(v), w.F32Bits[i])
			}
		}
	}
}

func TestReadPythonSingle(t *testing.T) {
	f, err := Open("testdata/py_single.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	checkAgainst(t, f, loadExpected(t)["py_single.safetensors"])
	if got, want := f.Metadata(), map[string]string{"format": "np", "source": "gen.py"}; !reflect.DeepEqual(got, want) {
		t.Errorf("metadata %v, want %v", got, want)
	}
	raw, err := f.Raw("i32.values", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := int32(binary.LittleEndian.Uint32(raw[12:])); got != math.MinInt32 {
		t.Errorf("raw i32.values[1][1] = %d, want %d", got, math.MinInt32)
	}
	if _, err := f.Float32("nope", nil); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "py_single") {
		t.Errorf("missing tensor: err = %v, want ErrNotFound naming the file", err)
	}
}

func TestReadPythonSharded(t *testing.T) {
	want := loadExpected(t)["py_sharded"]
	for _, path := range []string{"testdata/py_sharded", "testdata/py_sharded/" + IndexFile} {
		c, err := OpenCheckpoint(path)
		if err != nil {
			t.Fatal(err)
		}
		checkAgainst(t, c, want)
		if n := len(c.Files()); n != 2 {
			t.Errorf("%s: %d shard files, want 2", path, n)
		}
		if f, _ := c.File("lm_head.weight"); f == nil || !strings.HasSuffix(f.Name(), "model-00002-of-00002.safetensors") {
			t.Errorf("%s: lm_head.weight not attributed to shard 2", path)
		}
		c.Close()
	}
	c, err := OpenCheckpoint("testdata/py_single.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	checkAgainst(t, c, loadExpected(t)["py_single.safetensors"])
}

func TestIndexErrors(t *testing.T) {
	dir := t.TempDir()
	src, _ := os.ReadFile("testdata/py_sharded/model-00001-of-00002.safetensors")
	os.WriteFile(filepath.Join(dir, "a.safetensors"), src, 0o644)
	for i, tc := range []struct {
		index string
		want  string
	}{
		{`{"weight_map": {"x": "../a.safetensors"}}`, "not a plain file name"},                    // 0
		{`{"weight_map": {}}`, "empty or missing weight_map"},                                     // 1
		{`{"weight_map": {"nope": "a.safetensors"}}`, `tensor "nope" is mapped to a.safetensors`}, // 2
		{`{"weight_map": {"x": "missing.safetensors"}}`, `shard "missing.safetensors"`},           // 3
		{`{"weight_map": [1]}`, "cannot unmarshal"},                                               // 4
	} {
		p := filepath.Join(dir, IndexFile)
		os.WriteFile(p, []byte(tc.index), 0o644)
		_, err := OpenCheckpoint(dir)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), IndexFile) {
			t.Errorf("%d: err = %v, want one naming %s and containing %q", i, err, IndexFile, tc.want)
		}
	}
	if _, err := OpenCheckpoint(t.TempDir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("empty dir: err = %v, want os.ErrNotExist", err)
	}
}

func TestFloat16RoundTripAll(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		f := Float16ToFloat32(uint16(h))
		if back := Float32ToFloat16(f); back != uint16(h) {
			t.Fatalf("half 0x%04x -> %g -> 0x%04x", h, f, back)
		}
	}
}

func TestFloat16RoundingMatchesNumpy(t *testing.T) {
	// Pairs of (float32 bits, numpy astype(float16) bits) from gen.py.
	data, err := os.ReadFile("testdata/f16_rounding.json")
	if err != nil {
		t.Fatal(err)
	}
	var pairs [][2]uint32
	if err := json.Unmarshal(data, &pairs); err != nil {
		t.Fatal(err)
	}
	if len(pairs) < 1000 {
		t.Fatalf("only %d pairs", len(pairs))
	}
	for i, p := range pairs {
		if got := Float32ToFloat16(math.Float32frombits(p[0])); got != uint16(p[1]) {
			t.Errorf("%d: %g -> 0x%04x, numpy 0x%04x", i, math.Float32frombits(p[0]), got, p[1])
		}
	}
}

func TestBFloat16(t *testing.T) {
	for i, tc := range []struct {
		in   float32
		want uint16
	}{
		{1, 0x3f80}, // 0: exact
		{math.Float32frombits(0x3f808000), 0x3f80}, // 1: tie, even stays
		{math.Float32frombits(0x3f818000), 0x3f82}, // 2: tie, odd rounds up
		{math.Float32frombits(0x3f808001), 0x3f81}, // 3: above tie
		{math.MaxFloat32, 0x7f80},                  // 4: rounds to +Inf
		{float32(math.Inf(-1)), 0xff80},            // 5
	} {
		if got := Float32ToBFloat16(tc.in); got != tc.want {
			t.Errorf("%d: %g -> 0x%04x, want 0x%04x", i, tc.in, got, tc.want)
		}
	}
	if nan := Float32ToBFloat16(math.Float32frombits(0x7f800001)); nan&0x7f != 0 && nan&0x7f80 != 0x7f80 || nan == 0x7f80 {
		t.Errorf("NaN became 0x%04x", nan)
	}
}

// goWritten is the deterministic content of testdata/go_written.safetensors.
func goWritten(t *testing.T) ([]Tensor, map[string]string) {
	a := make([]float32, 12)
	for i := range a {
		a[i] = float32(i)*0.25 - 1
	}
	b := []float32{0, -0.0, 1.0 / 3, 65504, 1e-7, -2.5, float32(math.Inf(1))}
	ta, err := NewTensor("blocks.0.resid_post", F32, []int{3, 4}, a)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := NewTensor("blocks.1.resid_post", F16, []int{7}, b)
	if err != nil {
		t.Fatal(err)
	}
	return []Tensor{tb, ta}, map[string]string{"writer": "ifprobe", "note": "<&>"}
}

func TestWriterGolden(t *testing.T) {
	tensors, meta := goWritten(t)
	var buf bytes.Buffer
	if _, err := Encode(&buf, tensors, meta); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := WriteFile("testdata/go_written.safetensors", tensors, meta); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"metadata": meta, "tensors": map[string]any{}}
		for _, tt := range tensors {
			v, _ := DecodeFloat32(nil, tt.Data, tt.DType)
			bitsOf := make([]uint32, len(v))
			for i := range v {
				bitsOf[i] = math.Float32bits(v[i])
			}
			want["tensors"].(map[string]any)[tt.Name] = map[string]any{"shape": tt.Shape, "f32_bits": bitsOf}
		}
		js, _ := json.MarshalIndent(want, "", " ")
		os.WriteFile("testdata/go_written.json", js, 0o644)
	}
	golden, err := os.ReadFile("testdata/go_written.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	// gen.py checked that safetensors.numpy reads the golden file to the same values.
	if !bytes.Equal(buf.Bytes(), golden) {
		t.Errorf("Encode output differs from testdata/go_written.safetensors (%d vs %d bytes)", buf.Len(), len(golden))
	}
	if binary.LittleEndian.Uint64(golden)%8 != 0 {
		t.Errorf("header not padded to 8 bytes")
	}
	f, err := NewFile(bytes.NewReader(golden), int64(len(golden)), "golden")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tensors {
		raw, err := f.Raw(tt.Name, nil)
		if err != nil || !bytes.Equal(raw, tt.Data) {
			t.Errorf("%q: round trip differs (err %v)", tt.Name, err)
		}
	}
	if !reflect.DeepEqual(f.Metadata(), meta) {
		t.Errorf("metadata %v, want %v", f.Metadata(), meta)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.safetensors")
	tensors, meta := goWritten(t)
	if err := WriteFile(path, tensors, meta); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	bad := append(tensors, Tensor{Name: "bad", DType: F32, Shape: []int{2}, Data: make([]byte, 7)})
	err := WriteFile(path, bad, nil)
	if err == nil || !strings.Contains(err.Error(), `"bad"`) {
		t.Fatalf("short data: err = %v, want an error naming the tensor", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("a failed WriteFile changed the existing file")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	dup := []Tensor{tensors[0], tensors[0]}
	if err := WriteFile(path, dup, nil); err == nil || !strings.Contains(err.Error(), "duplicate") {
		t.Errorf("duplicate names: err = %v", err)
	}
	if _, err := NewTensor("x", I32, []int{1}, []float32{1}); !errors.Is(err, ErrDType) {
		t.Errorf("NewTensor I32: err = %v, want ErrDType", err)
	}
}

// build assembles a file from a raw header string and n data bytes.
func build(header string, n int) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, make([]byte, n)...)
}

func TestOpenRejectsBadFiles(t *testing.T) {
	ok := `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`
	for i, tc := range []struct {
		data []byte
		err  error
		want string
	}{
		{[]byte{1, 2, 3}, ErrFormat, "too short"},                                                                                                       // 0
		{binary.LittleEndian.AppendUint64(nil, 1<<60), ErrFormat, "exceeds the maximum"},                                                                // 1
		{append(binary.LittleEndian.AppendUint64(nil, 1000), "{}"...), ErrFormat, "exceeds the 2 bytes"},                                                // 2
		{build(ok, 4), ErrFormat, "cover 8 data bytes but the file has 4"},                                                                              // 3: truncated data
		{build(ok, 12), ErrFormat, "cover 8 data bytes but the file has 12"},                                                                            // 4: trailing bytes
		{build(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, 8), ErrFormat, `tensor "a": data_offsets [0 8] span 8 bytes`},                  // 5
		{build(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8), ErrFormat, "overlap"}, // 6
		{build(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8), ErrFormat, "gap"},                                                          // 7
		{build(`{"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}`, 8), ErrDType, `tensor "a": dtype "Q4"`},                                         // 8
		{build(`{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}`, 8), ErrFormat, "overflows"},                                // 9
		{build(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}}`, 8), ErrFormat, `tensor "a"`},                                                  // 10
		{build(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}`, 8), ErrFormat, "out of order"},                                                 // 11
		{build(`{"a":{"dtype":"F32","shape":[2]}}`, 8), ErrFormat, "missing"},                                                                           // 12
		{build(ok[:len(ok)-1]+`,"a":{"dtype":"F32","shape":[0],"data_offsets":[8,8]}}`, 8), ErrFormat, "duplicate"},                                     // 13
		{build(`[1]`, 0), ErrFormat, "does not start with '{'"},                                                                                         // 14
		{build("{\"\xff\":1}", 0), ErrFormat, "UTF-8"},                                                                                                  // 15
		{build(`{"__metadata__":{"k":1}}`, 0), ErrFormat, "__metadata__"},                                                                               // 16
		{build(ok+`x`, 8), ErrFormat, "trailing"},                                                                                                       // 17
		{build(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8,9]}}`, 8), ErrFormat, "3 values"},                                                   // 18
	} {
		_, err := NewFile(bytes.NewReader(tc.data), int64(len(tc.data)), "bad.safetensors")
		if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "bad.safetensors") {
			t.Errorf("%d: err = %v, want %v containing %q and the file name", i, err, tc.err, tc.want)
		}
	}
}

// FuzzOpen checks that no input makes the reader panic or read out of bounds, and that
// whatever it accepts survives an Encode round trip. Seeds: testdata/fuzz/FuzzOpen
// (written by scripts/fixtures/safetensors/gen.py).
func FuzzOpen(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		sf, err := NewFile(bytes.NewReader(data), int64(len(data)), "fuzz")
		if err != nil {
			return
		}
		var tensors []Tensor
		for _, info := range sf.Tensors() {
			raw, err := sf.Raw(info.Name, nil)
			if err != nil {
				t.Fatalf("accepted file, but tensor %q does not read: %v", info.Name, err)
			}
			if info.DType.convertible() {
				v, err := sf.Float32(info.Name, nil)
				if err != nil || int64(len(v)) != info.NumElements() {
					t.Fatalf("tensor %q: %d values, err %v", info.Name, len(v), err)
				}
			}
			tensors = append(tensors, Tensor{Name: info.Name, DType: info.DType, Shape: info.Shape, Data: raw})
		}
		var buf bytes.Buffer
		if _, err := Encode(&buf, tensors, sf.Metadata()); err != nil {
			if strings.Contains(err.Error(), "invalid tensor name") {
				return // "" is a legal name to read but not to write
			}
			t.Fatalf("re-encode: %v", err)
		}
		again, err := NewFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "re-encoded")
		if err != nil {
			t.Fatalf("re-encoded file does not open: %v", err)
		}
		if !reflect.DeepEqual(again.Names(), sf.Names()) {
			t.Fatalf("names changed: %v vs %v", again.Names(), sf.Names())
		}
	})
}

// TestRawRange reads single rows of a [3, 2] tensor and refuses ranges outside it.
func TestRawRange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.safetensors")
	tn, err := NewTensor("w", F32, []int{3, 2}, []float32{1, 2, 3, 4, 5, 6})
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []Tensor{tn}, nil); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for row, want := range [][]float32{{1, 2}, {3, 4}, {5, 6}} {
		raw, err := f.RawRange("w", int64(row*8), 8, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := DecodeFloat32(nil, raw, F32)
		if !slices.Equal(got, want) {
			t.Errorf("row %d = %v, want %v", row, got, want)
		}
	}
	for _, c := range [][2]int64{{20, 8}, {-1, 4}, {0, 25}} {
		if _, err := f.RawRange("w", c[0], c[1], nil); err == nil {
			t.Errorf("RawRange(%d, %d) outside the tensor: no error", c[0], c[1])
		}
	}
	if _, err := f.RawRange("v", 0, 1, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing tensor: %v", err)
	}
}
