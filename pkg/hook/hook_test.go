package hook

import (
	"errors"
	"slices"
	"testing"
)

func TestHookRoundTrip(t *testing.T) {
	hooks := []Point{ResidPre(0), AttnOut(1), ResidMid(2), MLPOut(3), ResidPost(29), AttnHeads(7), FinalNorm}
	names := []string{"blocks.0.resid_pre", "blocks.1.attn_out", "blocks.2.resid_mid", "blocks.3.mlp_out",
		"blocks.29.resid_post", "blocks.7.attn_heads", "final_norm"}
	for i, h := range hooks {
		if h.String() != names[i] {
			t.Errorf("%d: String %q, want %q", i, h.String(), names[i])
		}
		got, err := ParsePoint(names[i])
		if err != nil || got != h {
			t.Errorf("%d: ParsePoint(%q) = %v, %v", i, names[i], got, err)
		}
	}
	for i, bad := range []string{"", "blocks.", "blocks.1", "blocks.-1.resid_post", "blocks.01.resid_post", "blocks.1.final_norm",
		"blocks.1.hook_resid_post", "final_norm.0", "resid_post"} {
		if _, err := ParsePoint(bad); !errors.Is(err, ErrBadPoint) {
			t.Errorf("%d: ParsePoint(%q) err = %v, want ErrBadPoint", i, bad, err)
		}
	}
}

func TestPositionRoundTripAndIndex(t *testing.T) {
	cases := []struct {
		s            string
		prompt, resp int
		stopped      bool
		want         []int
		ok           bool
	}{
		{"prompt_last", 5, 3, true, []int{4}, true},    // 0
		{"response_first", 5, 3, true, []int{5}, true}, // 1
		{"response_first", 5, 0, false, nil, false},    // 2
		{"step:2", 5, 3, true, []int{7}, true},         // 3
		{"step:3", 5, 3, true, nil, false},             // 4
		{"frac:0", 5, 3, true, []int{5}, true},         // 5
		{"frac:1", 5, 3, true, []int{7}, true},         // 6
		{"frac:0.5", 5, 4, true, []int{6}, true},       // 7: floor(0.5*3) = 1
		{"eos", 5, 3, true, []int{7}, true},            // 8
		{"eos", 5, 3, false, nil, false},               // 9: stopped on max tokens
		{"all", 2, 1, true, []int{0, 1, 2}, true},      // 10
	}
	for i, c := range cases {
		p, err := ParsePosition(c.s)
		if err != nil || p.String() != c.s {
			t.Fatalf("%d: ParsePosition(%q) = %v, %v", i, c.s, p, err)
		}
		got, ok := p.Index(c.prompt, c.resp, c.stopped)
		if ok != c.ok || !slices.Equal(got, c.want) {
			t.Errorf("%d: %s.Index(%d, %d, %v) = %v, %v; want %v, %v", i, c.s, c.prompt, c.resp, c.stopped, got, ok, c.want, c.ok)
		}
	}
	for i, bad := range []string{"", "step:-1", "step:x", "frac:1.5", "frac:nan", "last"} {
		if _, err := ParsePosition(bad); !errors.Is(err, ErrBadPosition) {
			t.Errorf("%d: ParsePosition(%q) err = %v, want ErrBadPosition", i, bad, err)
		}
	}
}

func FuzzParseHook(f *testing.F) {
	for _, s := range []string{"blocks.3.resid_post", "final_norm", "blocks.12.attn_heads", "blocks.x.y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParsePoint(s)
		if err != nil {
			return
		}
		if h.String() != s {
			t.Fatalf("ParsePoint(%q).String() = %q", s, h.String())
		}
	})
}
