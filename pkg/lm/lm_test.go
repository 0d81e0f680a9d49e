package lm

import (
	"context"
	"strings"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/chat"
	"github.com/ifprobe/ifprobe/pkg/compute"
	"github.com/ifprobe/ifprobe/pkg/model"
	"github.com/ifprobe/ifprobe/pkg/registry/registrytest"
)

// SmolLM2's own template adds its default system prompt; the rendering and the
// answer must be the real model's. Expected text: transformers 4.x
// apply_chat_template on HuggingFaceTB/SmolLM2-135M-Instruct (same template as the
// GGUF's tokenizer.chat_template), add_generation_prompt=True.
func TestSmolLM2ChatAndGenerate(t *testing.T) {
	path := registrytest.Model(t, "smollm2-135m-instruct")
	b, _, err := compute.Open("go")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load(path, Options{Backend: b})
	if err != nil {
		t.Fatal(err)
	}
	msgs := []chat.Message{{Role: "user", Content: "List three colors."}}
	s, err := m.RenderChat(context.Background(), msgs)
	if err != nil {
		t.Fatal(err)
	}
	const want = "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nList three colors.<|im_end|>\n<|im_start|>assistant\n"
	if s != want {
		t.Fatalf("rendered\n%q\nwant\n%q", s, want)
	}
	ids, err := m.EncodeChat(context.Background(), msgs)
	if err != nil {
		t.Fatal(err)
	}
	if ids[0] != m.Tokenizer.Special().BOS && m.Tokenizer.Piece(ids[0]) != "<|im_start|>" {
		t.Fatalf("first token %q", m.Tokenizer.Piece(ids[0]))
	}
	seqs, _, err := m.Model.Generate([][]int{ids}, model.GenerateOptions{MaxTokens: 24, Stop: m.Stop()})
	if err != nil {
		t.Fatal(err)
	}
	out := strings.ToLower(m.Tokenizer.Decode(seqs[0].Tokens))
	n := 0
	for _, c := range []string{"red", "blue", "green", "yellow", "orange", "purple", "black", "white"} {
		if strings.Contains(out, c) {
			n++
		}
	}
	if n < 2 { // greedy SmolLM2-135M-Instruct names colours; a broken forward does not
		t.Fatalf("answer names %d colours: %q", n, out)
	}
}

func TestLoadUnknown(t *testing.T) {
	if _, err := Load("no-such-model", Options{}); err == nil || !strings.Contains(err.Error(), "smollm2-135m-instruct") {
		t.Fatalf("error %v should list the known models", err)
	}
}
