package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ifprobe/ifprobe/pkg/chat"
	"github.com/ifprobe/ifprobe/pkg/compute"
	"github.com/ifprobe/ifprobe/pkg/lm"
	"github.com/ifprobe/ifprobe/pkg/model"
	"github.com/ifprobe/ifprobe/pkg/registry"
	"github.com/ifprobe/ifprobe/pkg/tokenizer"
)

func init() { register(newGenerateCmd) }

type generateOptions struct {
	model       string
	weights     model.WeightDType
	maxTokens   int
	temperature float64
	topK        int
	topP        float64
	seed        uint64
	noChat      bool
	asJSON      bool
}

func newGenerateCmd() *cobra.Command {
	var o generateOptions
	cmd := &cobra.Command{
		Use:   "generate --model M [flags] PROMPT",
		Short: "Generate a response to a prompt, streaming tokens as they come",
		Long: `Generate a response to PROMPT ("-" reads standard input) with model M, a
registry name (see 'ifprobe models list'), a GGUF file or a Hugging Face model
directory (config.json, *.safetensors, tokenizer.json). The prompt is sent as a
user message through the model's chat template unless --no-chat. Decoding is
greedy unless --temperature > 0; generation stops at the model's end-of-turn
tokens or after --max-tokens. Tokens are printed as they are produced; --json
prints one object at the end instead (prompt, rendered prompt, ids, text, stop
reason, timings). The backend is chosen as by 'ifprobe doctor' ($IFPROBE_BACKEND
overrides).`,
		Example: `  ifprobe generate --model smollm2-135m-instruct "List three colors."
  ifprobe generate --model gemma3-270m --temperature 0.8 --top-p 0.95 --seed 7 "Write a haiku."
  ifprobe generate --model smollm2-135m-instruct --json --max-tokens 32 "Hi"`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return Usagef("generate: give exactly one PROMPT argument (\"-\" for standard input), got %d", len(args))
			}
			if o.model == "" {
				return Usagef("generate: --model is required (known: %s, or a GGUF file or Hugging Face model directory)", strings.Join(registry.Names(), ", "))
			}
			switch {
			case o.maxTokens <= 0:
				return Usagef("generate: --max-tokens must be > 0, got %d", o.maxTokens)
			case o.temperature < 0:
				return Usagef("generate: --temperature must be >= 0, got %g", o.temperature)
			case o.topK < 0:
				return Usagef("generate: --top-k must be >= 0, got %d", o.topK)
			case o.topP < 0 || o.topP > 1:
				return Usagef("generate: --top-p must be in [0, 1], got %g", o.topP)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runGenerate(cmd, o, args[0]) },
	}
	f := cmd.Flags()
	f.StringVar(&o.model, "model", "", "registry model name, GGUF file or Hugging Face model directory")
	addWeightsFlag(f, &o.weights)
	f.IntVar(&o.maxTokens, "max-tokens", 256, "generate at most this many tokens")
	f.Float64Var(&o.temperature, "temperature", 0, "sampling temperature; 0 is greedy")
	f.IntVar(&o.topK, "top-k", 0, "sample among the k most likely tokens (0: no limit)")
	f.Float64Var(&o.topP, "top-p", 0, "nucleus sampling probability (0 or 1: no limit)")
	f.Uint64Var(&o.seed, "seed", 0, "sampling seed")
	f.BoolVar(&o.noChat, "no-chat", false, "send PROMPT as raw text, without the chat template")
	f.BoolVar(&o.asJSON, "json", false, "print a JSON object at the end instead of streaming text")
	return cmd
}

// generateResult is the --json output.
type generateResult struct {
	Model          string           `json:"model"`
	Backend        string           `json:"backend"`
	Prompt         string           `json:"prompt"`
	RenderedPrompt string           `json:"rendered_prompt"`
	PromptIDs      []int            `json:"prompt_ids"`
	TokenIDs       []int            `json:"token_ids"`
	Text           string           `json:"text"`
	StopReason     model.StopReason `json:"stop_reason"`
	Timings        generateTimings  `json:"timings"`
}

type generateTimings struct {
	LoadSeconds      float64 `json:"load_s"`
	PrefillSeconds   float64 `json:"prefill_s"`
	DecodeSeconds    float64 `json:"decode_s"`
	PromptTokensPerS float64 `json:"prompt_tokens_per_s"`
	GenTokensPerS    float64 `json:"generated_tokens_per_s"`
}

func runGenerate(cmd *cobra.Command, o generateOptions, prompt string) error {
	if prompt == "-" {
		var err error
		if prompt, err = readStdin(cmd, "generate"); err != nil {
			return err
		}
	}
	t0 := time.Now()
	m, err := lm.Load(o.model, lm.Options{Weights: o.weights})
	if err != nil {
		return modelError(err)
	}
	_, info, _ := compute.Default()
	res := generateResult{Model: m.Name, Backend: info.Name, Prompt: prompt}
	res.Timings.LoadSeconds = time.Since(t0).Seconds()

	if o.noChat {
		res.RenderedPrompt = prompt
		res.PromptIDs, err = m.Tokenizer.Encode(prompt, tokenizer.EncodeOptions{AddSpecial: true})
	} else {
		msgs := []chat.Message{{Role: "user", Content: prompt}}
		if res.RenderedPrompt, err = m.RenderChat(cmd.Context(), msgs); err == nil {
			res.PromptIDs, err = m.EncodeChat(cmd.Context(), msgs)
		}
	}
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	dec := m.Tokenizer.NewDecoder()
	stop := m.Stop()
	opts := model.GenerateOptions{MaxTokens: o.maxTokens, Temperature: o.temperature, TopK: o.topK, TopP: o.topP,
		Seed: o.seed, Stop: stop}
	if !o.asJSON {
		opts.OnToken = func(row, step, tok int) {
			if !m.Tokenizer.Special().IsEOG(tok) {
				fmt.Fprint(out, dec.Add(tok))
			}
		}
	}
	seqs, stats, err := m.Model.Generate([][]int{res.PromptIDs}, opts)
	if err != nil {
		return err
	}
	sq := seqs[0]
	res.TokenIDs = sq.Tokens
	res.StopReason = sq.Stop
	text := sq.Tokens
	if sq.Stop == model.StopToken {
		text = text[:len(text)-1]
	}
	res.Text = m.Tokenizer.Decode(text)
	res.Timings.PrefillSeconds = stats.Prefill.Seconds()
	res.Timings.DecodeSeconds = stats.Decode.Seconds()
	if s := stats.Prefill.Seconds(); s > 0 {
		res.Timings.PromptTokensPerS = float64(stats.PromptTokens) / s
	}
	if s := stats.Decode.Seconds(); s > 0 {
		res.Timings.GenTokensPerS = float64(stats.GeneratedTokens) / s
	}
	if o.asJSON {
		return writeJSON(out, res)
	}
	fmt.Fprintln(out, dec.Flush())
	_, err = fmt.Fprintf(cmd.ErrOrStderr(), "[%d prompt tokens, %d generated, stop: %s; %.1f prompt tok/s, %.1f gen tok/s, %s]\n",
		len(res.PromptIDs), len(sq.Tokens), sq.Stop, res.Timings.PromptTokensPerS, res.Timings.GenTokensPerS, info.Name)
	return err
}
