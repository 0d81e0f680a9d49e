package model

import "github.com/ifprobe/ifprobe/pkg/hook"

// GenerateMemory estimates the bytes Generate holds at its peak for batch prompts of
// up to promptTokens tokens answered with up to maxTokens tokens each, capturing the
// given hooks at every token: the KV cache (and its host copy while the prefill's
// keys are laid into it), the captured values (grown by append, so up to twice their
// size), the largest prefill activations (one query block's attention scores, the
// MLP's hidden states) and the logits. It is an upper estimate for refusing sizes that
// cannot fit before any work starts, not an account of every allocation.
func (m *Model) GenerateMemory(batch, promptTokens, maxTokens int, capture []hook.Point) float64 {
	c := &m.Config
	S := roundUp(max(promptTokens, 1), promptBucket)
	B := float64(batch)
	slots := float64(cacheColumns(S, maxTokens, m.Config.ContextLength))
	const f32 = 4
	kv := 2 * float64(c.NLayers*c.NKVHeads*c.HeadDim) * f32 * slots * B * 2
	width := 0
	for _, h := range capture {
		width += c.width(h)
	}
	caps := float64(width) * f32 * float64(S+maxTokens) * B * 2
	q := S
	if m.attnBlock > 0 && m.attnBlock < S {
		q = m.attnBlock
	}
	attn := B * float64(c.NHeads) * float64(q) * float64(S) * f32 * 3 // scores, exponentials, probabilities
	mlp := B * float64(q) * float64(3*c.FFDim+4*c.DModel) * f32
	logits := B * float64(c.VocabSize) * f32 * 2
	return kv + caps + attn + mlp + logits
}
