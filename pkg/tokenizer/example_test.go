package tokenizer_test

import (
	"bytes"
	"fmt"

	"github.com/ifprobe/ifprobe/pkg/gguf"
	"github.com/ifprobe/ifprobe/pkg/tokenizer"
)

// A byte-level BPE with the 256 byte characters of GPT-2, five merges and one
// control token, described by GGUF metadata built here.
func ExampleFromGGUF() {
	var tokens []string
	for b := 0; b < 256; b++ {
		tokens = append(tokens, string(gpt2Char(byte(b))))
	}
	merges := []string{"h i", "Ġ t", "h e", "Ġt he", "r e"}
	tokens = append(tokens, "hi", "Ġt", "he", "Ġthe", "re", "<|im_end|>")
	types := make([]int32, len(tokens))
	for i := range types {
		types[i] = 1 // normal
	}
	types[len(types)-1] = 3 // control
	meta := []gguf.KV{
		{Key: "tokenizer.ggml.model", Value: gguf.MustValueOf("gpt2")},
		{Key: "tokenizer.ggml.pre", Value: gguf.MustValueOf("gpt-2")},
		{Key: "tokenizer.ggml.tokens", Value: gguf.MustValueOf(tokens)},
		{Key: "tokenizer.ggml.token_type", Value: gguf.MustValueOf(types)},
		{Key: "tokenizer.ggml.merges", Value: gguf.MustValueOf(merges)},
	}
	var buf bytes.Buffer
	if err := gguf.Write(&buf, meta, nil); err != nil {
		fmt.Println(err)
		return
	}
	f, _ := gguf.NewFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "tiny.gguf")
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		fmt.Println(err)
		return
	}
	ids, _ := tok.Encode("hi there<|im_end|>", tokenizer.EncodeOptions{})
	for _, id := range ids {
		fmt.Printf("%d %q\n", id, tok.Piece(id))
	}
	fmt.Printf("%q\n", tok.Decode(ids))
	// Output:
	// 256 "hi"
	// 259 "Ġthe"
	// 260 "re"
	// 261 "<|im_end|>"
	// "hi there<|im_end|>"
}

// gpt2Char is GPT-2's byte-to-character map (bytes_to_unicode).
func gpt2Char(b byte) rune {
	if b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE {
		return rune(b)
	}
	n := 0
	for c := 0; c < int(b); c++ {
		if !(c >= '!' && c <= '~' || c >= 0xA1 && c <= 0xAC || c >= 0xAE) {
			n++
		}
	}
	return rune(256 + n)
}

// A streaming Decoder yields whole characters only: the emoji "🙂" comes as
// four byte tokens of a SentencePiece vocabulary and appears once complete.
// (Pieces merge pairwise, "▁"+"h" then "▁h"+"i", the higher score first.)
func ExampleDecoder() {
	tokens := []string{"<unk>", "<s>", "</s>", "▁", "h", "i", "▁h", "▁hi"}
	scores := []float32{0, 0, 0, -3, -4, -5, -2, -1}
	types := []int32{2, 3, 3, 1, 1, 1, 1, 1}
	for b := 0; b < 256; b++ {
		tokens = append(tokens, fmt.Sprintf("<0x%02X>", b))
		scores = append(scores, 0)
		types = append(types, 6) // byte
	}
	meta := []gguf.KV{
		{Key: "tokenizer.ggml.model", Value: gguf.MustValueOf("llama")},
		{Key: "tokenizer.ggml.tokens", Value: gguf.MustValueOf(tokens)},
		{Key: "tokenizer.ggml.scores", Value: gguf.MustValueOf(scores)},
		{Key: "tokenizer.ggml.token_type", Value: gguf.MustValueOf(types)},
	}
	var buf bytes.Buffer
	_ = gguf.Write(&buf, meta, nil)
	f, _ := gguf.NewFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "spm.gguf")
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		fmt.Println(err)
		return
	}
	ids, _ := tok.Encode("hi🙂", tokenizer.EncodeOptions{})
	dec := tok.NewDecoder()
	for _, id := range ids {
		fmt.Printf("%-8s -> %q\n", tok.Piece(id), dec.Add(id))
	}
	// Output:
	// ▁hi      -> " hi"
	// <0xF0>   -> ""
	// <0x9F>   -> ""
	// <0x99>   -> ""
	// <0x82>   -> "🙂"
}
