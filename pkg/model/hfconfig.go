package model

import (
	"encoding/json"
	"fmt"
	"math"
)

// hfConfig is the subset of a Hugging Face config.json the families read.
type hfConfig struct {
	ModelType             string          `json:"model_type"`
	VocabSize             int             `json:"vocab_size"`
	HiddenSize            int             `json:"hidden_size"`
	NumHiddenLayers       int             `json:"num_hidden_layers"`
	NumAttentionHeads     int             `json:"num_attention_heads"`
	NumKeyValueHeads      int             `json:"num_key_value_heads"`
	HeadDim               int             `json:"head_dim"`
	IntermediateSize      int             `json:"intermediate_size"`
	RMSNormEps            float64         `json:"rms_norm_eps"`
	RopeTheta             float64         `json:"rope_theta"`
	RopeLocalBaseFreq     float64         `json:"rope_local_base_freq"`
	RopeScaling           *hfRopeScaling  `json:"rope_scaling"`
	TieWordEmbeddings     *bool           `json:"tie_word_embeddings"`
	MaxPositionEmbeddings int             `json:"max_position_embeddings"`
	QueryPreAttnScalar    float64         `json:"query_pre_attn_scalar"`
	AttnLogitSoftcapping  *float64        `json:"attn_logit_softcapping"`
	FinalLogitSoftcapping *float64        `json:"final_logit_softcapping"`
	SlidingWindow         *int            `json:"sliding_window"`
	UseSlidingWindow      *bool           `json:"use_sliding_window"`
	LayerTypes            []string        `json:"layer_types"`
	SlidingWindowPattern  int             `json:"sliding_window_pattern"`
	HiddenAct             string          `json:"hidden_act"`
	HiddenActivation      string          `json:"hidden_activation"`
	AttentionBias         bool            `json:"attention_bias"`
	BOSTokenID            json.RawMessage `json:"bos_token_id"`
	EOSTokenID            json.RawMessage `json:"eos_token_id"`
	TextConfig            *hfConfig       `json:"text_config"`
}

type hfRopeScaling struct {
	RopeType string `json:"rope_type"`
	Type     string `json:"type"`
	Llama3RopeScaling
}

// ConfigFromHF reads a Config from the bytes of a Hugging Face config.json and
// validates it. Multimodal configs (Gemma 3 4B+) are read from their text_config.
func ConfigFromHF(configJSON []byte) (Config, error) {
	var hf hfConfig
	if err := json.Unmarshal(configJSON, &hf); err != nil {
		return Config{}, fmt.Errorf("model: config.json: %w", err)
	}
	if hf.TextConfig != nil {
		hf = *hf.TextConfig
	}
	arch := hf.ModelType
	if arch == "gemma3_text" {
		arch = "gemma3"
	}
	fam, err := LookupFamily(arch)
	if err != nil {
		return Config{}, fmt.Errorf("model: config.json model_type: %w", err)
	}
	c := Config{
		Arch: arch, VocabSize: hf.VocabSize, DModel: hf.HiddenSize, NLayers: hf.NumHiddenLayers,
		NHeads: hf.NumAttentionHeads, NKVHeads: hf.NumKeyValueHeads, HeadDim: hf.HeadDim,
		FFDim: hf.IntermediateSize, RMSEps: hf.RMSNormEps, RopeBase: hf.RopeTheta,
		ContextLength: hf.MaxPositionEmbeddings, BOS: -1, Tied: true,
	}
	if hf.TieWordEmbeddings != nil {
		c.Tied = *hf.TieWordEmbeddings
	}
	if ids := jsonInts(hf.BOSTokenID); len(ids) > 0 {
		c.BOS = ids[0]
	}
	c.Stop = jsonInts(hf.EOSTokenID)
	switch act := firstNonEmpty(hf.HiddenActivation, hf.HiddenAct); act {
	case "", "silu":
		c.Act = SiLU
	case "gelu_pytorch_tanh", "gelu_tanh":
		c.Act = GELUTanh
	default:
		return Config{}, fmt.Errorf("model: config.json hidden_act %q: unsupported", act)
	}
	if err := fam.fromHF(hf, &c); err != nil {
		return Config{}, err
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("model: config.json (%s): %w", arch, err)
	}
	return c, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// jsonInts reads an int or a list of ints; anything else gives nil.
func jsonInts(raw json.RawMessage) []int {
	var one int
	if json.Unmarshal(raw, &one) == nil && len(raw) > 0 && string(raw) != "null" {
		return []int{one}
	}
	var many []int
	if json.Unmarshal(raw, &many) == nil {
		return many
	}
	return nil
}

// gemmaAttnScale is query_pre_attn_scalar^-1/2.
func gemmaAttnScale(hf hfConfig) float64 {
	if hf.QueryPreAttnScalar > 0 {
		return 1 / math.Sqrt(hf.QueryPreAttnScalar)
	}
	return 0
}
