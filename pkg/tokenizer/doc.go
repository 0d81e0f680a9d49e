// Package tokenizer turns text into the token ids of a language model and
// back, exactly as the model's reference implementation does.
//
// # Usage
//
//	tok, err := tokenizer.Open(path) // GGUF file or HF model directory
//	ids, err := tok.Encode(prompt, tokenizer.EncodeOptions{})
//	text := tok.Decode(ids)
//	dec := tok.NewDecoder()                           // streaming, for generation
//	for _, id := range generated { fmt.Print(dec.Add(id)) }
//	fmt.Print(dec.Flush())
//
// # Sources
//
// FromGGUF reads tokenizer.ggml.* metadata; FromHFJSON a Hugging Face
// tokenizer.json (byte-level BPE, or the SentencePiece family of Gemma 2/3,
// Llama 2 and Mistral; roles and add_bos_token from the tokenizer_config.json
// beside it, else from the post-processor); FromSentencePiece a SentencePiece
// tokenizer.model (BPE, identity normalizer). Open picks by path.
//
// # Algorithms
//
// Three kinds; in a GGUF file tokenizer.ggml.model chooses between the first two:
//
//   - "gpt2": byte-level BPE (GPT-2, Llama 3, Qwen2, SmolLM, StarCoder).
//     Text is split by a pre-tokenizer named by tokenizer.ggml.pre (gpt-2,
//     smollm/starcoder/refact/command-r: digits apart then GPT-2,
//     llama-bpe/llama3, qwen2, ...), bytes are mapped to GPT-2's printable
//     characters, and merges apply lowest rank first, leftmost first. The
//     pre-tokenizers are hand-written equivalents of the regexes (Go's regexp
//     has no lookahead for \s+(?!\S)), following llama.cpp's. An unknown
//     pre-tokenizer is an error wrapping ErrUnsupported, never a silent
//     fallback.
//   - "llama": SentencePiece BPE (Llama 2, Gemma). Spaces become '▁', the
//     adjacent pair whose concatenation is the highest-scoring token merges
//     first, and characters without a token fall back to <0xNN> byte tokens.
//     A space is prepended to the text unless tokenizer.ggml.add_space_prefix
//     is false (Gemma 3: false).
//   - ByteFallbackBPE: a tokenizer.json whose pre-tokenizer is not ByteLevel
//     (Gemma 2/3, Llama 2, Mistral), run as HF tokenizers runs it. Added
//     tokens are cut out of the raw text first (leftmost, then longest);
//     each remaining segment goes through the normalizer (Replace, Prepend,
//     NFC, NFKC, Sequence) and the pre-tokenizer (Split on a String with any
//     behavior, Metaspace, Sequence); each word is split into characters,
//     a character without a token becomes its <0xNN> byte tokens
//     (byte_fallback) or <unk> (fused when fuse_unk), and merges apply by
//     rank, lowest first, leftmost first. Gemma's Split(" ") comes after the
//     normalizer has turned spaces into '▁', so a whole segment between added
//     tokens is one word. Decoding runs the decoder (Replace, ByteFallback,
//     Fuse, Strip, Metaspace) token by token. A normalizer, pre-tokenizer or
//     decoder not listed (a Regex Split, Lowercase, ...) is ErrUnsupported,
//     never approximated.
//
// # Special tokens
//
// Control, user-defined and unknown tokens written in the text
// ("<|im_start|>", "<start_of_turn>") are matched before BPE, longest first.
// EncodeOptions.SpecialAsText leaves control tokens as text (user-defined ones
// still match), as llama.cpp's parse_special=false does.
// EncodeOptions.AddSpecial adds BOS/EOS where the metadata asks
// (tokenizer.ggml.add_bos_token; SentencePiece and Llama 3 default to BOS). A
// prompt rendered by a chat template already holds its BOS text: encode it
// with the zero EncodeOptions. SpecialTokens gives BOS, EOS, EOT (end of
// turn: the metadata's, else "<|im_end|>", "<end_of_turn>", "<|eot_id|>", ...)
// and EOG, every id that ends generation.
//
// # Decoding
//
// Decode renders special tokens as their text and byte tokens as their bytes;
// it is byte-exact: for byte-level BPE, Decode(Encode(s)) == s for every s,
// invalid UTF-8 included. A Decoder holds back the bytes of a character split
// across tokens until it is complete, so streamed text never shows half an
// emoji; what it yields concatenates to Decode of the same ids.
//
// # Exactness
//
// Tests compare ids with llama.cpp (node-llama-cpp 3.21.1) on the real
// default models (SmolLM2-135M-Instruct, Gemma 3 270M) over a corpus of
// ASCII, accents, emoji, CJK, whitespace runs, code, numbers and special
// tokens, with special tokens parsed and not, and with llama.cpp's own test
// vectors for the gpt-2, starcoder, llama-spm and qwen2 vocabularies; for
// SmolLM2 also with HF tokenizers. tokenizer.json loading is checked against
// HF tokenizers on five tokenizers trained with it, tokenizer.model loading
// against sentencepiece. Fixtures come from scripts/fixtures/tokenizer/gen.py.
//
// # Hostile input
//
// Metadata is checked before use: array lengths must agree, special ids
// must lie in the vocabulary, merges must be pairs. Errors name the file and
// field and wrap ErrInvalid or ErrUnsupported. Encode never panics, on any
// bytes.
package tokenizer
