package model

import (
	"errors"
	"fmt"
	"math"
)

// Activation is the MLP's gate non-linearity.
type Activation string

// Activations.
const (
	SiLU     Activation = "silu"      // SwiGLU: silu(gate) * up (llama, qwen2)
	GELUTanh Activation = "gelu_tanh" // GeGLU with the tanh approximation of GELU (gemma2, gemma3)
)

// Config describes one decoder-only transformer. The zero value of an optional
// field means its documented default; Validate fills the defaults and checks every
// field, and every constructor of a Model calls it, so code that holds a validated
// Config can rely on all fields being set.
type Config struct {
	Arch      string // architecture string as in GGUF general.architecture ("llama", "qwen2", "gemma2", "gemma3"); required
	VocabSize int    // number of token ids; required
	DModel    int    // residual stream width; required
	NLayers   int    // number of blocks; required
	NHeads    int    // query heads; required
	NKVHeads  int    // key/value heads (GQA); default NHeads
	HeadDim   int    // per-head width; default DModel/NHeads
	FFDim     int    // MLP hidden width; required

	Act    Activation // MLP gate non-linearity; default SiLU
	RMSEps float64    // RMSNorm epsilon; default 1e-6
	// NormAddOne applies RMSNorm as x*(1+w) (Hugging Face Gemma checkpoints store w-1).
	// GGUF files from llama.cpp's converter already store 1+w, so it is false for them.
	NormAddOne bool
	PostNorms  bool    // norms on the attention and MLP outputs before they join the residual (gemma2, gemma3)
	QKNorm     bool    // per-head RMSNorm of queries and keys before RoPE (gemma3)
	QKVBias    bool    // biases on the q, k, v projections (qwen2)
	EmbedScale float64 // multiplies token embeddings; default 1 (gemma: sqrt(DModel))
	Tied       bool    // the unembedding is the token embedding matrix

	RopeBase      float64 // RoPE base (theta) of global-attention layers; default 10000
	RopeBaseLocal float64 // RoPE base of sliding-window layers; default RopeBase (gemma3: 10000)
	// RopeFreqFactors, when set, divides each of the HeadDim/2 inverse frequencies of
	// global layers (Llama 3 "llama3" rope scaling; GGUF stores it as rope_freqs.weight).
	RopeFreqFactors []float32
	// RopeScaling is the Hugging Face rope_scaling block of Llama 3; Validate turns it
	// into RopeFreqFactors. Nil means none.
	RopeScaling *Llama3RopeScaling
	// RopeLinearFactor divides positions on global layers (linear rope scaling, e.g.
	// Gemma 3 4B+); default 1.
	RopeLinearFactor float64

	AttnScale     float64 // multiplies q·k; default 1/sqrt(HeadDim) (gemma: query_pre_attn_scalar^-0.5)
	AttnSoftcap   float64 // attention logits become c*tanh(x/c); 0 means none (gemma2: 50)
	FinalSoftcap  float64 // output logits become c*tanh(x/c); 0 means none (gemma2: 30)
	SlidingWindow int     // window of sliding-window layers in tokens (a query sees keys with qpos-kpos < window); 0 means none
	// SlidingLayers[L] is true when block L uses the sliding window and RopeBaseLocal.
	// Default: all false. Families derive it (gemma2: even layers; gemma3: all but every 6th).
	SlidingLayers []bool

	ContextLength int // the longest sequence the model was trained for; default 8192

	// BOS is the beginning-of-sequence token id, -1 for none. It is informational:
	// tokenizers and chat templates decide whether to prepend it.
	BOS  int
	Stop []int // token ids that end generation (EOS, end-of-turn); may be empty
}

// Llama3RopeScaling is Hugging Face's rope_scaling {"rope_type": "llama3", ...}.
type Llama3RopeScaling struct {
	Factor                        float64 `json:"factor"`
	LowFreqFactor                 float64 `json:"low_freq_factor"`
	HighFreqFactor                float64 `json:"high_freq_factor"`
	OriginalMaxPositionEmbeddings int     `json:"original_max_position_embeddings"`
}

// ErrBadConfig is returned (wrapped) by Validate.
var ErrBadConfig = errors.New("model: bad config")

// maxDim bounds every size so that a lying file cannot make us allocate terabytes.
const maxDim = 1 << 20

