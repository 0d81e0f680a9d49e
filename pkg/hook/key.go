package hook

import (
	"fmt"
	"strings"
)

// Key names one stored activation: a hook point read at a token position. Its
// String form, "blocks.12.resid_post@eos", is the tensor name in activation stores.
type Key struct {
	Point    Point
	Position Position
}

// keySep separates point and position in a key's name.
const keySep = "@"

// String returns "point@position".
func (k Key) String() string { return k.Point.String() + keySep + k.Position.String() }

// ParseKey reads a key as written by Key.String.
func ParseKey(s string) (Key, error) {
	pt, pos, ok := strings.Cut(s, keySep)
	if !ok {
		return Key{}, fmt.Errorf("%w %q: want point%sposition", ErrBadPoint, s, keySep)
	}
	p, err := ParsePoint(pt)
	if err != nil {
		return Key{}, err
	}
	q, err := ParsePosition(pos)
	if err != nil {
		return Key{}, err
	}
	return Key{p, q}, nil
}

// MarshalText writes the point's name, so JSON files hold "blocks.3.resid_post".
func (h Point) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText reads a point's name.
func (h *Point) UnmarshalText(b []byte) error {
	p, err := ParsePoint(string(b))
	*h = p
	return err
}

// MarshalText writes the position's name, so JSON files hold "eos".
func (p Position) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText reads a position's name; "" is the zero Position.
func (p *Position) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*p = Position{}
		return nil
	}
	q, err := ParsePosition(string(b))
	*p = q
	return err
}

// MarshalText writes the kind's site name ("resid_post").
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a site name; "" is the zero Kind.
func (k *Kind) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*k = 0
		return nil
	}
	q, err := ParseKind(string(b))
	*k = q
	return err
}

// MarshalText writes "point@position".
func (k Key) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads "point@position".
func (k *Key) UnmarshalText(b []byte) error {
	q, err := ParseKey(string(b))
	*k = q
	return err
}
