package gguf

import "fmt"

// GGMLType is the storage type of a tensor's elements, as ggml numbers it
// (enum ggml_type in ggml.h). Quantized types store elements in blocks.
type GGMLType uint32

// The ggml tensor types. Ids 4, 5, 31-33 and 36-38 were used by types that ggml has
// since removed; files holding them are rejected.
const (
	TypeF32     GGMLType = 0
	TypeF16     GGMLType = 1
	TypeQ4_0    GGMLType = 2
	TypeQ4_1    GGMLType = 3
	TypeQ5_0    GGMLType = 6
	TypeQ5_1    GGMLType = 7
	TypeQ8_0    GGMLType = 8
	TypeQ8_1    GGMLType = 9
	TypeQ2_K    GGMLType = 10
	TypeQ3_K    GGMLType = 11
	TypeQ4_K    GGMLType = 12
	TypeQ5_K    GGMLType = 13
	TypeQ6_K    GGMLType = 14
	TypeQ8_K    GGMLType = 15
	TypeIQ2_XXS GGMLType = 16
	TypeIQ2_XS  GGMLType = 17
	TypeIQ3_XXS GGMLType = 18
	TypeIQ1_S   GGMLType = 19
	TypeIQ4_NL  GGMLType = 20
	TypeIQ3_S   GGMLType = 21
	TypeIQ2_S   GGMLType = 22
	TypeIQ4_XS  GGMLType = 23
	TypeI8      GGMLType = 24
	TypeI16     GGMLType = 25
	TypeI32     GGMLType = 26
	TypeI64     GGMLType = 27
	TypeF64     GGMLType = 28
	TypeIQ1_M   GGMLType = 29
	TypeBF16    GGMLType = 30
	TypeTQ1_0   GGMLType = 34
	TypeTQ2_0   GGMLType = 35
	TypeMXFP4   GGMLType = 39
)

// typeTraits is the block layout of a ggml type: blockSize elements take typeSize bytes.
type typeTraits struct {
	name      string
	blockSize int
	typeSize  int
}

// traits lists every type a GGUF file may hold (ggml.c type_traits). Sizes are checked
// against the C structs in types_test.go's comments.
var traits = map[GGMLType]typeTraits{
	TypeF32:     {"F32", 1, 4},
	TypeF16:     {"F16", 1, 2},
	TypeQ4_0:    {"Q4_0", 32, 18},
	TypeQ4_1:    {"Q4_1", 32, 20},
	TypeQ5_0:    {"Q5_0", 32, 22},
	TypeQ5_1:    {"Q5_1", 32, 24},
	TypeQ8_0:    {"Q8_0", 32, 34},
	TypeQ8_1:    {"Q8_1", 32, 36},
	TypeQ2_K:    {"Q2_K", 256, 84},
	TypeQ3_K:    {"Q3_K", 256, 110},
	TypeQ4_K:    {"Q4_K", 256, 144},
	TypeQ5_K:    {"Q5_K", 256, 176},
	TypeQ6_K:    {"Q6_K", 256, 210},
	TypeQ8_K:    {"Q8_K", 256, 292},
	TypeIQ2_XXS: {"IQ2_XXS", 256, 66},
	TypeIQ2_XS:  {"IQ2_XS", 256, 74},
	TypeIQ3_XXS: {"IQ3_XXS", 256, 98},
	TypeIQ1_S:   {"IQ1_S", 256, 50},
	TypeIQ4_NL:  {"IQ4_NL", 32, 18},
	TypeIQ3_S:   {"IQ3_S", 256, 110},
	TypeIQ2_S:   {"IQ2_S", 256, 82},
	TypeIQ4_XS:  {"IQ4_XS", 256, 136},
	TypeI8:      {"I8", 1, 1},
	TypeI16:     {"I16", 1, 2},
	TypeI32:     {"I32", 1, 4},
	TypeI64:     {"I64", 1, 8},
	TypeF64:     {"F64", 1, 8},
	TypeIQ1_M:   {"IQ1_M", 256, 56},
	TypeBF16:    {"BF16", 1, 2},
	TypeTQ1_0:   {"TQ1_0", 256, 54},
	TypeTQ2_0:   {"TQ2_0", 256, 66},
	TypeMXFP4:   {"MXFP4", 32, 17},
}

// String returns ggml's name for the type ("Q4_K"), or "GGMLType(n)" for an unknown id.
func (t GGMLType) String() string {
	if tr, ok := traits[t]; ok {
		return tr.name
	}
	return fmt.Sprintf("GGMLType(%d)", uint32(t))
}

// Known reports whether t is a type this package can size (and so open).
func (t GGMLType) Known() bool { _, ok := traits[t]; return ok }

// BlockSize returns the number of elements in one block of t (1 for plain types),
// or 0 for an unknown type.
func (t GGMLType) BlockSize() int { return traits[t].blockSize }

// TypeSize returns the number of bytes one block of t takes, or 0 for an unknown type.
func (t GGMLType) TypeSize() int { return traits[t].typeSize }

// RowSize returns the bytes taken by n elements of type t. n must be a multiple of
// the block size; otherwise, or for an unknown type, it returns -1.
func (t GGMLType) RowSize(n int64) int64 {
	tr, ok := traits[t]
	if !ok || n < 0 || n%int64(tr.blockSize) != 0 {
		return -1
	}
	return n / int64(tr.blockSize) * int64(tr.typeSize)
}

// ParseGGMLType returns the type named s ("Q4_K", case-sensitive as ggml spells it).
func ParseGGMLType(s string) (GGMLType, bool) {
	for t, tr := range traits {
		if tr.name == s {
			return t, true
		}
	}
	return 0, false
}

// ValueType is the type of a metadata value (enum gguf_type in gguf.h).
type ValueType uint32

// The metadata value types.
const (
	TypeUint8   ValueType = 0
	TypeInt8    ValueType = 1
	TypeUint16  ValueType = 2
	TypeInt16   ValueType = 3
	TypeUint32  ValueType = 4
	TypeInt32   ValueType = 5
	TypeFloat32 ValueType = 6
	TypeBool    ValueType = 7
	TypeString  ValueType = 8
	TypeArray   ValueType = 9
	TypeUint64  ValueType = 10
	TypeInt64   ValueType = 11
	TypeFloat64 ValueType = 12
)

var valueTypeNames = [...]string{"uint8", "int8", "uint16", "int16", "uint32", "int32",
	"float32", "bool", "string", "array", "uint64", "int64", "float64"}

// String returns the type's name ("uint32"), or "ValueType(n)" for an unknown id.
func (t ValueType) String() string {
	if int(t) < len(valueTypeNames) {
		return valueTypeNames[t]
	}
	return fmt.Sprintf("ValueType(%d)", uint32(t))
}

// valid reports whether t is a value type of the GGUF specification.
func (t ValueType) valid() bool { return int(t) < len(valueTypeNames) }

// minSize is the fewest bytes a value of type t takes in a file: a fixed-size scalar
// takes its size, a string its 8-byte length, an array its 4-byte type + 8-byte count.
// It bounds element counts by the bytes left in the file.
func (t ValueType) minSize() int64 {
	switch t {
	case TypeUint8, TypeInt8, TypeBool:
		return 1
	case TypeUint16, TypeInt16:
		return 2
	case TypeUint32, TypeInt32, TypeFloat32:
		return 4
	case TypeUint64, TypeInt64, TypeFloat64, TypeString:
		return 8
	case TypeArray:
		return 12
	}
	return 1
}
