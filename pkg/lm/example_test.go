package lm_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ifprobe/ifprobe/pkg/chat"
	"github.com/ifprobe/ifprobe/pkg/lm"
)

// ExampleOpenTemplate reads the chat template of a Hugging Face model directory
// as transformers 5.x writes it (chat_template.jinja beside tokenizer_config.json).
func ExampleOpenTemplate() {
	dir, err := os.MkdirTemp("", "hf-model")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	src := "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}" +
		"{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
	if err := os.WriteFile(filepath.Join(dir, lm.TemplateFile), []byte(src), 0o644); err != nil {
		panic(err)
	}
	t, err := lm.OpenTemplate(dir)
	if err != nil {
		panic(err)
	}
	text, err := t.Render(context.Background(), []chat.Message{{Role: "user", Content: "List three colors."}},
		chat.Options{AddGenerationPrompt: true})
	if err != nil {
		panic(err)
	}
	fmt.Print(text)
	// Output:
	// <|im_start|>user
	// List three colors.<|im_end|>
	// <|im_start|>assistant
}
