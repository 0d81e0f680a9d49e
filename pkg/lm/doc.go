// Package lm loads a complete language model — weights (pkg/model), tokenizer
// (pkg/tokenizer) and chat template (pkg/chat) — from a registry name, a GGUF path
// or a Hugging Face model directory, and turns chat messages into the exact token
// ids the model was trained on.
//
// It is the one place that joins the three, so the CLI, the dataset builder and the
// notebooks all prompt the model the same way:
//
//	m, err := lm.Load("smollm2-135m-instruct", lm.Options{})
//	ids, err := m.EncodeChat(ctx, []chat.Message{{Role: "user", Content: "List three colors."}})
//	seqs, _, err := m.Model.Generate([][]int{ids}, model.GenerateOptions{MaxTokens: 64})
//	fmt.Println(m.Tokenizer.Decode(seqs[0].Tokens))
//
// Sources (registry.Resolve decides which, through pkg/checkpoint, and the
// checkpoint is opened once; a GGUF file is parsed once for all three parts): a
// GGUF file holds all three parts. A
// Hugging Face directory holds config.json and *.safetensors (model.LoadHF),
// tokenizer.json with tokenizer_config.json's bos/eos/add_bos_token (or a
// SentencePiece tokenizer.model, see tokenizer.Open), the chat template in
// chat_template.jinja (transformers 5.x) or else tokenizer_config.json's
// chat_template, and generation_config.json, whose eos_token_id joins the stop
// ids. A directory whose tokenizer has more tokens than the model's vocab_size is
// refused. LM.Path is the file or the directory.
//
// Rules: the chat template is rendered with add_generation_prompt and the model's
// own bos/eos strings, then tokenized with special tokens parsed and nothing added
// (the template already wrote BOS where the model wants it), as Hugging Face's
// apply_chat_template(tokenize=True) does. A model without a template is prompted
// with its raw text (plus BOS when its metadata asks for it).
package lm
