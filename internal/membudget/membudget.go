package membudget

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
)

// ErrTooLarge is wrapped by the error of an estimate over the budget.
var ErrTooLarge = errors.New("over the memory budget")

// Env names the variable that overrides the budget.
const Env = "IFPROBE_MEMORY_BUDGET"

// fallback is the budget when the machine's memory is unknown.
const fallback = 8 << 30

// Budget returns the bytes a job may plan to hold, and where the figure comes from.
func Budget() (uint64, string) {
	if s := os.Getenv(Env); s != "" {
		if b, err := Parse(s); err == nil {
			return b, "$" + Env
		}
	}
	total := physical()
	if cg := cgroupLimit(); cg > 0 && (total == 0 || cg < total) {
		return cg / 2, "half the cgroup's memory limit of " + Format(cg)
	}
	if total == 0 {
		return fallback, "a default (this machine's memory is unknown)"
	}
	return total / 2, "half this machine's " + Format(total)
}

// Check returns nil when need (bytes) fits the budget, else an error wrapping
// ErrTooLarge: "<what> needs about <need> of memory, more than <budget> (<source>); <fix>".
func Check(what string, need float64, fix string) error {
	budget, src := Budget()
	if need <= float64(budget) {
		return nil
	}
	return fmt.Errorf("%s needs about %s of memory, more than the %s allowed (%s; %s overrides): %s: %w",
		what, Format(need), Format(budget), src, Env, fix, ErrTooLarge)
}

// Format writes a byte count with a binary unit ("15.8 TiB"). It takes a float so
// that estimates past 2^64 bytes still print.
func Format[N uint64 | int64 | int | float64](n N) string {
	f := float64(n)
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f B", f)
	}
	return fmt.Sprintf("%.1f %s", f, units[i])
}

// Parse reads "6GiB", "512 MiB", "1.5G" or plain bytes.
func Parse(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	num := strings.TrimRightFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	unit := strings.ToLower(strings.TrimSpace(s[len(num):]))
	if strings.HasSuffix(num, ".") { // "1.5G": the digits after the point were trimmed with the unit
		num = s
		unit = ""
	}
	mult := 1.0
	switch strings.TrimSuffix(strings.TrimSuffix(unit, "b"), "i") {
	case "":
	case "k":
		mult = 1 << 10
	case "m":
		mult = 1 << 20
	case "g":
		mult = 1 << 30
	case "t":
		mult = 1 << 40
	default:
		return 0, fmt.Errorf("membudget: %q: unknown unit %q", s, unit)
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v <= 0 || math.IsInf(v*mult, 0) || v*mult >= 1<<63 {
		return 0, fmt.Errorf("membudget: %q is not a positive size", s)
	}
	return uint64(v * mult), nil
}

// cgroupLimit reads the cgroup v2 (or v1) memory limit; 0 when there is none.
func cgroupLimit() uint64 {
	for _, p := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
		if err == nil && v > 0 && v < 1<<62 { // v1 says "no limit" with a huge number
			return v
		}
	}
	return 0
}
