package tokenizer

import (
	"bytes"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/gguf"
)

// tinyBPE is a byte-level BPE vocabulary made here: the 256 byte characters,
// a few merges, and two control tokens.
func tinyBPE() (tokens []string, types []int32, merges []string) {
	for b := 0; b < 256; b++ {
		tokens = append(tokens, string(byteToRune[b]))
		types = append(types, int32(TypeNormal))
	}
	merges = []string{"h e", "l l", "he ll", "hell o", "Ġ w", "o r", "Ġw or", "l d", "Ġwor ld"}
	for _, m := range merges {
		a, b, _ := cut(m)
		tokens = append(tokens, a+b)
		types = append(types, int32(TypeNormal))
	}
	tokens = append(tokens, "<|im_start|>", "<|im_end|>")
	types = append(types, int32(TypeControl), int32(TypeControl))
	return tokens, types, merges
}

func cut(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// ggufOf writes meta into an in-memory GGUF file.
func ggufOf(t testing.TB, meta map[string]any) *gguf.File {
	t.Helper()
	var kvs []gguf.KV
	for _, k := range sortedKeys(meta) {
		v, err := gguf.ValueOf(meta[k])
		if err != nil {
			t.Fatal(err)
		}
		kvs = append(kvs, gguf.KV{Key: k, Value: v})
	}
	var buf bytes.Buffer
	if err := gguf.Write(&buf, kvs, nil); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.NewFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "tiny.gguf")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func sortedKeys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	for i := 1; i < len(ks); i++ {
		for j := i; j > 0 && ks[j] < ks[j-1]; j-- {
			ks[j], ks[j-1] = ks[j-1], ks[j]
		}
	}
	return ks
}

func tinyMeta() map[string]any {
	tokens, types, merges := tinyBPE()
	return map[string]any{
		"tokenizer.ggml.model":        "gpt2",
		"tokenizer.ggml.pre":          "gpt-2",
		"tokenizer.ggml.tokens":       tokens,
		"tokenizer.ggml.token_type":   types,
		"tokenizer.ggml.merges":       merges,
		"tokenizer.ggml.bos_token_id": uint32(len(tokens) - 2),
		"tokenizer.ggml.eos_token_id": uint32(len(tokens) - 1),
	}
}
