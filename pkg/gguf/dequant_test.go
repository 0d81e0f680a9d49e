package gguf

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// TestDequantizeBlocks decodes random blocks of every type that the reference
// implements and compares bit for bit. Provenance: testdata/blocks/<TYPE>.raw are
// seeded random blocks (finite f16 scales) and <TYPE>.f32 their decoding by
// gguf-py 0.19.0 (gguf.quants.dequantize, numpy 2.4.6), written by
// scripts/fixtures/gguf/make_fixtures.sh. Tolerance: none (bit-exact).
func TestDequantizeBlocks(t *testing.T) {
	for i, typ := range []GGMLType{TypeF16, TypeBF16, TypeQ4_0, TypeQ4_1, TypeQ5_0, TypeQ5_1,
		TypeQ8_0, TypeQ2_K, TypeQ3_K, TypeQ4_K, TypeQ5_K, TypeQ6_K} {
		raw, want := readBlockFixture(t, typ)
		got := make([]float32, len(want))
		if err := Dequantize(typ, raw, len(want), got); err != nil {
			t.Fatalf("%d %s: %v", i, typ, err)
		}
		for j := range want {
			if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
				t.Errorf("%d %s: element %d = %v (%#08x), reference %v (%#08x)", i, typ, j,
					got[j], math.Float32bits(got[j]), want[j], math.Float32bits(want[j]))
				break
			}
		}
	}
}

