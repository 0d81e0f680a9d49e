package acts

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Key names one stored activation: a hook point and a token position, e.g.
// {"blocks.12.resid_post", "prompt_last"}. Names follow DESIGN.md; this package treats
// them as opaque strings apart from reading the layer out of "blocks.{L}." hooks.
type Key struct {
	Hook     string
	Position string
}

// keySep separates hook and position in tensor names.
const keySep = "@"

// String is the key's tensor name in every shard: "hook@position".
func (k Key) String() string { return k.Hook + keySep + k.Position }

// ParseKey is the inverse of Key.String.
func ParseKey(s string) (Key, error) {
	hook, pos, ok := strings.Cut(s, keySep)
	k := Key{Hook: hook, Position: pos}
	if !ok {
		return k, fmt.Errorf("acts: key %q: want hook%sposition", s, keySep)
	}
	return k, k.validate()
}

func (k Key) validate() error {
	if err := checkName("hook", k.Hook); err != nil {
		return err
	}
	return checkName("position", k.Position)
}

// maxName bounds hook, position and id strings.
const maxName = 1024

// checkName accepts non-empty printable UTF-8 without "@" (which separates hook and
// position in tensor names).
func checkName(what, s string) error {
	if s == "" || len(s) > maxName || !utf8.ValidString(s) || strings.Contains(s, keySep) {
		return fmt.Errorf("acts: %s %q: want 1 to %d bytes of UTF-8 without %q", what, s, maxName, keySep)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("acts: %s %q: non-printable character %U", what, s, r)
		}
	}
	return nil
}

// Layer returns L for a hook named "blocks.{L}.<name>", and ok=false for other hooks
// (such as "final_norm").
func Layer(hook string) (layer int, ok bool) {
	rest, found := strings.CutPrefix(hook, "blocks.")
	if !found {
		return 0, false
	}
	num, _, found := strings.Cut(rest, ".")
	if !found {
		return 0, false
	}
	l, err := strconv.Atoi(num)
	if err != nil || l < 0 || strconv.Itoa(l) != num {
		return 0, false
	}
	return l, true
}

// hookKind returns "resid_post" for "blocks.3.resid_post".
func hookKind(hook string) string {
	if _, ok := Layer(hook); !ok {
		return hook
	}
	_, after, _ := strings.Cut(strings.TrimPrefix(hook, "blocks."), ".")
	return after
}
