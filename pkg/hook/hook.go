package hook

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Kind names a site in a transformer block (or after the last block) where
// activations can be captured and edited.
type Kind int

// Point kinds. Shapes are those of the value at the hook for a forward over a
// batch of `batch` rows of `seq` tokens. The zero Kind is unset (configurations
// read it as "the default").
const (
	KindResidPre  Kind = iota + 1 // [batch, seq, d_model] residual stream entering block L
	KindAttnOut                   // [batch, seq, d_model] what attention adds to the residual (after the post-attention norm where the family has one)
	KindResidMid                  // [batch, seq, d_model] resid_pre + attn_out
	KindMLPOut                    // [batch, seq, d_model] what the MLP adds to the residual (after the post-MLP norm where the family has one)
	KindResidPost                 // [batch, seq, d_model] resid_mid + mlp_out, the residual stream leaving block L
	KindAttnHeads                 // [batch, seq, n_heads, head_dim] per-head attention output before the output projection (TransformerLens hook_z)
	KindFinalNorm                 // [batch, seq, d_model] the final norm's output, the input of the unembedding
)

var kindNames = [...]string{
	KindResidPre:  "resid_pre",
	KindAttnOut:   "attn_out",
	KindResidMid:  "resid_mid",
	KindMLPOut:    "mlp_out",
	KindResidPost: "resid_post",
	KindAttnHeads: "attn_heads",
	KindFinalNorm: "final_norm",
}

// Point is a named hook point: a kind and, for block hooks, a layer. Point values are
// comparable and usable as map keys; their String form is the stable public name
// (`blocks.{L}.resid_post`, `final_norm`), which ParsePoint reads back.
type Point struct {
	Kind  Kind
	Layer int // block index; 0 for FinalNorm
}

// ResidPre is the residual stream entering block layer.
func ResidPre(layer int) Point { return Point{KindResidPre, layer} }

// AttnOut is attention's contribution to the residual stream in block layer.
func AttnOut(layer int) Point { return Point{KindAttnOut, layer} }

// ResidMid is the residual stream between attention and MLP in block layer.
func ResidMid(layer int) Point { return Point{KindResidMid, layer} }

// MLPOut is the MLP's contribution to the residual stream in block layer.
func MLPOut(layer int) Point { return Point{KindMLPOut, layer} }

// ResidPost is the residual stream leaving block layer.
func ResidPost(layer int) Point { return Point{KindResidPost, layer} }

// AttnHeads is the per-head attention output of block layer, before the output
// projection; head ablations act here.
func AttnHeads(layer int) Point { return Point{KindAttnHeads, layer} }

// FinalNorm is the output of the final norm (the unembedding's input).
var FinalNorm = Point{Kind: KindFinalNorm}

// ErrBadPoint is returned (wrapped) by ParsePoint and by model calls given a hook
// that does not exist in the model.
var ErrBadPoint = errors.New("hook: bad hook point")

// String returns the stable name, e.g. "blocks.3.resid_post" or "final_norm".
func (h Point) String() string {
	if h.Kind <= 0 || int(h.Kind) >= len(kindNames) {
		return fmt.Sprintf("hook(%d,%d)", int(h.Kind), h.Layer)
	}
	if h.Kind == KindFinalNorm {
		return kindNames[h.Kind]
	}
	return "blocks." + strconv.Itoa(h.Layer) + "." + kindNames[h.Kind]
}

// ParsePoint reads a hook name as written by Point.String.
func ParsePoint(s string) (Point, error) {
	if s == kindNames[KindFinalNorm] {
		return FinalNorm, nil
	}
	rest, ok := strings.CutPrefix(s, "blocks.")
	if !ok {
		return Point{}, fmt.Errorf("%w %q: want blocks.{L}.<site> or final_norm", ErrBadPoint, s)
	}
	num, site, ok := strings.Cut(rest, ".")
	if !ok {
		return Point{}, fmt.Errorf("%w %q: missing site after layer", ErrBadPoint, s)
	}
	layer, err := strconv.Atoi(num)
	if err != nil || layer < 0 || strconv.Itoa(layer) != num {
		return Point{}, fmt.Errorf("%w %q: layer %q is not a non-negative integer", ErrBadPoint, s, num)
	}
	for k, name := range kindNames {
		if name == site && name != "" && Kind(k) != KindFinalNorm {
			return Point{Kind(k), layer}, nil
		}
	}
	return Point{}, fmt.Errorf("%w %q: unknown site %q (want resid_pre, attn_out, resid_mid, mlp_out, resid_post or attn_heads)", ErrBadPoint, s, site)
}

