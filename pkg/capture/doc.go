// Package capture records a model's hidden states at chosen hook points and
// positions, while it reads prompts and while it writes its responses, into an
// in-memory cache shaped like TransformerLens's ActivationCache or, streamed batch
// by batch, into an activation store (pkg/acts).
//
// # Usage
//
//	m, _ := lm.Load("smollm2-135m-instruct", lm.Options{})
//	hooks, _ := hook.ParsePoints("blocks.*.resid_post", m.Model.Config.NLayers)
//	c, _, err := capture.Run(ctx, m, []capture.Prompt{{ID: "a", Text: "List three colors."}},
//		capture.Options{Hooks: hooks, Positions: []hook.Position{hook.PromptLast, hook.Step(2)},
//			Generate: true, MaxTokens: 16})
//	fmt.Print(c)                                      // every key and its shape
//	a, _ := c.GetName("blocks.3.resid_post", "step:2") // a.Data is a.N×a.D, row i from example a.IDs[i]
//	a, _ = c.Layer(hook.KindResidPost, -1, hook.PromptLast) // negative layers count from the end
//	st, _ := c.Stack(hook.KindResidPost, hook.PromptLast)   // [layers, n, d], labelled st.Labels
//
// For datasets larger than memory, Store writes each batch into an acts.Writer
// created with StoreConfig, skipping examples the store already has (a rerun
// resumes); `ifprobe capture` is the command-line front end.
//
// Prompts are sent as one user turn through the model's chat template (pkg/lm),
// as raw text with Options.Raw, or as exact token ids (Prompt.Tokens).
//
// # Shapes
//
// Per token, a hook holds d_model values, except attn_heads: n_heads×head_dim (head
// h at [h*head_dim, (h+1)*head_dim)). For n examples:
//
//	Get(hook, p)            Acts     [rows, width]          rows = n for one-token positions (fewer
//	                                                        where the position does not exist), and
//	                                                        the total tokens read for `all`
//	Stack(kind, p)          Stacked  [layers, rows, d]      Labels[l] = "blocks.{L}.<kind>"
//	AccumulatedResid(p)     Stacked  [layers+1, rows, d]    blocks.0.resid_pre, then each resid_post
//	Store (acts.Store.Get)           [n, width]             one row per example and key, always
//
// Row i of an Acts belongs to example IDs[i] and is the state at its token
// Tokens[i], an index into that example's prompt followed by its response. Keep
// the ids when you slice: rows of different keys line up only when every example
// has every position (always true for prompt_last, response_first and eos when
// generating).
//
// # Positions
//
// prompt_last, response_first (= step:0), step:{k}, frac:{f}, eos and all, as
// defined by hook.Position.Index. A single forward (Generate false) reads only the
// prompt, so only prompt_last and all are allowed (ErrNeedsGenerate). When
// generating, every generated token is fed back once, so the stop token has a
// state: eos is the stop token. A response cut by MaxTokens did not end, so it has
// no eos row (Example.Stop says why it stopped); a store marks it Truncated and
// holds zeros there, which its readers leave out. `all` lives only in
// memory: a store keeps one vector per key and example (ErrAllInStore).
//
// # Invariants
//
//   - Captured values are exactly those of the model call that produced them: a
//     single forward's are bit-identical to model.Forward over the same batch.
//     During generation, step k's state equals a forward over the prompt and the
//     first k+1 tokens up to float rounding (the KV cache sums in another order).
//   - Capturing changes nothing the model computes, and a no-op intervention leaves
//     every value bit-identical.
//   - Memory: Run keeps every example; Store keeps one batch (Batch prompts ×
//     tokens read × hooks × width floats while generating) plus the writer's shard.
package capture
