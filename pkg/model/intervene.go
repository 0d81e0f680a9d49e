package model

import (
	"errors"
	"fmt"
	"math"

	"github.com/ifprobe/ifprobe/pkg/hook"
)

// InterventionKind says what an Intervention does to the value at its hook.
type InterventionKind int

// Intervention kinds.
const (
	// ProjectOut removes the span of Basis: h <- h - (h·Bᵀ)B. Basis rows must be
	// orthonormal; zero rows are no-ops, so one compiled rank serves every k <= Rank.
	ProjectOut InterventionKind = iota
	// Ablate replaces the value with Mean (zeros when Mean is nil: zero-ablation).
	// At an AttnHeads hook it replaces only the heads listed in Heads.
	Ablate
	// Steer adds Coef*Vector.
	Steer
)

func (k InterventionKind) String() string {
	switch k {
	case ProjectOut:
		return "project_out"
	case Ablate:
		return "ablate"
	case Steer:
		return "steer"
	}
	return fmt.Sprintf("intervention(%d)", int(k))
}

// Intervention edits the value at one hook point during a forward or generation.
//
// Its structure (Kind, Hook, Rank) is compiled into the graph; its values (Basis,
// Heads, Mean, Vector, Coef, At) are graph inputs, so changing them never
// recompiles. Where At is false the value passes through bit-exactly unchanged.
// Several interventions at one hook apply in order; captures at that hook see the
// edited value.
//
// Width is d_model for residual-stream hooks and n_heads*head_dim for AttnHeads
// (head h occupies [h*head_dim, (h+1)*head_dim)).
type Intervention struct {
	Kind InterventionKind
	Hook hook.Point
	Rank int // ProjectOut: number of basis rows compiled in (k_max)

	Basis  []float32 // ProjectOut: [Rank, width], orthonormal rows, zero rows for unused slots
	Heads  []int     // Ablate at AttnHeads: heads to replace; at other hooks unused
	Mean   []float32 // Ablate: replacement [width]; nil means zeros
	Vector []float32 // Steer: [width]
	Coef   float64   // Steer: coefficient

	// At reports whether the intervention applies at token pos (0-based index in the
	// row's own sequence, prompt then generated tokens) of batch row b. Nil means
	// everywhere.
	At func(b, pos int) bool
}

// ErrBadIntervention is returned (wrapped) for an intervention that does not fit
// the model.
var ErrBadIntervention = errors.New("model: bad intervention")

// editKey is the compiled structure of an Intervention.
type editKey struct {
	Kind InterventionKind
	Hook hook.Point
	Rank int
}

func (iv *Intervention) key() editKey { return editKey{iv.Kind, iv.Hook, iv.Rank} }

// width of the value at hook h.
func (c *Config) width(h hook.Point) int {
	if h.Kind == hook.KindAttnHeads {
		return c.NHeads * c.HeadDim
	}
	return c.DModel
}

// check validates iv against cfg.
func (iv *Intervention) check(cfg *Config, i int) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w %d (%s at %s): %s", ErrBadIntervention, i, iv.Kind, iv.Hook, fmt.Sprintf(format, args...))
	}
	if err := iv.Hook.Check(cfg.NLayers); err != nil {
		return bad("%v", err)
	}
	w := cfg.width(iv.Hook)
	finite := func(name string, xs []float32) error {
		for j, x := range xs {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return bad("%s[%d] is %g", name, j, x)
			}
		}
		return nil
	}
	switch iv.Kind {
	case ProjectOut:
		if iv.Rank <= 0 || iv.Rank > w {
			return bad("Rank %d not in [1, %d]", iv.Rank, w)
		}
		if len(iv.Basis) != iv.Rank*w {
			return bad("Basis has %d values, want Rank*width = %d*%d", len(iv.Basis), iv.Rank, w)
		}
		return finite("Basis", iv.Basis)
	case Ablate:
		if iv.Mean != nil && len(iv.Mean) != w {
			return bad("Mean has %d values, want width %d", len(iv.Mean), w)
		}
		for _, h := range iv.Heads {
			if h < 0 || h >= cfg.NHeads {
				return bad("head %d not in [0, %d)", h, cfg.NHeads)
			}
		}
		if len(iv.Heads) > 0 && iv.Hook.Kind != hook.KindAttnHeads {
			return bad("Heads is only meaningful at an attn_heads hook")
		}
		return finite("Mean", iv.Mean)
	case Steer:
		if len(iv.Vector) != w {
			return bad("Vector has %d values, want width %d", len(iv.Vector), w)
		}
		if math.IsNaN(iv.Coef) || math.IsInf(iv.Coef, 0) {
			return bad("Coef is %g", iv.Coef)
		}
		return finite("Vector", iv.Vector)
	}
	return bad("unknown kind")
}
