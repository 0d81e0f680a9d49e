package cli

import (
	"fmt"
	"strings"

	"github.com/ifprobe/ifprobe/pkg/registry"
)

// listFlag splits the comma-separated value of --flag. An empty list (--models "",
// or only commas and spaces) and an entry given twice are usage errors: they are
// typos, not requests for a default.
func listFlag(flag, value string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, p := range strings.Split(value, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if seen[p] {
			return nil, Usagef("--%s: %q is listed twice", flag, p)
		}
		seen[p] = true
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, Usagef("--%s is empty: give at least one value (comma-separated)", flag)
	}
	return out, nil
}

// resolveModels finds every model of --flag before any work starts, so that a typo
// in the last name is reported at once rather than after the first model's run: an
// unknown name or path is a usage error (exit 2), a registry model that is not
// installed is missing (exit 4), as for every command that takes a model.
func resolveModels(flag string, names []string) error {
	for _, n := range names {
		if _, err := registry.Resolve(n); err != nil {
			return modelError(fmt.Errorf("--%s: %w", flag, err))
		}
	}
	return nil
}
