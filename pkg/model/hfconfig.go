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
	RopeParameters        json.RawMessage `json:"rope_parameters"`
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

// kind is the scaling type under either spelling; "" and "default" mean none.
func (s *hfRopeScaling) kind() string { return firstNonEmpty(s.RopeType, s.Type) }

// hfRopeParams is one transformers 5.x rope_parameters block: rope_theta and
// rope_type plus the type's own keys. It replaces rope_theta and rope_scaling.
type hfRopeParams struct {
	RopeTheta float64 `json:"rope_theta"`
	hfRopeScaling
}

// ConfigFromHF reads a Config from the bytes of a Hugging Face config.json and
// validates it. Multimodal configs (Gemma 3 4B+) are read from their text_config.
func ConfigFromHF(configJSON []byte) (Config, error) {
	c, _, err := configFromHF(configJSON)
	return c, err
}

// configFromHF is ConfigFromHF, also returning the parsed (text) config.
func configFromHF(configJSON []byte) (Config, hfConfig, error) {
	var hf hfConfig
	if err := json.Unmarshal(configJSON, &hf); err != nil {
		return Config{}, hf, fmt.Errorf("model: config.json: %w", err)
	}
	if hf.TextConfig != nil {
		hf = *hf.TextConfig
	}
	if err := hf.readRopeParameters(); err != nil {
		return Config{}, hf, err
	}
	fam, err := lookupHFModelType(hf.ModelType)
	if err != nil {
		return Config{}, hf, fmt.Errorf("model: config.json model_type: %w", err)
	}
	arch := fam.Arch
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
		return Config{}, hf, fmt.Errorf("model: config.json hidden_act %q: unsupported", act)
	}
	if err := fam.fromHF(hf, &c); err != nil {
		return Config{}, hf, err
	}
	if err := applyLayerTypes(hf.LayerTypes, &c); err != nil {
		return Config{}, hf, err
	}
	if err := c.Validate(); err != nil {
		return Config{}, hf, fmt.Errorf("model: config.json (%s): %w", arch, err)
	}
	return c, hf, nil
}

// readRopeParameters folds transformers 5.x rope_parameters into the 4.x fields
// (rope_theta, rope_scaling, rope_local_base_freq) the families read. It is either
// one block ({"rope_type": "llama3", "rope_theta": 5e5, "factor": 8, ...}) or, for
// models with two kinds of layers (Gemma 3), one block per layer type:
// {"full_attention": {...}, "sliding_attention": {...}}. When present it wins over
// the 4.x fields.
func (hf *hfConfig) readRopeParameters() error {
	raw := hf.RopeParameters
	if len(raw) == 0 || string(raw) == "null" {
		if hf.RopeScaling != nil && (hf.RopeScaling.kind() == "" || hf.RopeScaling.kind() == "default") {
			hf.RopeScaling = nil
		}
		return nil
	}
	var byType map[string]json.RawMessage
	if err := json.Unmarshal(raw, &byType); err != nil {
		return fmt.Errorf("model: config.json rope_parameters: %w", err)
	}
	full, nestedFull := byType["full_attention"]
	sliding, nestedSliding := byType["sliding_attention"]
	if !nestedFull && !nestedSliding {
		return hf.setGlobalRope(raw, "rope_parameters")
	}
	for k := range byType {
		if k != "full_attention" && k != "sliding_attention" {
			return fmt.Errorf("model: config.json rope_parameters.%s: unsupported layer type (known: full_attention, sliding_attention)", k)
		}
	}
	if nestedFull {
		if err := hf.setGlobalRope(full, "rope_parameters.full_attention"); err != nil {
			return err
		}
	}
	if nestedSliding {
		p, err := parseRopeParams(sliding, "rope_parameters.sliding_attention")
		if err != nil {
			return err
		}
		if k := p.kind(); k != "" && k != "default" {
			return fmt.Errorf("model: config.json rope_parameters.sliding_attention.rope_type %q: unsupported (sliding layers take rope_theta only)", k)
		}
		if p.RopeTheta != 0 {
			hf.RopeLocalBaseFreq = p.RopeTheta
		}
	}
	return nil
}

// setGlobalRope sets rope_theta and rope_scaling from one rope_parameters block.
func (hf *hfConfig) setGlobalRope(raw json.RawMessage, field string) error {
	p, err := parseRopeParams(raw, field)
	if err != nil {
		return err
	}
	if p.RopeTheta != 0 {
		hf.RopeTheta = p.RopeTheta
	}
	hf.RopeScaling = nil
	if k := p.kind(); k != "" && k != "default" {
		s := p.hfRopeScaling
		hf.RopeScaling = &s
	}
	return nil
}

func parseRopeParams(raw json.RawMessage, field string) (hfRopeParams, error) {
	var p hfRopeParams
	if err := json.Unmarshal(raw, &p); err != nil {
		return p, fmt.Errorf("model: config.json %s: %w", field, err)
	}
	if math.IsNaN(p.RopeTheta) || p.RopeTheta < 0 {
		return p, fmt.Errorf("model: config.json %s.rope_theta %g: must be > 0", field, p.RopeTheta)
	}
	return p, nil
}

// applyLayerTypes sets SlidingLayers from config.json's layer_types (written by
// transformers for Gemma 2/3 and Qwen2) when the config has a sliding window.
func applyLayerTypes(types []string, c *Config) error {
	if len(types) == 0 {
		return nil
	}
	if len(types) != c.NLayers {
		return fmt.Errorf("model: config.json layer_types has %d entries, want num_hidden_layers=%d", len(types), c.NLayers)
	}
	sliding := make([]bool, c.NLayers)
	for i, t := range types {
		switch t {
		case "sliding_attention":
			sliding[i] = c.SlidingWindow > 0
		case "full_attention":
		default:
			return fmt.Errorf("model: config.json layer_types[%d] %q: unsupported (known: full_attention, sliding_attention)", i, t)
		}
	}
	c.SlidingLayers = sliding
	return nil
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
