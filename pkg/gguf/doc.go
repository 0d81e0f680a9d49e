// Package gguf reads and writes GGUF model files (the llama.cpp / ggml format) and
// dequantizes their tensors to float32.
//
// # Usage
//
//	f, err := gguf.Open("model.gguf")
//	if err != nil { ... }
//	defer f.Close()
//	arch := f.Arch()                                   // "llama", "gemma3", ...
//	layers, err := f.Uint(arch + ".block_count")
//	vocab, err := f.Strings("tokenizer.ggml.tokens")
//	w, shape, err := f.ReadF32("blk.0.attn_q.weight")  // shape is row-major
//
// Write is the inverse of Open and makes small GGUF files for tests:
//
//	gguf.Write(w, []gguf.KV{{"general.architecture", gguf.MustValueOf("llama")}},
//		[]gguf.WriteTensor{gguf.F32Tensor("x", []int{2, 3}, data)})
//
// # Format
//
// A GGUF file is a header (magic "GGUF", version, tensor count, metadata count),
// metadata key-value pairs, tensor infos (name, dims, ggml type, offset), padding to
// the alignment (metadata "general.alignment", default 32), then the tensor data.
// Versions 2 and 3 (little-endian) are read; version 1 and big-endian files are
// rejected with ErrUnsupported. Write produces version 3.
//
// # Shapes
//
// TensorInfo.Dims are in GGUF order: Dims[0] is the length of a row, the fastest
// varying index. TensorInfo.Shape and ReadF32 give the row-major shape (the reverse),
// as numpy, torch and GoMLX write it: a weight llama.cpp lists as [576 1536] is a
// [1536, 576] matrix of 1536 rows.
//
// # Dequantization
//
// Dequantize and ReadF32 decode F32, F16, BF16, F64, I8, I16, I32, Q4_0, Q4_1, Q5_0,
// Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K and Q8_K (CanDequantize tells). Results are
// bit-exact with the gguf Python package's numpy dequantizer (gguf-py 0.19.0, a port
// of ggml-quants.c): the tests compare every tensor of the real registry models
// (sha256 of the float32 bytes) and random blocks of F16, BF16, Q4_0, Q4_1, Q5_0,
// Q5_1, Q8_0 and Q2_K..Q6_K, all decoded by the reference through
// scripts/fixtures/gguf. Q8_K, F64 and the integer types, which the reference does
// not decode, are checked against hand-worked blocks.
// Other types (Q8_1, IQ*, TQ*, MXFP4) can be opened and read raw but not decoded.
//
// # Untrusted input
//
// Open treats the file as hostile. Every string length, array count, tensor count
// and tensor extent is checked against the bytes left in the file before anything is
// allocated, so a lying header cannot cause a large allocation; element counts are
// checked for overflow; keys and tensor names must be valid UTF-8; tensor data must
// lie inside the file and respect the alignment; unknown value or tensor types are
// errors. Errors name the file and the field (`gguf: model.gguf: tensor
// "blk.0.attn_q.weight": ...`) and wrap ErrFormat, ErrUnsupported, ErrNotFound or
// ErrType, for errors.Is. No exported function panics on bad input; FuzzOpen checks
// this.
//
// A File holds only the header in memory; tensor data is read on demand with
// ReadAt, so a File is safe for concurrent reads.
package gguf
