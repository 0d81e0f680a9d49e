// Package chat renders a conversation into a model's prompt with the model's
// own chat template.
//
// # Usage
//
//	f, _ := gguf.Open(path)
//	tmpl, err := chat.FromGGUF(f) // tokenizer.chat_template; ErrNoTemplate if absent
//	prompt, err := tmpl.Render(ctx, []chat.Message{
//		{Role: "system", Content: "Answer in one sentence."},
//		{Role: "user", Content: "Write a haiku."},
//	}, chat.Options{AddGenerationPrompt: true, BOS: bos, EOS: eos})
//
// then tokenize prompt with special tokens parsed and no added BOS
// (tokenizer.EncodeOptions{}): templates write the BOS text themselves.
// Template.Prompt does both (and fills BOS/EOS from the tokenizer):
//
//	text, ids, err := tmpl.Prompt(ctx, tok, msgs, chat.Options{AddGenerationPrompt: true})
//
// # Rules
//
//   - The template is the model's (GGUF tokenizer.chat_template; in a Hugging
//     Face directory chat_template.jinja, else the chat_template of
//     tokenizer_config.json: Open, FromDir); nothing here knows any model.
//     A model without one gives ErrNoTemplate, never a made-up format.
//   - Rendering equals transformers' apply_chat_template(..., tokenize=False):
//     the same variables (messages, tools, documents=None,
//     add_generation_prompt, bos_token, eos_token) and the same Jinja
//     environment (trim_blocks, lstrip_blocks, tojson without HTML escaping,
//     raise_exception, strftime_now). Tests compare byte for byte with
//     transformers on the default models and on 68 published templates.
//   - A message dict holds only the fields that are set, so templates that
//     test "message.tool_calls is defined" see what they expect.
//   - Templates run in pkg/jinja's sandbox: no file or network access,
//     bounded time, output and recursion (Options.Limits).
//   - strftime_now reads Options.Now: inject a fixed clock for reproducible
//     prompts.
package chat