func readBlockFixture(t *testing.T, typ GGMLType) (raw []byte, want []float32) {
	t.Helper()
	base := filepath.Join("testdata", "blocks", typ.String())
	raw, err := os.ReadFile(base + ".raw")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(base + ".f32")
	if err != nil {
		t.Fatal(err)
	}
	want = make([]float32, len(b)/4)
	for i := range want {
		want[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return raw, want
}

// TestDequantizeHandWorked checks one block per type against values worked out by
// hand from the block layouts in ggml-common.h, including the types the Python
// reference does not decode (Q8_K, I8, I16, I32, F64).
func TestDequantizeHandWorked(t *testing.T) {
	half := func(x float32) []byte { // exact halves only
		return binary.LittleEndian.AppendUint16(nil, f32ToF16Exact(x))
	}
	cat := func(parts ...[]byte) []byte {
		var out []byte
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	rep := func(b byte, n int) []byte {
		out := make([]byte, n)
		for i := range out {
			out[i] = b
		}
		return out
	}
	q8k := cat(binary.LittleEndian.AppendUint32(nil, math.Float32bits(0.5)), rep(0xfe, 256), make([]byte, 32))
	for i, c := range []struct {
		typ  GGMLType
		raw  []byte
		n    int
		want []float32 // the first two elements and the last
	}{
		// Q4_0: d=0.5, every byte 0x3A: low nibble 10 -> (10-8)*0.5 = 1, high 3 -> -2.5.
		{TypeQ4_0, cat(half(0.5), rep(0x3a, 16)), 32, []float32{1, 1, -2.5}}, // 0
		// Q4_1: d=2, m=-1, byte 0x21: low 1 -> 1, high 2 -> 3.
		{TypeQ4_1, cat(half(2), half(-1), rep(0x21, 16)), 32, []float32{1, 1, 3}}, // 1
		// Q5_0: d=1, qh bit 0 set: element 0 = (0|16)-16 = 0, element 1 = 0-16.
		{TypeQ5_0, cat(half(1), []byte{1, 0, 0, 0}, rep(0, 16)), 32, []float32{0, -16, -16}}, // 2
		// Q8_0: d=0.25, q = -4 -> -1.
		{TypeQ8_0, cat(half(0.25), rep(0xfc, 32)), 32, []float32{-1, -1, -1}}, // 3
		// Q8_K: d=0.5 (f32), q = -2 -> -1.
		{TypeQ8_K, q8k, 256, []float32{-1, -1, -1}},                                                                  // 4
		{TypeI8, []byte{0xff, 7}, 2, []float32{-1, 7, 7}},                                                            // 5
		{TypeI16, []byte{0xfe, 0xff, 3, 1}, 2, []float32{-2, 259, 259}},                                              // 6
		{TypeI32, binary.LittleEndian.AppendUint32(nil, 0xfffffffd), 1, []float32{-3, -3, -3}},                       // 7
		{TypeF64, binary.LittleEndian.AppendUint64(nil, math.Float64bits(0.125)), 1, []float32{0.125, 0.125, 0.125}}, // 8
		// F16 subnormal: 0x0001 = 2^-24.
		{TypeF16, []byte{1, 0, 0, 0x80}, 2, []float32{0x1p-24, float32(math.Copysign(0, -1)), float32(math.Copysign(0, -1))}}, // 9
	} {
		got := make([]float32, c.n)
		if err := Dequantize(c.typ, c.raw, c.n, got); err != nil {
			t.Fatalf("%d %s: %v", i, c.typ, err)
		}
		var first2 []float32
		if c.n > 1 {
			first2 = got[:2]
		} else {
			first2 = []float32{got[0], got[0]}
		}
		gotSel := []float32{first2[0], first2[1], got[c.n-1]}
		for j := range gotSel {
			if math.Float32bits(gotSel[j]) != math.Float32bits(c.want[j]) {
				t.Errorf("%d %s: got %v, want %v", i, c.typ, gotSel, c.want)
				break
			}
		}
	}
}

// f32ToF16Exact converts a float32 that a half represents exactly (test values).
func f32ToF16Exact(x float32) uint16 {
	for h := 0; h < 1<<16; h++ {
		if f16(uint16(h)) == x && math.Signbit(float64(f16(uint16(h)))) == math.Signbit(float64(x)) {
			return uint16(h)
		}
	}
	panic("not an exact half")
}

func TestDequantizeErrors(t *testing.T) {
	dst := make([]float32, 64)
	for i, c := range []struct {
		typ  GGMLType
		raw  []byte
		n    int
		want error
	}{
		{TypeIQ2_XXS, make([]byte, 66), 256, ErrUnsupported}, // 0: known but not decoded
		{GGMLType(99), nil, 0, ErrUnsupported},               // 1: unknown
		{TypeQ4_0, make([]byte, 17), 32, nil},                // 2: short raw
		{TypeQ4_0, make([]byte, 18), 31, nil},                // 3: not a block multiple
		{TypeF32, make([]byte, 4*65), 65, nil},               // 4: dst too small
	} {
		err := Dequantize(c.typ, c.raw, c.n, dst)
		if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%d: Dequantize(%s, %d bytes, n=%d) = %v, want error %v", i, c.typ, len(c.raw), c.n, err, c.want)
		}
	}
}

func TestF16AllValues(t *testing.T) {
	// Provenance: the IEEE 754 binary16 definition; every non-NaN half is checked
	// against value = (-1)^s * 2^(e-15) * (1 + m/1024), or 2^-14 * m/1024 when e = 0.
	for h := 0; h < 1<<16; h++ {
		s, e, m := h>>15, (h>>10)&0x1f, h&0x3ff
		got := f16(uint16(h))
		var want float64
		switch {
		case e == 0x1f && m != 0:
			if !math.IsNaN(float64(got)) {
				t.Fatalf("f16(%#04x) = %v, want NaN", h, got)
			}
			continue
		case e == 0x1f:
			want = math.Inf(1)
		case e == 0:
			want = math.Ldexp(float64(m)/1024, -14)
		default:
			want = math.Ldexp(1+float64(m)/1024, e-15)
		}
		if s == 1 {
			want = -want
		}
		if float64(got) != want || math.Signbit(float64(got)) != (s == 1) {
			t.Fatalf("f16(%#04x) = %v, want %v", h, got, want)
		}
	}
}

func TestTypeSizes(t *testing.T) {
	// Provenance: sizeof(block_*) in ggml-common.h; gguf-py GGML_QUANT_SIZES agrees.
	for i, c := range []struct {
		typ         GGMLType
		block, size int
	}{
		{TypeQ4_0, 32, 18}, {TypeQ4_1, 32, 20}, {TypeQ5_0, 32, 22}, {TypeQ5_1, 32, 24}, // 0-3
		{TypeQ8_0, 32, 34}, {TypeQ2_K, 256, 84}, {TypeQ3_K, 256, 110}, {TypeQ4_K, 256, 144}, // 4-7
		{TypeQ5_K, 256, 176}, {TypeQ6_K, 256, 210}, {TypeQ8_K, 256, 292}, {TypeBF16, 1, 2}, // 8-11
	} {
		if c.typ.BlockSize() != c.block || c.typ.TypeSize() != c.size {
			t.Errorf("%d %s: block %d size %d, want %d %d", i, c.typ, c.typ.BlockSize(), c.typ.TypeSize(), c.block, c.size)
		}
		if p, ok := ParseGGMLType(c.typ.String()); !ok || p != c.typ {
			t.Errorf("%d: ParseGGMLType(%q) = %v, %v", i, c.typ, p, ok)
		}
	}
	if s := GGMLType(4).String(); s != "GGMLType(4)" {
		t.Errorf("removed type 4: String() = %q", s)
	}
}
