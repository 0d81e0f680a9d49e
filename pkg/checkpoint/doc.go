// Package checkpoint decides, once, what a model path is — one GGUF file or a
// Hugging Face checkpoint directory — and opens it once, so that the weights
// (pkg/model), the tokenizer (pkg/tokenizer) and the chat template (pkg/chat) of
// one model are all read from the same opened checkpoint.
//
//	loc, err := checkpoint.Locate(path) // the one place the format is decided
//	ck, err := loc.Open()               // a GGUF file is parsed here, once
//	defer ck.Close()
//	tok, err := tokenizer.FromCheckpoint(ck)
//	tmpl, err := chat.FromCheckpoint(ck)
//	m, err := model.FromCheckpoint(backend, ck, model.LoadOptions{})
//
// # Formats
//
// A regular file must start with the GGUF magic: it is FormatGGUF. A directory
// with config.json is FormatHFDir (a Hugging Face directory as save_pretrained
// writes it); else a directory holding exactly one .gguf file stands for that
// file; else a directory with tokenizer.json, tokenizer.model,
// tokenizer_config.json or chat_template.jinja is FormatHFDir too (a tokenizer
// or a chat template alone). Anything else is an error wrapping
// ErrNotCheckpoint that says what was looked for.
//
// Opening a GGUF checkpoint parses its header (metadata and tensor table) once;
// GGUF gives it to every reader. A Hugging Face directory opens its safetensors
// shards on the first call of Tensors (a tokenizer never needs them), and its
// small JSON files are read where they are needed, through Dir.
package checkpoint
