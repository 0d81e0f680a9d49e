package tokenizer_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/ifprobe/ifprobe/pkg/tokenizer"
)

// A Gemma-shaped tokenizer.json written here: spaces become '▁', "▁the" is one
// merge away, "<start_of_turn>" is an added token, and "é" has no token, so it
// falls back to its two UTF-8 byte tokens. HF tokenizers 0.23.3 gives the same
// ids and decoding for this file (Tokenizer.from_str, encode(text,
// add_special_tokens=True)).
func ExampleFromHFJSON_gemma() {
	const tokenizerJSON = `{
	  "version": "1.0", "truncation": null, "padding": null,
	  "added_tokens": [
	    {"id": 0, "content": "<bos>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
	    {"id": 1, "content": "<start_of_turn>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
	  "normalizer": {"type": "Replace", "pattern": {"String": " "}, "content": "▁"},
	  "pre_tokenizer": {"type": "Split", "pattern": {"String": " "}, "behavior": "MergedWithPrevious", "invert": false},
	  "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<bos>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
	    "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
	    "special_tokens": {"<bos>": {"id": "<bos>", "ids": [0], "tokens": ["<bos>"]}}},
	  "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"}]},
	  "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null, "end_of_word_suffix": null,
	    "byte_fallback": true, "fuse_unk": true, "ignore_merges": false,
	    "vocab": {"<bos>": 0, "<start_of_turn>": 1, "<0xC3>": 2, "<0xA9>": 3, "▁": 4, "t": 5, "h": 6, "e": 7, "th": 8, "the": 9, "▁the": 10},
	    "merges": [["t", "h"], ["th", "e"], ["▁", "the"]]}
	}`
	dir, _ := os.MkdirTemp("", "gemma-like")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "tokenizer.json")
	if err := os.WriteFile(path, []byte(tokenizerJSON), 0o644); err != nil {
		fmt.Println(err)
		return
	}
	tok, err := tokenizer.FromHFJSON(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	ids, _ := tok.Encode("<start_of_turn>the é", tokenizer.EncodeOptions{AddSpecial: true})
	for _, id := range ids {
		fmt.Printf("%d %q\n", id, tok.Piece(id))
	}
	fmt.Println(tok.Kind())
	fmt.Printf("%q\n", tok.Decode(ids))
	// Output:
	// 0 "<bos>"
	// 1 "<start_of_turn>"
	// 9 "the"
	// 4 "▁"
	// 2 "<0xC3>"
	// 3 "<0xA9>"
	// byte-fallback-bpe
	// "<bos><start_of_turn>the é"
}
