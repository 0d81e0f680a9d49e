package acts

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// keySep separates point and position in tensor names; ids may not hold it.
const keySep = "@"

// maxName bounds example ids.
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
