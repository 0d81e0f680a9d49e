package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ifprobe/ifprobe/internal/progress"
	"github.com/ifprobe/ifprobe/pkg/acts"
	"github.com/ifprobe/ifprobe/pkg/capture"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/lm"
	"github.com/ifprobe/ifprobe/pkg/model"
	"github.com/ifprobe/ifprobe/pkg/registry"
	"github.com/ifprobe/ifprobe/pkg/safetensors"
)

func init() { register(newCaptureCmd) }

type captureOptions struct {
	model, prompts, hooks, positions, out, backend string
	generate, chat, raw, f16, asJSON               bool
	maxTokens, batch                               int

	devices string            // --devices
	weights model.WeightDType // --weights
}

// captureSummary is the --json output.
type captureSummary struct {
	Model           string   `json:"model"`
	Backend         string   `json:"backend"`
	Out             string   `json:"out"`
	Prompts         int      `json:"prompts"`
	Skipped         int      `json:"skipped"`
	Captured        int      `json:"captured"`
	PromptTokens    int      `json:"prompt_tokens"`
	GeneratedTokens int      `json:"generated_tokens"`
	ElapsedSeconds  float64  `json:"elapsed_s"`
	Keys            []string `json:"keys"`
}

func newCaptureCmd() *cobra.Command {
	var o captureOptions
	cmd := &cobra.Command{
		Use:   "capture --model M --prompts FILE.jsonl --out DIR [flags]",
		Short: "Capture hidden states at hook points and positions into an activation store",
		Long: `Capture runs model M over every prompt of FILE.jsonl (one object per line:
{"id": ..., "prompt": ..., "task"?, "label"?, "base_id"?}) and stores the values at
each --hooks point and --positions position in the activation store DIR (pkg/acts:
safetensors shards and manifest.json, readable from Python).

Hooks: comma-separated names, blocks.{L}.<site> with site resid_pre, attn_out,
resid_mid, mlp_out, resid_post or attn_heads, and final_norm; L may be * (every
layer). Positions: prompt_last, response_first, step:{k}, frac:{f}, eos; all but
prompt_last need --generate (greedy, up to --max-tokens). eos is the stop token, or
the last token of a response cut by --max-tokens. 'all' is not storable (a store
holds one vector per key and example; use pkg/capture.Run in Go for it).

Prompts go through the model's chat template as one user turn (--chat, the
default) or as raw text (--raw). Rerunning the same command resumes: prompts
already in DIR are skipped.`,
		Example: `  ifprobe capture --model smollm2-135m-instruct --prompts prompts.jsonl --out runs/acts
  ifprobe capture --model smollm2-135m-instruct --prompts prompts.jsonl --hooks 'blocks.*.resid_post,blocks.3.attn_out' \
      --positions prompt_last,step:4,eos --generate --max-tokens 32 --out runs/acts2 --json`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return Usagef("capture: takes no arguments (prompts come from --prompts), got %q", args)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return runCapture(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.model, "model", "", "registry model name, GGUF file or Hugging Face model directory")
	f.StringVar(&o.prompts, "prompts", "", "prompts file (JSON lines)")
	f.StringVar(&o.hooks, "hooks", "blocks.*.resid_post", "comma-separated hook names; a layer may be *")
	f.StringVar(&o.positions, "positions", "prompt_last", "comma-separated positions")
	f.BoolVar(&o.generate, "generate", false, "generate a response (greedy) and capture while it is written")
	f.IntVar(&o.maxTokens, "max-tokens", 64, "response length limit with --generate")
	f.BoolVar(&o.chat, "chat", false, "send each prompt through the chat template (the default)")
	f.BoolVar(&o.raw, "raw", false, "send each prompt as raw text, without the chat template")
	f.IntVar(&o.batch, "batch", capture.DefaultBatch, "prompts per model call")
	f.BoolVar(&o.f16, "f16", false, "store float16 (half the disk; values must stay below 65504)")
	f.StringVar(&o.backend, "backend", "", `GoMLX backend ("go", "xla:cpu", ...); default: $IFPROBE_BACKEND or automatic`)
	addDevicesFlag(cmd, &o.devices)
	addWeightsFlag(f, &o.weights)
	f.StringVar(&o.out, "out", "", "activation store directory (created, or resumed)")
	f.BoolVar(&o.asJSON, "json", false, "print a JSON summary")
	return cmd
}

// captureFlags checks everything that does not need the model and returns the options
// with the positions parsed (hooks are expanded once the model's depth is known).
func captureFlags(o captureOptions) (capture.Options, error) {
	var opts capture.Options
	switch {
	case o.model == "":
		return opts, Usagef("capture: --model is required (known: %s, or a GGUF file or Hugging Face model directory)", strings.Join(registry.Names(), ", "))
	case o.prompts == "":
		return opts, Usagef("capture: --prompts is required")
	case o.out == "":
		return opts, Usagef("capture: --out is required")
	case o.chat && o.raw:
		return opts, Usagef("capture: --chat and --raw exclude each other")
	case o.batch <= 0:
		return opts, Usagef("capture: --batch must be > 0, got %d", o.batch)
	case o.maxTokens <= 0:
		return opts, Usagef("capture: --max-tokens must be > 0, got %d", o.maxTokens)
	case !o.generate && o.devices != "" && o.devices != "1":
		return opts, Usagef("capture: --devices %s needs --generate (reading prompts runs on one device)", o.devices)
	}
	if _, err := hook.ParsePoints(o.hooks, 0); err != nil {
		return opts, Usagef("capture: --hooks: %v", err)
	}
	ps, err := hook.ParsePositions(o.positions)
	if err != nil {
		return opts, Usagef("capture: --positions: %v", err)
	}
	for _, p := range ps {
		if p.Kind == hook.PosAll {
			return opts, Usagef("capture: --positions: 'all' cannot be stored (a store holds one vector per hook, position and example)")
		}
		if !o.generate && p.Kind != hook.PosPromptLast {
			return opts, Usagef("capture: --positions: %s needs --generate (without it only the prompt is read)", p)
		}
	}
	opts = capture.Options{Positions: ps, Generate: o.generate, MaxTokens: o.maxTokens, Batch: o.batch, Raw: o.raw}
	if o.f16 {
		opts.DType = safetensors.F16
	}
	return opts, nil
}

func runCapture(cmd *cobra.Command, o captureOptions) error {
	opts, err := captureFlags(o)
	if err != nil {
		return err
	}
	prompts, err := capture.ReadPrompts(o.prompts)
	if err != nil {
		return &UsageError{err}
	}
	if err := resolveModels("model", []string{o.model}); err != nil {
		return err
	}
	b, info, devices, err := openBackend("capture", o.backend, o.devices)
	if err != nil {
		return err
	}
	m, err := lm.Load(o.model, lm.Options{Backend: b, Devices: devices, Weights: o.weights})
	if err != nil {
		return modelError(err)
	}
	if opts.Hooks, err = hook.ParsePoints(o.hooks, m.Model.Config.NLayers); err != nil {
		return Usagef("capture: --hooks: %v", err)
	}
	cfg, err := capture.StoreConfig(m, opts)
	if err != nil {
		return &UsageError{err}
	}
	w, rep, err := acts.CreateRepairing(o.out, cfg)
	if rep != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "capture: %s: shard %d was damaged (%s): dropped it and %d later shard(s); capturing their %d prompts again\n",
			o.out, rep.Shard, rep.Problem, rep.Shards-1, rep.Examples)
	}
	if errors.Is(err, acts.ErrMismatch) {
		return Usagef("capture: --out %s holds a store made with other options (use a new directory): %v", o.out, err)
	}
	if err != nil {
		return err
	}
	bar := progress.New(os.Stderr, "capture "+m.Name, len(prompts))
	opts.Progress = bar.Set
	st, err := capture.Store(cmd.Context(), m, prompts, w, opts)
	bar.Done()
	if cerr := w.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	sum := captureSummary{Model: m.Name, Backend: info.Name, Out: o.out, Prompts: st.Prompts, Skipped: st.Skipped,
		Captured: st.Captured, PromptTokens: st.PromptTokens, GeneratedTokens: st.GeneratedTokens,
		ElapsedSeconds: st.Elapsed.Seconds()}
	for _, k := range w.Keys() {
		sum.Keys = append(sum.Keys, k.String())
	}
	out := cmd.OutOrStdout()
	if o.asJSON {
		return writeJSON(out, sum)
	}
	fmt.Fprintf(out, "%d prompts (%d already stored, %d captured now, %d tokens generated) in %s: %d keys in %s\n",
		sum.Prompts, sum.Skipped, sum.Captured, sum.GeneratedTokens, st.Elapsed.Round(1e6), len(sum.Keys), o.out)
	return nil
}
