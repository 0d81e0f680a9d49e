// Package model runs decoder-only transformers (Llama, Qwen2, Gemma 2, Gemma 3)
// in GoMLX, with named hook points for capturing activations and compiled
// interventions, and generates text with a KV cache.
//
// # Usage
//
//	backend, _, _ := compute.Default()
//	m, err := model.LoadGGUF(backend, path) // weights dequantized to f32 once
//	m, err = model.Open(backend, path, model.LoadOptions{Weights: model.WeightsBF16}) // or kept in bf16
//	out, err := m.Forward([][]int{ids1, ids2}, model.ForwardOptions{
//		Capture: []hook.Point{hook.ResidPost(12), hook.FinalNorm},
//	})
//	logits := out.Logits.At(0, len(ids1)-1)             // [vocab] at row 0's last token
//	h := out.Captures[hook.ResidPost(12)].At(1, 0)      // [d_model] at row 1's first token
//	seqs, stats, err := m.Generate([][]int{ids1}, model.GenerateOptions{MaxTokens: 64})
//
// pkg/lm joins a Model with its tokenizer and chat template; most callers want it.
//
// # Formats
//
// LoadGGUF reads a GGUF file (llama.cpp's format; quantized tensors are
// dequantized to f32 once). LoadHF reads a Hugging Face checkpoint directory as
// transformers' save_pretrained writes it: config.json (transformers 4.x or 5.x
// spelling: rope_theta/rope_scaling or rope_parameters), model.safetensors or the
// shards of model.safetensors.index.json (F32, F16 or BF16, converted to f32
// exactly), and generation_config.json, whose eos_token_id, when present, becomes
// Config.Stop.
//
// LoadOptions.Weights (the --weights flag) keeps the weights in bf16 or f16
// instead of f32: half the memory. A safetensors tensor stored in that type is
// copied from the file bit for bit; anything else (f32, the other 16-bit type,
// GGUF quantizations dequantized one tensor at a time) is rounded to nearest even
// once at load. The graphs convert each weight to f32 next to its use, so every
// product, norm, softmax, the residual stream, the KV cache and every captured
// state stay f32: a bf16 model is its checkpoint's rounded weights computed
// exactly as transformers computes them in f32 (the parity tests compare with
// that, to the f32 tolerance). SimpleGo holds bf16 but not f16.
//
// FromCheckpoint takes a checkpoint already opened by
// pkg/checkpoint, which decides once whether a path is a GGUF file or a
// directory, so that pkg/lm reads weights, tokenizer and chat template from one
// parse of a GGUF file; Open is checkpoint.Open plus FromCheckpoint. All check
// every tensor's shape against the Config before reading its data and name the
// file and tensor in errors; all end in the same constructor (New takes weights
// already in memory), so the weights of one model loaded either way are the
// same f32 numbers: GGUF's llama q/k row permutation is undone and Gemma's norm
// weights keep their own convention (Config.NormAddOne).
//
// # Families
//
// One implementation serves every family; a Config (config.go) holds everything
// that differs, and each family's file (llama.go, qwen2.go, gemma2.go, gemma3.go)
// declares how to fill it from GGUF metadata or a Hugging Face config.json, how
// its GGUF weights are stored, which config.json model_type values mean it, and
// what its Hugging Face checkpoints call each tensor (and under which prefixes).
// Weights are named as in GGUF inside the package. LookupFamily fails with
// ErrUnknownArch on anything else. Config.Validate is the one place defaults live.
//
// # Hook points
//
// Hooks are typed values whose String is a stable public name (see hooks.go):
//
//	blocks.{L}.resid_pre   [batch, seq, d_model]  residual stream entering block L
//	blocks.{L}.attn_heads  [batch, seq, n_heads, head_dim]  per-head attention output
//	blocks.{L}.attn_out    [batch, seq, d_model]  attention's addition to the residual
//	blocks.{L}.resid_mid   [batch, seq, d_model]  resid_pre + attn_out
//	blocks.{L}.mlp_out     [batch, seq, d_model]  the MLP's addition to the residual
//	blocks.{L}.resid_post  [batch, seq, d_model]  resid_mid + mlp_out
//	final_norm             [batch, seq, d_model]  input of the unembedding
//
// For Gemma, attn_out and mlp_out are taken after the post-norms, so the
// residual identities above hold exactly in every family. Positions
// (prompt_last, response_first, step:{k}, frac:{f}, eos, all) are defined here
// too, for the capture layer.
//
// # Interventions
//
// An Intervention (ProjectOut, Ablate, Steer) edits the value at a hook. Its
// structure (kind, hook, rank) is compiled in; its values (basis, heads, mean,
// vector, coefficient, positions) are graph inputs, so one compiled graph serves
// every direction and coefficient. Where an intervention does not apply, values
// pass through bit-exactly (the graph selects, it does not add zero).
//
// # Batches, padding and positions
//
// Rows of a batch are left-padded to the longest. Pads are masked out of
// attention and position ids count each row's own tokens from 0, so a row's
// logits do not depend on its neighbours (to float rounding). Acts.At indexes a
// row's own tokens, hiding the padding.
//
// # Generation
//
// Generate and GenerateStream decode with a KV cache that stays on the backend:
// GenerateOptions.Batch rows (all prompts by default) of a fixed number of
// columns, a multiple of 64 that holds the longest prompt plus MaxTokens. Row r
// holds one prompt's keys and values with token t of its sequence (prompt, then
// response) in column t. Prompts are admitted in order, an eighth of the batch
// per prefill call (right-padded, written as whole cache rows, zeros past the
// prompt); each decode step feeds every row its last token at its own position,
// writes its keys and values into that column (a scatter into a zero column) and
// attends to the columns up to it. When a row's response is complete, the next
// prompt takes the row (continuous batching), so the batch stays full until the
// prompts run out, and a row never waits for a longer neighbour. Because a row
// attends only to its own row and its layout does not depend on its neighbours,
// a prompt's tokens and states are those of generating it alone (to float
// rounding of batched matrix products; tested to 1e-5, bit for bit on SimpleGo).
//
// Keys are kept transposed, each row's [kvH, head_dim, columns], values as
// [kvH, columns, head_dim]: both of attention's per-row products then read
// their right operand with the output's axis contiguous, which XLA CPU runs in a
// third less time than the usual layout (BenchmarkDecodeAttentionLayout).
//
// The graphs that take the cache return it updated and are compiled with the
// cache aliased to their output (aliasOutput): XLA then updates the donated
// buffers in place instead of copying every layer's cache at every step. Greedy
// decoding takes the argmax on the backend, so a step returns B token ids, not
// B x vocab logits. Temperature, top-k and top-p sampling (seeded per prompt),
// stop tokens, streaming (OnToken) and capture at every generated token are
// supported; CapturePromptLast keeps only the prompt's last token of the prompt's
// states.
//
// Prompts that all begin with the same tokens (a chat template's system turn:
// 24 of SmolLM2's 52 tokens in the quick profile) share them: the prefix is
// prefilled once, as a prompt of its own, into a one-row cache, and each prefill
// call then runs only the prompts' remaining tokens, at positions after the
// prefix, attending to the prefix's keys and values and writing prefix and rest
// as whole cache rows (the prefix caching of vLLM, for one prefix known in
// advance). Results differ from unshared ones by float rounding only (tested to
// 1e-5 against each prompt alone); GenerateStats.SharedPrefix reports it, and
// NoSharedPrefix turns it off. It is off under interventions and whole-prompt
// captures, which read or edit the prefix's positions per prompt.
//
// # Several devices
//
// OnDevices(n) places the model on devices 0..n-1 of its backend: the weights
// are copied device to device, the compiled graphs are shared (they are compiled
// without a device assignment, so each runs on whichever device its call names:
// every graph runs on the model's device and donates its cache there). Generate
// and GenerateStream then deal prompt i to device i mod n, and each device runs
// the continuous batching above over its share, Batch rows at most, in a goroutine
// of its own; a prompt keeps its own index for Intervention.At, its sampling seed,
// OnToken and done, which are called one at a time. The cache's columns come from
// all the prompts, so each device runs one device's shapes: responses and states
// equal one device's bit for bit when each device's share fills its rows (tested
// on two XLA CPU host devices), to float rounding otherwise. Forward runs on
// device 0. docs/tensor-parallel.md has the design of splitting one model over
// devices.
//
// # Invariants
//
//   - Weights are loaded once (f32, or bf16/f16 by LoadOptions) and never change;
//     everything computed from them is f32.
//   - Capture never changes logits; a no-op intervention is the identity.
//   - Cached generation equals a full forward over prompt + generated tokens, and a
//     state captured at generation step k equals the forward's (tested to 1e-5 on
//     random models; parity tests compare real models with Hugging Face).
//   - No panic escapes the exported API: GoMLX graph-building panics are returned
//     as errors. Bad inputs wrap ErrBadInput, ErrBadHook, ErrBadIntervention,
//     ErrBadConfig or ErrUnknownArch.
package model
