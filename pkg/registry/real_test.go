package registry_test

import (
	"testing"

	"github.com/ifprobe/ifprobe/pkg/registry"
	"github.com/ifprobe/ifprobe/pkg/registry/registrytest"
)

// TestCatalogMatchesFiles checks each installed model against its entry: checksum,
// and what the file's own metadata says (architecture, chat template presence,
// license). The default models must be installed under CI=true; the others are
// checked when installed.
func TestCatalogMatchesFiles(t *testing.T) {
	for _, e := range registry.List() {
		t.Run(e.Name, func(t *testing.T) {
			p, err := registry.Path(e.Name)
			if err != nil {
				if !e.Default {
					t.Skipf("optional model not installed: %v", err)
				}
				registrytest.Missing(t, err)
			}
			if err := registry.Verify(p, e); err != nil {
				t.Fatal(err)
			}
			l, err := registry.Resolve(e.Name)
			if err != nil {
				t.Fatal(err)
			}
			in, err := registry.Describe(l)
			if err != nil {
				t.Fatal(err)
			}
			if in.Architecture != e.Architecture {
				t.Errorf("architecture %q, entry says %q", in.Architecture, e.Architecture)
			}
			if (in.ChatTemplate != "") != e.ChatTemplate {
				t.Errorf("chat template present = %v, entry says %v", in.ChatTemplate != "", e.ChatTemplate)
			}
			if in.License != "" && in.License != e.License {
				t.Errorf("general.license %q, entry says %q", in.License, e.License)
			}
			if e.Instruct && in.ChatTemplate == "" {
				t.Error("an instruct model without a chat template")
			}
			if in.Layers == 0 || in.DModel == 0 || in.Heads == 0 || in.Vocab == 0 || in.Params == 0 {
				t.Errorf("missing sizes: %+v", in)
			}
		})
	}
}
