package lm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ifprobe/ifprobe/internal/testfiles"

	"github.com/ifprobe/ifprobe/pkg/chat"
	"github.com/ifprobe/ifprobe/pkg/compute"
	"github.com/ifprobe/ifprobe/pkg/model"
	"github.com/ifprobe/ifprobe/pkg/registry"
	"github.com/ifprobe/ifprobe/pkg/safetensors"
)

// hfTestTemplate is a ChatML template as transformers 5.x writes it to
// chat_template.jinja; hfOldTemplate is the tokenizer_config.json spelling of
// another one, so the test sees which file was read.
const (
	hfTestTemplate = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}" +
		"{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
	hfOldTemplate = "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}"
)

// hfDirWeightNames is Hugging Face's name of each GGUF-named weight of a one-layer
// Qwen2, spelled out independently of pkg/model's mapping.
var hfDirWeightNames = map[string]string{
	"token_embd.weight":        "model.embed_tokens.weight",
	"blk.0.attn_norm.weight":   "model.layers.0.input_layernorm.weight",
	"blk.0.attn_q.weight":      "model.layers.0.self_attn.q_proj.weight",
	"blk.0.attn_k.weight":      "model.layers.0.self_attn.k_proj.weight",
	"blk.0.attn_v.weight":      "model.layers.0.self_attn.v_proj.weight",
	"blk.0.attn_q.bias":        "model.layers.0.self_attn.q_proj.bias",
	"blk.0.attn_k.bias":        "model.layers.0.self_attn.k_proj.bias",
	"blk.0.attn_v.bias":        "model.layers.0.self_attn.v_proj.bias",
	"blk.0.attn_output.weight": "model.layers.0.self_attn.o_proj.weight",
	"blk.0.ffn_norm.weight":    "model.layers.0.post_attention_layernorm.weight",
	"blk.0.ffn_gate.weight":    "model.layers.0.mlp.gate_proj.weight",
	"blk.0.ffn_up.weight":      "model.layers.0.mlp.up_proj.weight",
	"blk.0.ffn_down.weight":    "model.layers.0.mlp.down_proj.weight",
	"output_norm.weight":       "model.norm.weight",
}

