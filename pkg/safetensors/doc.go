// Package safetensors reads and writes tensors in the safetensors format of Hugging
// Face: single files and sharded checkpoints (model.safetensors.index.json).
//
// # Format
//
// A file is an 8-byte little-endian header length n, n bytes of JSON, then the data
// section. The JSON maps each tensor name to {"dtype", "shape", "data_offsets"}
// (offsets relative to the data section) and may hold a "__metadata__" object of
// string values. Element types are named as in the header: F32, F16, BF16, F64, I64,
// I32, I16, I8, U64, U32, U16, U8, BOOL, F8_E4M3, F8_E5M2 (see DType).
//
// # Reading
//
//	f, err := safetensors.Open("model.safetensors")  // reads and validates the header only
//	defer f.Close()
//	w, err := f.Float32("model.norm.weight", nil)    // reads that tensor's bytes only
//
// File.Float32 converts F32, F16, BF16 exactly, and F64 and the integer types to the
// nearest float32; File.Raw returns the stored bytes. OpenCheckpoint opens a model
// directory (sharded or not), an index file or one file, behind the same methods.
//
// # Untrusted input
//
// Model files come from the internet, so the reader trusts nothing it reads:
//   - the header length must fit in the file and in MaxHeaderSize (100 MB, as in the
//     reference implementation) and the header must be a UTF-8 JSON object;
//   - duplicate tensor names are rejected (a map would merge them silently);
//   - each shape's element count × dtype size is computed without overflow and must equal
//     its data_offsets span;
//   - the tensors must tile the data section exactly: no gaps, no overlaps, nothing past
//     the end of the file. So every allocation a read makes is bounded by the file size;
//   - an index may only name plain files in its own directory (no "../"), and each
//     tensor it maps must be in that shard;
//   - errors wrap ErrFormat, ErrDType or ErrNotFound and name the file and tensor.
//
// FuzzOpen exercises these rules; its seed corpus is in testdata/fuzz/FuzzOpen.
//
// # Writing
//
// Encode streams tensors to an io.Writer and WriteFile writes a file atomically (a
// temporary file in the same directory, fsync, rename, fsync of the directory), so a
// crash leaves either the old file or the complete new one. Output is deterministic:
// tensors in name order, header padded to 8 bytes. NewTensor encodes []float32 as F32,
// F16 or BF16, rounding to nearest even like numpy.
//
// # Why not github.com/nlpodyssey/safetensors
//
// It was evaluated (v0.0.0-20250209183917): it deserialises from one []byte holding the
// whole file, so reading one tensor of a multi-GB checkpoint or of an activation shard
// means reading or mapping everything; it does not reject duplicate names; it has no
// sharded checkpoints, no BF16/F16 conversion and no atomic writes, and has no tagged
// release. The format is small, so this package implements it on io.ReaderAt.
//
// # Compatibility
//
// testdata holds files written by the reference implementation (PyPI safetensors 0.7.0,
// numpy 2.3.5) that the tests read bit-exactly, and a file this package wrote that the
// same script reads back with Python: scripts/fixtures/safetensors/gen.sh regenerates
// and re-checks both.
package safetensors
