package capture

import (
	"fmt"
	"strings"

	"github.com/ifprobe/ifprobe/pkg/model"
)

// ParseHooks reads a comma-separated list of hook names in which a layer may be `*`
// (every layer): "blocks.*.resid_post,blocks.3.attn_out,final_norm". With nLayers > 0
// the `*` expands to layers 0..nLayers-1 and explicit layers are range-checked; with
// nLayers == 0 only the syntax is checked (and `*` expands to nothing), which lets a
// command validate its flags before loading the model.
func ParseHooks(spec string, nLayers int) ([]model.Hook, error) {
	var out []model.Hook
	seen := map[model.Hook]bool{}
	for _, s := range strings.Split(spec, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, fmt.Errorf("capture: hooks %q: empty name", spec)
		}
		var hs []model.Hook
		if rest, ok := strings.CutPrefix(s, "blocks.*."); ok {
			if _, err := model.ParseHook("blocks.0." + rest); err != nil {
				return nil, fmt.Errorf("capture: %w", err)
			}
			for l := 0; l < nLayers; l++ {
				h, _ := model.ParseHook(fmt.Sprintf("blocks.%d.%s", l, rest))
				hs = append(hs, h)
			}
		} else {
			h, err := model.ParseHook(s)
			if err != nil {
				return nil, fmt.Errorf("capture: %w", err)
			}
			if nLayers > 0 && h.Kind != model.KindFinalNorm && h.Layer >= nLayers {
				return nil, fmt.Errorf("capture: hook %s: layer out of range [0, %d)", h, nLayers)
			}
			hs = append(hs, h)
		}
		for _, h := range hs {
			if !seen[h] {
				seen[h] = true
				out = append(out, h)
			}
		}
	}
	return out, nil
}

// ParsePositions reads a comma-separated list of positions
// ("prompt_last,step:3,frac:0.5,eos").
func ParsePositions(spec string) ([]model.Position, error) {
	var out []model.Position
	seen := map[model.Position]bool{}
	for _, s := range strings.Split(spec, ",") {
		p, err := model.ParsePosition(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("capture: %w", err)
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out, nil
}
