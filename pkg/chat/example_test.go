package chat_test

import (
	"context"
	"fmt"

	"github.com/ifprobe/ifprobe/pkg/chat"
)

// A ChatML template, as SmolLM2 and Qwen2.5 ship, rendered for one user turn.
func ExampleTemplate_Render() {
	src := "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}{% endfor %}" +
		"{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
	tmpl, err := chat.Parse("chatml", src)
	if err != nil {
		fmt.Println(err)
		return
	}
	prompt, err := tmpl.Render(context.Background(), []chat.Message{
		{Role: "user", Content: "Say hi in lowercase."},
	}, chat.Options{AddGenerationPrompt: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q\n", prompt)
	// Output:
	// "<|im_start|>user\nSay hi in lowercase.<|im_end|>\n<|im_start|>assistant\n"
}
