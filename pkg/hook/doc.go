// Package hook is ifprobe's one vocabulary for where activations are read: hook
// points inside the model, token positions in a prompt and its response, and the
// keys that pair them in activation stores. The model (pkg/model), the in-memory
// cache (pkg/capture), the store on disk (pkg/acts), the probe sets and the
// analyses all use these types, and every name a user types or a file holds is
// parsed here and nowhere else.
//
// # Hook points
//
// Names are stable, like TransformerLens's hook names (without the hook_ prefix):
//
//	blocks.{L}.resid_pre    residual stream entering block L
//	blocks.{L}.attn_out     what attention adds to the residual stream
//	blocks.{L}.resid_mid    resid_pre + attn_out
//	blocks.{L}.mlp_out      what the MLP adds
//	blocks.{L}.resid_post   the residual stream leaving block L
//	blocks.{L}.attn_heads   per-head attention output before the output projection
//	final_norm              the final norm's output (the unembedding's input)
//
// ParsePoints reads lists with `*` for every layer ("blocks.*.resid_post").
//
// # Positions
//
//	prompt_last      the last prompt token, after the chat template
//	response_first   the first generated token
//	step:{k}         the k-th generated token (0-based)
//	frac:{f}         the generated token at fraction f of the response
//	eos              the token that ends the response; undefined for a response
//	                 cut off by the token limit
//	all              every token
//
// # Files
//
// Point, Position, Kind and Key implement encoding.TextMarshaler, so JSON files
// hold their names ("blocks.3.resid_post", "frac:0.5", "blocks.3.resid_post@eos")
// and reading a file validates them.
package hook
