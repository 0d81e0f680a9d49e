package model

import "github.com/ifprobe/ifprobe/pkg/hook"

// GenerateMemory estimates the bytes Generate holds at its peak for batch prompts of
// up to promptTokens tokens answered with up to maxTokens tokens each, capturing the
// given hooks at every token: the KV cache (and its host copy while the prefill's
// keys are laid into it), the captured values (grown by append, so up to twice their
// size), the largest prefill activations (one query block's attention scores, the
// MLP's hidden states), the logits and, when the weights are kept narrower than
// f32, the f32 copy of the largest weight a graph converts before a matrix
// product (WeightBytes holds the weights themselves). It is an upper estimate for refusing sizes that
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
	return kv + caps + attn + mlp + logits + m.convertMemory()
}

// convertMemory is the f32 copy of the largest weight, which XLA materializes
// before a matrix-matrix product when the weights are bf16 or f16 (a
// matrix-vector product reads them converted on the fly); 0 for f32 weights.
func (m *Model) convertMemory() float64 {
	if m.wdtype == WeightsF32 {
		return 0
	}
	largest := 0
	for _, s := range m.lay.specs {
		largest = max(largest, numel(s.Shape))
	}
	return 4 * float64(largest)
}

// WeightMemory is the memory the weights of cfg take when kept as d: 4 bytes
// per parameter in f32, 2 in bf16 or f16 (a tied unembedding counted once). It
// sizes a model before loading it, as Model.WeightBytes measures one loaded.
func WeightMemory(cfg Config, d WeightDType) (int64, error) {
	if err := cfg.Validate(); err != nil {
		return 0, err
	}
	var n int64
	for _, s := range layoutFor(&cfg).specs {
		n += int64(numel(s.Shape))
	}
	return n * int64(d.Bytes()), nil
}
