package gguf_test

import (
	"bytes"
	"fmt"
	"log"

	"github.com/ifprobe/ifprobe/pkg/gguf"
)

// Write a tiny GGUF in memory, open it, and read metadata and a tensor back.
func Example() {
	var buf bytes.Buffer
	meta := []gguf.KV{
		{Key: "general.architecture", Value: gguf.MustValueOf("llama")},
		{Key: "llama.block_count", Value: gguf.MustValueOf(uint32(2))},
		{Key: "tokenizer.ggml.tokens", Value: gguf.MustValueOf([]string{"<s>", "hi"})},
	}
	w := gguf.F32Tensor("output.weight", []int{2, 3}, []float32{0.5, 1, 1.5, 2, 2.5, 3})
	if err := gguf.Write(&buf, meta, []gguf.WriteTensor{w}); err != nil {
		log.Fatal(err)
	}

	f, err := gguf.NewFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "tiny.gguf")
	if err != nil {
		log.Fatal(err)
	}
	layers, _ := f.Uint(f.Arch() + ".block_count")
	tokens, _ := f.Strings("tokenizer.ggml.tokens")
	info, _ := f.Tensor("output.weight")
	data, shape, _ := f.ReadF32("output.weight")
	fmt.Println(f.Arch(), layers, tokens)
	fmt.Println(info.Type, info.Dims, shape)
	fmt.Printf("row 1: %.4f\n", data[3:6])
	// Output:
	// llama 2 [<s> hi]
	// F32 [3 2] [2 3]
	// row 1: [2.0000 2.5000 3.0000]
}

// Decode one Q8_0 block: a float16 scale followed by 32 signed bytes.
func ExampleDequantize() {
	block := make([]byte, gguf.TypeQ8_0.TypeSize())
	block[0], block[1] = 0x00, 0x38 // float16 0.5
	for i := range 32 {
		block[2+i] = byte(int8(i - 16))
	}
	y := make([]float32, 32)
	if err := gguf.Dequantize(gguf.TypeQ8_0, block, 32, y); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%.4f %.4f %.4f\n", y[0], y[16], y[31])
	// Output:
	// -8.0000 0.0000 7.5000
}
