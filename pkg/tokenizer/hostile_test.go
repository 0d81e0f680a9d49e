package tokenizer

import (
	"errors"
	"strings"
	"testing"
)

// TestHostileMetadata: inconsistent or lying tokenizer metadata gives an
// error naming the file and the field, wrapping ErrInvalid or ErrUnsupported.
func TestHostileMetadata(t *testing.T) {
	for i, tc := range []struct {
		edit    func(m map[string]any)
		want    error
		mention string
	}{
		{func(m map[string]any) { delete(m, "tokenizer.ggml.model") }, ErrInvalid, "tokenizer.ggml.model"},                                // 0
		{func(m map[string]any) { m["tokenizer.ggml.model"] = "bert" }, ErrUnsupported, `"bert"`},                                         // 1
		{func(m map[string]any) { m["tokenizer.ggml.pre"] = "made-up" }, ErrUnsupported, `"made-up"`},                                     // 2
		{func(m map[string]any) { delete(m, "tokenizer.ggml.tokens") }, ErrInvalid, "tokenizer.ggml.tokens"},                              // 3
		{func(m map[string]any) { m["tokenizer.ggml.tokens"] = []string{} }, ErrInvalid, "vocabulary"},                                    // 4
		{func(m map[string]any) { m["tokenizer.ggml.token_type"] = []int32{1, 1} }, ErrInvalid, "token_type"},                             // 5
		{func(m map[string]any) { m["tokenizer.ggml.bos_token_id"] = uint32(1 << 30) }, ErrInvalid, "bos_token_id"},                       // 6
		{func(m map[string]any) { m["tokenizer.ggml.merges"] = []string{"nospace"} }, ErrInvalid, "merge 0"},                              // 7
		{func(m map[string]any) { delete(m, "tokenizer.ggml.merges") }, ErrInvalid, "tokenizer.ggml.merges"},                              // 8
		{func(m map[string]any) { m["tokenizer.ggml.tokens"] = []int32{1, 2} }, ErrInvalid, "tokenizer.ggml.tokens"},                      // 9: wrong type
		{func(m map[string]any) { m["tokenizer.ggml.model"] = "llama" }, ErrInvalid, "tokenizer.ggml.scores"},                             // 10: SPM without scores
		{func(m map[string]any) { m["tokenizer.ggml.model"] = "llama"; m["tokenizer.ggml.scores"] = []float32{0} }, ErrInvalid, "scores"}, // 11
		{func(m map[string]any) { m["tokenizer.ggml.add_bos_token"] = "yes" }, ErrInvalid, "add_bos_token"},                               // 12
	} {
		meta := tinyMeta()
		tc.edit(meta)
		_, err := FromGGUF(ggufOf(t, meta))
		if !errors.Is(err, tc.want) {
			t.Errorf("%d: want %v, got %v", i, tc.want, err)
			continue
		}
		if !strings.Contains(err.Error(), "tiny.gguf") || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("%d: error %q should name the file and %q", i, err, tc.mention)
		}
	}
}

// TestTinyBPE: merges apply by rank, control tokens match, the options work.
// Expected ids are worked out by hand from tinyBPE: 256 byte tokens, then one
// token per merge (256 "he", ..., 260 "Ġw", 262 "Ġwor", 264 "Ġworld"), then
// 265 <|im_start|>, 266 <|im_end|>.
func TestTinyBPE(t *testing.T) {
	m, err := FromGGUF(ggufOf(t, tinyMeta()))
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range []struct {
		text string
		opts EncodeOptions
		want []int
	}{
		{"hello world", EncodeOptions{}, []int{259, 264}},                                                                       // 0
		{"hello", EncodeOptions{AddSpecial: true}, []int{259}},                                                                  // 1: gpt-2 adds no BOS
		{"<|im_start|>hello<|im_end|>", EncodeOptions{}, []int{265, 259, 266}},                                                  // 2
		{"<|im_start|>", EncodeOptions{SpecialAsText: true}, []int{'<', '|', 'i', 'm', '_', 's', 't', 'a', 'r', 't', '|', '>'}}, // 3
		{"hi", EncodeOptions{}, []int{'h', 'i'}},                                                                                // 4
		{"", EncodeOptions{}, []int{}},                                                                                          // 5
	} {
		got, err := m.Encode(tc.text, tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(tc.want) {
			t.Errorf("%d: got %v, want %v", i, got, tc.want)
			continue
		}
		for j := range got {
			if got[j] != tc.want[j] {
				t.Errorf("%d: got %v, want %v", i, got, tc.want)
				break
			}
		}
	}
	sp := m.Special()
	if sp.BOS != 265 || sp.EOS != 266 || !sp.IsEOG(266) || sp.AddBOS {
		t.Errorf("special tokens: %+v", sp)
	}
	if m.Decode([]int{265, 259, 264, 266, -5, 1 << 20}) != "<|im_start|>hello world<|im_end|>" {
		t.Errorf("Decode: %q", m.Decode([]int{265, 259, 264, 266}))
	}
}
