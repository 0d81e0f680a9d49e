package gguf

import (
	"math/rand/v2"
	"testing"
)

// benchElements is the tensor size of the benchmarks: a 1024x1024 weight matrix.
const benchElements = 1 << 20

// BenchmarkDequantize decodes one 1M-element tensor of each type. F32 (a plain
// little-endian copy) is the peer that the other types are compared with in
// BENCHMARKS.md. Run: go test -run '^$' -bench Dequantize ./pkg/gguf
func BenchmarkDequantize(b *testing.B) {
	for _, typ := range []GGMLType{TypeF32, TypeF16, TypeBF16, TypeQ8_0, TypeQ4_0, TypeQ4_1,
		TypeQ5_0, TypeQ5_1, TypeQ2_K, TypeQ3_K, TypeQ4_K, TypeQ5_K, TypeQ6_K} {
		b.Run(typ.String(), func(b *testing.B) { benchDequantize(b, typ) })
	}
}

func benchDequantize(b *testing.B, typ GGMLType) {
	rng := rand.New(rand.NewPCG(7, 7))
	raw := make([]byte, typ.RowSize(benchElements))
	for i := range raw {
		raw[i] = byte(rng.UintN(256))
	}
	normalScales(typ, raw)
	dst := make([]float32, benchElements)
	b.SetBytes(int64(4 * benchElements)) // float32 bytes produced
	b.ResetTimer()
	for range b.N {
		if err := Dequantize(typ, raw, benchElements, dst); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(benchElements)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Melem/s")
}

// f16Fields lists the byte offsets of the float16 scales in one block of each
// quantized type (ggml-common.h). Random bytes there would often be subnormal or NaN,
// which real weights never are and which are slow on x86.
var f16Fields = map[GGMLType][]int{
	TypeQ4_0: {0}, TypeQ4_1: {0, 2}, TypeQ5_0: {0}, TypeQ5_1: {0, 2}, TypeQ8_0: {0},
	TypeQ2_K: {80, 82}, TypeQ3_K: {108}, TypeQ4_K: {0, 2}, TypeQ5_K: {0, 2}, TypeQ6_K: {208},
}

// normalScales makes the floats in random blocks normal numbers of moderate size:
// exponent bits of float16 scales, F16, BF16 and F32 values are set near 2^-1.
func normalScales(typ GGMLType, raw []byte) {
	switch typ {
	case TypeF16:
		for i := 1; i < len(raw); i += 2 {
			raw[i] = raw[i]&0x83 | 0x38
		}
	case TypeBF16:
		for i := 1; i < len(raw); i += 2 {
			raw[i] = raw[i]&0x80 | 0x3f
		}
	case TypeF32:
		for i := 3; i < len(raw); i += 4 {
			raw[i] = raw[i]&0x80 | 0x3f
		}
	}
	size := typ.TypeSize()
	for b := 0; b+size <= len(raw); b += size {
		for _, off := range f16Fields[typ] {
			raw[b+off+1] = raw[b+off+1]&0x83 | 0x20 // exponent 8..11: about 2^-7 .. 2^-4
		}
	}
}