// Check reports whether h exists in a model with nLayers blocks.
func (h Point) Check(nLayers int) error {
	if h.Kind <= 0 || int(h.Kind) >= len(kindNames) {
		return fmt.Errorf("%w: unknown kind %d", ErrBadPoint, int(h.Kind))
	}
	if h.Kind == KindFinalNorm {
		if h.Layer != 0 {
			return fmt.Errorf("%w: final_norm has no layer (got %d)", ErrBadPoint, h.Layer)
		}
		return nil
	}
	if h.Layer < 0 || h.Layer >= nLayers {
		return fmt.Errorf("%w %s: layer out of range [0, %d)", ErrBadPoint, h, nLayers)
	}
	return nil
}

// PositionKind names how a Position picks tokens in a prompt+response sequence.
type PositionKind int

// Position kinds.
const (
	PosPromptLast    PositionKind = iota + 1 // the last prompt token, after the chat template (0: the zero Position, unset)
	PosResponseFirst                         // the first generated token
	PosStep                                  // the k-th generated token (0-based: step:0 == response_first)
	PosFrac                                  // the generated token at fraction f of the response, f in [0,1]
	PosEOS                                   // the token that ends the response (the stop token, when it is fed back)
	PosAll                                   // every token
)

// Position selects tokens of one example. It is one type so that the forward,
// generation and the capture layer (pkg/acts) share one vocabulary; the selection
// itself needs the prompt and response lengths, see Index.
type Position struct {
	Kind PositionKind
	Step int     // PosStep
	Frac float64 // PosFrac
}

// Positions constructors.
var (
	PromptLast    = Position{Kind: PosPromptLast}
	ResponseFirst = Position{Kind: PosResponseFirst}
	EOS           = Position{Kind: PosEOS}
	AllPositions  = Position{Kind: PosAll}
)

// Step is the k-th generated token (0-based).
func Step(k int) Position { return Position{Kind: PosStep, Step: k} }

// Frac is the generated token at fraction f of the response.
func Frac(f float64) Position { return Position{Kind: PosFrac, Frac: f} }

// ErrBadPosition is returned (wrapped) by ParsePosition.
var ErrBadPosition = errors.New("hook: bad position")

// IsZero reports the zero Position: no position chosen (configurations read it
// as "the default").
func (p Position) IsZero() bool { return p == Position{} }

// String returns the stable name: prompt_last, response_first, step:{k}, frac:{f}, eos, all;
// "" for the zero Position.
func (p Position) String() string {
	switch p.Kind {
	case 0:
		return ""
	case PosPromptLast:
		return "prompt_last"
	case PosResponseFirst:
		return "response_first"
	case PosStep:
		return "step:" + strconv.Itoa(p.Step)
	case PosFrac:
		return "frac:" + strconv.FormatFloat(p.Frac, 'g', -1, 64)
	case PosEOS:
		return "eos"
	case PosAll:
		return "all"
	}
	return fmt.Sprintf("position(%d)", int(p.Kind))
}

// ParsePosition reads a position as written by Position.String.
func ParsePosition(s string) (Position, error) {
	switch s {
	case "prompt_last":
		return PromptLast, nil
	case "response_first":
		return ResponseFirst, nil
	case "eos":
		return EOS, nil
	case "all":
		return AllPositions, nil
	}
	if v, ok := strings.CutPrefix(s, "step:"); ok {
		k, err := strconv.Atoi(v)
		if err != nil || k < 0 {
			return Position{}, fmt.Errorf("%w %q: step must be a non-negative integer", ErrBadPosition, s)
		}
		return Step(k), nil
	}
	if v, ok := strings.CutPrefix(s, "frac:"); ok {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f >= 0 && f <= 1) {
			return Position{}, fmt.Errorf("%w %q: fraction must be a number in [0, 1]", ErrBadPosition, s)
		}
		return Frac(f), nil
	}
	return Position{}, fmt.Errorf("%w %q: want prompt_last, response_first, step:{k}, frac:{f}, eos or all", ErrBadPosition, s)
}

// Index returns the token indices that p selects in a sequence of promptLen prompt
// tokens followed by respLen generated tokens (indices into that sequence), and
// whether the selection exists (e.g. step:5 of a 3-token response does not).
// eos is the last generated token when endedOnStop is true.
func (p Position) Index(promptLen, respLen int, endedOnStop bool) ([]int, bool) {
	switch p.Kind {
	case PosPromptLast:
		if promptLen == 0 {
			return nil, false
		}
		return []int{promptLen - 1}, true
	case PosResponseFirst:
		return Step(0).Index(promptLen, respLen, endedOnStop)
	case PosStep:
		if p.Step < 0 || p.Step >= respLen {
			return nil, false
		}
		return []int{promptLen + p.Step}, true
	case PosFrac:
		if respLen == 0 {
			return nil, false
		}
		k := int(p.Frac * float64(respLen-1))
		return []int{promptLen + k}, true
	case PosEOS:
		if !endedOnStop || respLen == 0 {
			return nil, false
		}
		return []int{promptLen + respLen - 1}, true
	case PosAll:
		idx := make([]int, promptLen+respLen)
		for i := range idx {
			idx[i] = i
		}
		return idx, len(idx) > 0
	}
	return nil, false
}