// writeHFDir writes a Hugging Face directory holding a random one-layer Qwen2 of
// the given vocabulary, the Qwen2-style test tokenizer of pkg/tokenizer (701
// tokens; <|endoftext|>=0, <|im_start|>=1, <|im_end|>=2), a tokenizer_config.json
// with an old-style chat_template, chat_template.jinja and generation_config.json.
// It returns the directory and the weights by GGUF name.
func writeHFDir(t *testing.T, vocab int) (string, model.Config, map[string][]float32) {
	t.Helper()
	dir := t.TempDir()
	config := fmt.Sprintf(`{"architectures":["Qwen2ForCausalLM"],"model_type":"qwen2","vocab_size":%d,
		"hidden_size":16,"num_hidden_layers":1,"num_attention_heads":2,"num_key_value_heads":1,"intermediate_size":32,
		"rms_norm_eps":1e-6,"rope_parameters":{"rope_type":"default","rope_theta":1000000.0},"tie_word_embeddings":true,
		"bos_token_id":0,"eos_token_id":0,"max_position_embeddings":256,"hidden_act":"silu"}`, vocab)
	cfg, err := model.ConfigFromHF([]byte(config))
	if err != nil {
		t.Fatal(err)
	}
	weights, err := model.RandomWeights(cfg, 7)
	if err != nil {
		t.Fatal(err)
	}
	var ts []safetensors.Tensor
	for gguf, w := range weights {
		hf, ok := hfDirWeightNames[gguf]
		if !ok {
			t.Fatalf("no Hugging Face name for %s", gguf)
		}
		shape := []int{len(w)}
		if !strings.Contains(gguf, "norm") && !strings.HasSuffix(gguf, ".bias") {
			in := 16 // matrices are [out, in]; in is d_model, or the MLP width for ffn_down
			if gguf == "blk.0.ffn_down.weight" {
				in = 32
			}
			shape = []int{len(w) / in, in}
		}
		tn, err := safetensors.NewTensor(hf, safetensors.BF16, shape, w)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, tn)
		// The checkpoint holds bf16: the reference model gets the same rounding.
		for i := range w {
			w[i] = bf16(w[i])
		}
	}
	if err := safetensors.WriteFile(filepath.Join(dir, "model.safetensors"), ts, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	tok, err := os.ReadFile(filepath.Join("..", "tokenizer", "testdata", "hf", "qwen2", "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	tokCfg, _ := json.Marshal(map[string]any{"eos_token": "<|im_end|>", "chat_template": hfOldTemplate})
	for name, data := range map[string][]byte{
		"config.json":            []byte(config),
		"tokenizer.json":         tok,
		"tokenizer_config.json":  tokCfg,
		TemplateFile:             []byte(hfTestTemplate),
		"generation_config.json": []byte(`{"bos_token_id":0,"eos_token_id":[2,5]}`),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, cfg, weights
}

// bf16 rounds f to bfloat16 and back, as the checkpoint stores it.
func bf16(f float32) float32 {
	h := safetensors.Float32ToBFloat16(f)
	out, _ := safetensors.DecodeFloat32(nil, []byte{byte(h), byte(h >> 8)}, safetensors.BF16)
	return out[0]
}

// TestLoadHFDir loads a Hugging Face directory: weights (equal to the same
// weights given to model.New), tokenizer.json, the chat template of
// chat_template.jinja (else tokenizer_config.json's) and the stop ids of
// generation_config.json.
func TestLoadHFDir(t *testing.T) {
	b, _, err := compute.Open("go")
	if err != nil {
		t.Fatal(err)
	}
	dir, cfg, weights := writeHFDir(t, 704)
	m, err := Load(dir, Options{Backend: b})
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(dir)
	if m.Path != abs || m.Format != registry.FormatHFDir || m.Name != filepath.Base(dir) {
		t.Errorf("Path %q Format %q Name %q, want %q, %q, %q", m.Path, m.Format, m.Name, abs, registry.FormatHFDir, filepath.Base(dir))
	}
	msgs := []chat.Message{{Role: "user", Content: "hello"}}
	text, err := m.RenderChat(context.Background(), msgs)
	if err != nil {
		t.Fatal(err)
	}
	if want := "<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n"; text != want {
		t.Errorf("rendered %q, want %q (chat_template.jinja)", text, want)
	}
	ids, err := m.EncodeChat(context.Background(), msgs)
	if err != nil {
		t.Fatal(err)
	}
	if ids[0] != 1 || !slices.Contains(ids, 2) { // <|im_start|> first, <|im_end|> parsed as one token
		t.Errorf("ids %v", ids)
	}
	// Stop: generation_config.json's [2, 5] with the tokenizer's end-of-generation ids.
	if stop := m.Stop(); !slices.Contains(stop, 5) || !slices.Contains(stop, 2) || !slices.IsSorted(stop) {
		t.Errorf("Stop %v, want 2 and 5 among them, sorted", stop)
	}
	ref, err := model.New(b, cfg, weights)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Model.Forward([][]int{ids}, model.ForwardOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := ref.Forward([][]int{ids}, model.ForwardOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d := model.MaxAbsDiff(got.Logits.Data, want.Logits.Data); d != 0 { // same f32 weights, same graph
		t.Errorf("logits differ from model.New's by %g", d)
	}

	// Without chat_template.jinja the template comes from tokenizer_config.json.
	if err := os.Remove(filepath.Join(dir, TemplateFile)); err != nil {
		t.Fatal(err)
	}
	if m, err = Load(dir, Options{Backend: b}); err != nil {
		t.Fatal(err)
	}
	if text, _ := m.RenderChat(context.Background(), msgs); text != "user: hello\n" {
		t.Errorf("rendered %q with tokenizer_config.json's template", text)
	}
	// Without either, the raw text is the prompt.
	testfiles.EditJSON(t, filepath.Join(dir, "tokenizer_config.json"), func(c map[string]any) { delete(c, "chat_template") })
	if m, err = Load(dir, Options{Backend: b}); err != nil {
		t.Fatal(err)
	}
	if text, _ := m.RenderChat(context.Background(), msgs); m.Template != nil || text != "hello" {
		t.Errorf("no template: Template %v, rendered %q", m.Template, text)
	}
	if _, err := OpenTemplate(dir); !errors.Is(err, chat.ErrNoTemplate) {
		t.Errorf("OpenTemplate without a template: %v", err)
	}
	if err := os.Remove(filepath.Join(dir, "tokenizer_config.json")); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenTemplate(dir); !errors.Is(err, chat.ErrNoTemplate) || !strings.Contains(err.Error(), TemplateFile) {
		t.Errorf("OpenTemplate without tokenizer_config.json: %v", err)
	}
}

func TestLoadHFDirErrors(t *testing.T) {
	b, _, err := compute.Open("go")
	if err != nil {
		t.Fatal(err)
	}
	// 0: a model vocabulary smaller than the tokenizer's 701 tokens.
	dir, _, _ := writeHFDir(t, 600)
	if _, err := Load(dir, Options{Backend: b}); err == nil || !strings.Contains(err.Error(), "701 tokens, more than the model's vocab_size 600") {
		t.Errorf("small vocabulary: %v", err)
	}
	// 1: a chat template that does not parse names its file.
	dir, _, _ = writeHFDir(t, 704)
	os.WriteFile(filepath.Join(dir, TemplateFile), []byte("{% for %}"), 0o644)
	if _, err := Load(dir, Options{Backend: b}); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, TemplateFile)) {
		t.Errorf("bad template: %v", err)
	}
}

// TestHFExportMatchesGGUF loads SmolLM2 twice, from its GGUF and from a Hugging
// Face export of it (scripts/fixtures/model/hf_export.py; set IFPROBE_HF_SMOLLM2
// to the export): the same prompt text, token ids, stop ids and greedy answer.
func TestHFExportMatchesGGUF(t *testing.T) {
	dir := os.Getenv("IFPROBE_HF_SMOLLM2")
	if dir == "" {
		t.Skip("IFPROBE_HF_SMOLLM2 is not set; make the export with: " +
			".cache/venv-model/bin/python scripts/fixtures/model/hf_export.py ~/.cache/ifprobe/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf .cache/hf-smollm2")
	}
	if _, err := registry.Resolve("smollm2-135m-instruct"); err != nil {
		t.Skipf("GGUF not installed: %v", err)
	}
	var got [2]struct {
		text   string
		ids    []int
		stop   []int
		answer []int
	}
	for i, src := range []string{"smollm2-135m-instruct", dir} {
		m, err := Load(src, Options{})
		if err != nil {
			t.Fatal(err)
		}
		msgs := []chat.Message{{Role: "user", Content: "List three colors."}}
		if got[i].text, err = m.RenderChat(context.Background(), msgs); err != nil {
			t.Fatal(err)
		}
		if got[i].ids, err = m.EncodeChat(context.Background(), msgs); err != nil {
			t.Fatal(err)
		}
		got[i].stop = m.Stop()
		seqs, _, err := m.Model.Generate([][]int{got[i].ids}, model.GenerateOptions{MaxTokens: 24, Stop: got[i].stop})
		if err != nil {
			t.Fatal(err)
		}
		got[i].answer = seqs[0].Tokens
	}
	if got[0].text != got[1].text || !slices.Equal(got[0].ids, got[1].ids) || !slices.Equal(got[0].stop, got[1].stop) || !slices.Equal(got[0].answer, got[1].answer) {
		t.Errorf("GGUF vs HF export:\n%+v\n%+v", got[0], got[1])
	}
}