// Validate fills defaults and checks every field. It is the one place where
// defaults live.
func (c *Config) Validate() error {
	bad := func(field string, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrBadConfig, field, fmt.Sprintf(format, args...))
	}
	if c.Arch == "" {
		return bad("Arch", "empty")
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"VocabSize", c.VocabSize}, {"DModel", c.DModel}, {"NLayers", c.NLayers}, {"NHeads", c.NHeads}, {"FFDim", c.FFDim}} {
		if f.v <= 0 || f.v > maxDim {
			return bad(f.name, "%d not in [1, %d]", f.v, maxDim)
		}
	}
	if c.NKVHeads == 0 {
		c.NKVHeads = c.NHeads
	}
	if c.NKVHeads < 0 || c.NHeads%c.NKVHeads != 0 {
		return bad("NKVHeads", "%d does not divide NHeads=%d", c.NKVHeads, c.NHeads)
	}
	if c.HeadDim == 0 {
		if c.DModel%c.NHeads != 0 {
			return bad("HeadDim", "unset and DModel=%d is not a multiple of NHeads=%d", c.DModel, c.NHeads)
		}
		c.HeadDim = c.DModel / c.NHeads
	}
	if c.HeadDim <= 0 || c.HeadDim%2 != 0 || c.HeadDim > maxDim {
		return bad("HeadDim", "%d must be positive and even", c.HeadDim)
	}
	switch c.Act {
	case "":
		c.Act = SiLU
	case SiLU, GELUTanh:
	default:
		return bad("Act", "unknown activation %q", c.Act)
	}
	if c.RMSEps == 0 {
		c.RMSEps = 1e-6
	}
	if !(c.RMSEps > 0 && c.RMSEps < 1) {
		return bad("RMSEps", "%g not in (0, 1)", c.RMSEps)
	}
	if c.EmbedScale == 0 {
		c.EmbedScale = 1
	}
	if c.RopeBase == 0 {
		c.RopeBase = 10000
	}
	if c.RopeBaseLocal == 0 {
		c.RopeBaseLocal = c.RopeBase
	}
	if !(c.RopeBase > 1) || !(c.RopeBaseLocal > 1) || math.IsInf(c.RopeBase, 0) || math.IsInf(c.RopeBaseLocal, 0) {
		return bad("RopeBase", "%g / local %g must be finite and > 1", c.RopeBase, c.RopeBaseLocal)
	}
	if c.RopeLinearFactor == 0 {
		c.RopeLinearFactor = 1
	}
	if !(c.RopeLinearFactor > 0) {
		return bad("RopeLinearFactor", "%g must be > 0", c.RopeLinearFactor)
	}
	if c.RopeScaling != nil && c.RopeFreqFactors == nil {
		f, err := c.RopeScaling.freqFactors(c.HeadDim, c.RopeBase)
		if err != nil {
			return bad("RopeScaling", "%v", err)
		}
		c.RopeFreqFactors = f
	}
	if c.RopeFreqFactors != nil && len(c.RopeFreqFactors) != c.HeadDim/2 {
		return bad("RopeFreqFactors", "length %d, want HeadDim/2=%d", len(c.RopeFreqFactors), c.HeadDim/2)
	}
	for i, f := range c.RopeFreqFactors {
		if !(f > 0) || math.IsInf(float64(f), 0) {
			return bad("RopeFreqFactors", "[%d]=%g must be finite and > 0", i, f)
		}
	}
	if c.AttnScale == 0 {
		c.AttnScale = 1 / math.Sqrt(float64(c.HeadDim))
	}
	if !(c.AttnScale > 0) || math.IsInf(c.AttnScale, 0) {
		return bad("AttnScale", "%g must be finite and > 0", c.AttnScale)
	}
	if c.AttnSoftcap < 0 || c.FinalSoftcap < 0 {
		return bad("Softcap", "attention %g / final %g must be >= 0", c.AttnSoftcap, c.FinalSoftcap)
	}
	if c.SlidingWindow < 0 {
		return bad("SlidingWindow", "%d must be >= 0", c.SlidingWindow)
	}
	if c.SlidingLayers == nil {
		c.SlidingLayers = make([]bool, c.NLayers)
	}
	if len(c.SlidingLayers) != c.NLayers {
		return bad("SlidingLayers", "length %d, want NLayers=%d", len(c.SlidingLayers), c.NLayers)
	}
	if c.ContextLength == 0 {
		c.ContextLength = 8192
	}
	if c.ContextLength < 0 {
		return bad("ContextLength", "%d must be > 0", c.ContextLength)
	}
	if c.BOS < -1 || c.BOS >= c.VocabSize {
		return bad("BOS", "%d out of vocabulary [0, %d) and not -1", c.BOS, c.VocabSize)
	}
	for _, s := range c.Stop {
		if s < 0 || s >= c.VocabSize {
			return bad("Stop", "token %d out of vocabulary [0, %d)", s, c.VocabSize)
		}
	}
	return nil
}

// freqFactors implements transformers' _compute_llama3_parameters: low frequencies
// are divided by Factor, high ones kept, the band between interpolated. It returns
// the divisor of each inverse frequency.
func (s *Llama3RopeScaling) freqFactors(headDim int, base float64) ([]float32, error) {
	if !(s.Factor > 0) || !(s.LowFreqFactor > 0) || !(s.HighFreqFactor > s.LowFreqFactor) || s.OriginalMaxPositionEmbeddings <= 0 {
		return nil, fmt.Errorf("llama3 scaling %+v: want factor>0, high_freq_factor>low_freq_factor>0, original_max_position_embeddings>0", *s)
	}
	old := float64(s.OriginalMaxPositionEmbeddings)
	lowWavelen := old / s.LowFreqFactor
	highWavelen := old / s.HighFreqFactor
	out := make([]float32, headDim/2)
	for i := range out {
		invFreq := 1 / math.Pow(base, float64(2*i)/float64(headDim))
		wavelen := 2 * math.Pi / invFreq
		switch {
		case wavelen < highWavelen:
			out[i] = 1
		case wavelen > lowWavelen:
			out[i] = float32(s.Factor)
		default:
			smooth := (old/wavelen - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor)
			// scaled = (1-smooth)*inv/factor + smooth*inv, so the divisor is inv/scaled.
			out[i] = float32(1 / ((1-smooth)/s.Factor + smooth))
		}
	}
	return out, nil
}
