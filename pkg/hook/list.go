package hook

import (
	"fmt"
	"strings"
)

// String returns the site name of a kind: "resid_post", "final_norm"; "" for the
// zero Kind.
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("kind(%d)", int(k))
	}
	return kindNames[k]
}

// ParseKind reads a site name ("resid_post", "attn_out", "final_norm", ...).
func ParseKind(s string) (Kind, error) {
	for k, name := range kindNames {
		if name == s && name != "" {
			return Kind(k), nil
		}
	}
	return 0, fmt.Errorf("%w: unknown site %q (want resid_pre, attn_out, resid_mid, mlp_out, resid_post, attn_heads or final_norm)", ErrBadPoint, s)
}

// Block reports whether points of this kind sit inside a transformer block (and
// so carry a layer); final_norm does not.
func (k Kind) Block() bool { return k >= KindResidPre && k <= KindAttnHeads }

// ParsePoints reads a comma-separated list of hook point names in which a layer may
// be `*` (every layer): "blocks.*.resid_post,blocks.3.attn_out,final_norm". With
// nLayers > 0 the `*` expands to layers 0..nLayers-1 and explicit layers are
// range-checked; with nLayers == 0 only the syntax is checked (and `*` expands to
// nothing), which lets a command validate its flags before loading the model.
// Duplicates are dropped; the order of first appearance is kept.
func ParsePoints(spec string, nLayers int) ([]Point, error) {
	var out []Point
	seen := map[Point]bool{}
	for _, s := range strings.Split(spec, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, fmt.Errorf("%w: list %q has an empty name", ErrBadPoint, spec)
		}
		ps, err := expand(s, nLayers)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out, nil
}

// expand parses one name of a ParsePoints list.
func expand(s string, nLayers int) ([]Point, error) {
	if rest, ok := strings.CutPrefix(s, "blocks.*."); ok {
		k, err := ParseKind(rest)
		if err != nil || !k.Block() {
			return nil, fmt.Errorf("%w %q: unknown site %q (want resid_pre, attn_out, resid_mid, mlp_out, resid_post or attn_heads)", ErrBadPoint, s, rest)
		}
		ps := make([]Point, nLayers)
		for l := range ps {
			ps[l] = Point{k, l}
		}
		return ps, nil
	}
	p, err := ParsePoint(s)
	if err != nil {
		return nil, err
	}
	if nLayers > 0 {
		if err := p.Check(nLayers); err != nil {
			return nil, err
		}
	}
	return []Point{p}, nil
}

// ParsePositions reads a comma-separated list of positions
// ("prompt_last,step:3,frac:0.5,eos"). Duplicates are dropped.
func ParsePositions(spec string) ([]Position, error) {
	var out []Position
	seen := map[Position]bool{}
	for _, s := range strings.Split(spec, ",") {
		p, err := ParsePosition(strings.TrimSpace(s))
		if err != nil {
			return nil, err
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out, nil
}

// MustPosition is ParsePosition for names fixed in code; it panics on a bad name.
func MustPosition(s string) Position {
	p, err := ParsePosition(s)
	if err != nil {
		panic(err)
	}
	return p
}

// Timeline places a position on the generation time line: prompt_last (-2) before
// response_first (-1) before frac:{f} (f, in [0, 1]) before eos (2). ok is false
// for positions with no place on it (step:{k}, whose place depends on the
// response's length, and all).
func (p Position) Timeline() (t float64, ok bool) {
	switch p.Kind {
	case PosPromptLast:
		return -2, true
	case PosResponseFirst:
		return -1, true
	case PosFrac:
		return p.Frac, true
	case PosEOS:
		return 2, true
	}
	return 0, false
}
