package model

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"

	"github.com/ifprobe/ifprobe/pkg/hook"
)

// Severity grades a Comparison.
type Severity string

// Severities.
const (
	Match    Severity = "match"    // every element within atol + rtol*|want|
	Diverged Severity = "diverged" // some element outside the tolerance
	Invalid  Severity = "invalid"  // lengths differ or NaN/Inf present
)

// Comparison summarises got vs want element-wise.
type Comparison struct {
	MaxAbs   float64  `json:"max_abs"`  // max |got - want|
	MeanAbs  float64  `json:"mean_abs"` // mean |got - want|
	MaxRel   float64  `json:"max_rel"`  // max |got - want| / max(|want|, tiny)
	MaxRef   float64  `json:"max_ref"`  // max |want|
	Worst    int      `json:"worst"`    // index of the largest excess over the tolerance (or of MaxAbs)
	Severity Severity `json:"severity"`
}

// Compare compares got with want: an element matches when
// |got-want| <= atol + rtol*|want| (numpy.isclose's rule).
func Compare(got, want []float32, atol, rtol float64) Comparison {
	return compare(got, want, atol, rtol, false)
}

// CompareScaled is Compare with the relative tolerance taken against the largest
// |want| of the whole tensor: |got-want| <= atol + rtol*max|want|. It suits
// hidden states, whose f32 rounding error follows the magnitude of the terms
// summed (a few huge residual features), not that of each element.
func CompareScaled(got, want []float32, atol, rtol float64) Comparison {
	return compare(got, want, atol, rtol, true)
}

func compare(got, want []float32, atol, rtol float64, scaled bool) Comparison {
	if len(got) != len(want) || len(got) == 0 {
		return Comparison{Severity: Invalid, MaxAbs: math.Inf(1)}
	}
	c := Comparison{Severity: Match}
	for _, w := range want {
		c.MaxRef = max(c.MaxRef, math.Abs(float64(w)))
	}
	worstExcess := math.Inf(-1)
	for i := range got {
		g, w := float64(got[i]), float64(want[i])
		ref := math.Abs(w)
		if scaled {
			ref = c.MaxRef
		}
		d := math.Abs(g - w)
		if math.IsNaN(d) || math.IsInf(d, 0) {
			return Comparison{Severity: Invalid, MaxAbs: math.Inf(1), Worst: i}
		}
		c.MeanAbs += d
		c.MaxAbs = max(c.MaxAbs, d)
		c.MaxRel = max(c.MaxRel, d/math.Max(math.Abs(w), 1e-30))
		if ex := d - (atol + rtol*ref); ex > worstExcess {
			worstExcess, c.Worst = ex, i
		}
	}
	c.MeanAbs /= float64(len(got))
	if worstExcess > 0 {
		c.Severity = Diverged
	}
	return c
}

// HiddenReference holds another implementation's residual stream for one prompt,
// as scripts/fixtures/model/make.sh writes it (hidden-<name>.json) from Hugging
// Face's output_hidden_states: with N layers there are N+1 states, States[L] is
// blocks.L.resid_pre for L < N and States[N] is final_norm (Hugging Face applies
// the final norm to the last one), each [len(IDs), DModel].
type HiddenReference struct {
	Reference string      `json:"reference"`
	ModelFile string      `json:"model_file"`
	IDs       []int       `json:"ids"`
	DModel    int         `json:"d_model"`
	States    [][]float32 `json:"-"`
}

// Hooks returns the hook point of each state.
func (r *HiddenReference) Hooks() []hook.Point {
	hooks := make([]hook.Point, len(r.States))
	for i := range hooks {
		hooks[i] = hook.ResidPre(i)
	}
	hooks[len(hooks)-1] = hook.FinalNorm
	return hooks
}

// ReadHiddenReference reads and checks a hidden-state reference file.
func ReadHiddenReference(path string) (*HiddenReference, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	var raw struct {
		HiddenReference
		States []string `json:"states"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("model: %s: %w", path, err)
	}
	r := raw.HiddenReference
	if len(r.IDs) == 0 || r.DModel <= 0 || r.DModel > maxDim || len(raw.States) == 0 {
		return nil, fmt.Errorf("model: %s: want ids, d_model and states (got %d ids, d_model %d, %d states)", path, len(r.IDs), r.DModel, len(raw.States))
	}
	want := len(r.IDs) * r.DModel * 4
	for i, s := range raw.States {
		if base64.StdEncoding.DecodedLen(len(s)) < want || base64.StdEncoding.DecodedLen(len(s)) > want+3 {
			return nil, fmt.Errorf("model: %s: states[%d]: %d base64 bytes, want %d float32 values", path, i, len(s), want/4)
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b) != want {
			return nil, fmt.Errorf("model: %s: states[%d]: bad base64 float32 data (%v)", path, i, err)
		}
		st := make([]float32, want/4)
		for j := range st {
			st[j] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*j:]))
		}
		r.States = append(r.States, st)
	}
	return &r, nil
}

// HookDiff is the comparison at one hook point.
type HookDiff struct {
	Hook hook.Point `json:"-"`
	Comparison
}

// CompareHidden runs ref's prompt, captures the hook of every reference state
// and compares each. It returns the per-hook comparisons in model order and the
// index of the first that does not match (-1 if all match), using CompareScaled.
func (m *Model) CompareHidden(ref *HiddenReference, atol, rtol float64) ([]HookDiff, int, error) {
	if ref.DModel != m.Config.DModel || len(ref.States) != m.Config.NLayers+1 {
		return nil, -1, fmt.Errorf("%w: reference has d_model %d and %d states; model has d_model %d and %d layers",
			ErrBadInput, ref.DModel, len(ref.States), m.Config.DModel, m.Config.NLayers)
	}
	hooks := ref.Hooks()
	out, err := m.Forward([][]int{ref.IDs}, ForwardOptions{Logits: NoLogits, Capture: hooks})
	if err != nil {
		return nil, -1, err
	}
	diffs := make([]HookDiff, len(hooks))
	first := -1
	for i, h := range hooks {
		diffs[i] = HookDiff{Hook: h, Comparison: CompareScaled(out.Captures[h].Data, ref.States[i], atol, rtol)}
		if first < 0 && diffs[i].Severity != Match {
			first = i
		}
	}
	return diffs, first, nil
}
