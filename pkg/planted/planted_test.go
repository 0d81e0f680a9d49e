package planted

import (
	"math"
	"slices"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/hook"
)

// checksum is a position-weighted sum of a dataset's activations: any change of the
// drawn noise, the directions or the planted signal changes it.
func checksum(t *testing.T, s *Study, task string, layer int, pos hook.Position) float64 {
	t.Helper()
	ds, err := s.Dataset(task, layer, pos)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	r, c := ds.X.Dims()
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			sum += ds.X.At(i, j) * float64(1+(i*c+j)%7)
		}
	}
	return sum
}

// The planted study stays what its documentation says and the notebooks show:
// same tasks in the same order, same components, same draws. (Version 3: the
// lowercase/word_limit dependency was made aligned enough to survive the
// ablation's multiplicity correction; the other tasks and every draw of
// noise are those of version 2.)
func TestPlantedConfigUnchanged(t *testing.T) {
	cfg := PaperConfig()
	var names, kinds []string
	for _, tk := range cfg.Tasks {
		names, kinds = append(names, tk.Name), append(kinds, tk.Kind)
	}
	wantNames := []string{"word_limit", "lowercase", "json_format", "bullet_count", "include_keyword", "forbidden_word", "end_phrase", "sentiment", "topic"}
	wantKinds := []string{"structural", "structural", "structural", "structural", "lexical", "lexical", "lexical", "semantic", "semantic"}
	if !slices.Equal(names, wantNames) || !slices.Equal(kinds, wantKinds) {
		t.Fatalf("tasks %v kinds %v, want %v %v", names, kinds, wantNames, wantKinds)
	}
	wantLower := []Component{{Direction: 0, Weight: 1}, {Direction: 9, Weight: 0.5}}
	if got := cfg.Components["lowercase"]; !slices.Equal(got, wantLower) {
		t.Errorf("lowercase components %v, want %v", got, wantLower)
	}
	if got, want := cfg.Components["topic"], []Component{{Direction: 8, Weight: 3}, {Direction: 11, Weight: 1.5}}; !slices.Equal(got, want) {
		t.Errorf("topic components %v, want %v", got, want)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Provenance: topic and word_limit computed with the planted config as the
	// set-up cell of notebooks 01-05 wrote it (commit 2f6a286), before it moved
	// into this package, and unchanged since; lowercase recomputed for version 3.
	const tol = 1e-9
	for i, c := range []struct {
		task  string
		layer int
		pos   hook.Position
		want  float64
	}{
		{"lowercase", 3, hook.EOS, 402.425929028540},          // 0
		{"topic", 5, hook.Frac(0.5), -23.880000339398},        // 1
		{"word_limit", 0, hook.PromptLast, -262.324262750736}, // 2
	} {
		if got := checksum(t, s, c.task, c.layer, c.pos); math.Abs(got-c.want) > tol {
			t.Errorf("%d: %s L%d %s: checksum %.12f, want %.12f", i, c.task, c.layer, c.pos, got, c.want)
		}
	}
}

// The signal switches on at the kind's onset layer and grows along the response.
func TestPlantedConfigScale(t *testing.T) {
	scale := PaperConfig().Scale
	for i, c := range []struct {
		task  string
		layer int
		pos   hook.Position
		want  float64
	}{
		{"lowercase", 0, hook.EOS, 0},               // 0: structural onset is layer 1
		{"lowercase", 1, hook.PromptLast, 0.3},      // 1
		{"include_keyword", 1, hook.EOS, 0},         // 2: lexical onset is layer 2
		{"include_keyword", 2, hook.Frac(0.5), 0.7}, // 3
		{"topic", 3, hook.EOS, 0},                   // 4: semantic onset is layer 4
		{"topic", 4, hook.ResponseFirst, 0.4},       // 5
		{"sentiment", 5, hook.Frac(1), 1},           // 6
	} {
		if got := scale(c.task, c.layer, c.pos); got != c.want {
			t.Errorf("%d: Scale(%s, %d, %s) = %v, want %v", i, c.task, c.layer, c.pos, got, c.want)
		}
	}
}

// Each call returns its own maps: changing one config leaves the next one alone.
func TestPlantedConfigFresh(t *testing.T) {
	a := PaperConfig()
	a.Components["topic"] = nil
	a.Tasks[0].Name = "changed"
	b := PaperConfig()
	if len(b.Components["topic"]) != 2 || b.Tasks[0].Name != "word_limit" {
		t.Errorf("PaperConfig shares state between calls: %v %v", b.Components["topic"], b.Tasks[0])
	}
}

// WithTasks keeps the named tasks in the config's order and ignores other names;
// the original config is left as it was.
func TestWithTasks(t *testing.T) {
	c := PaperConfig()
	small := c.WithTasks("sentiment", "no_such_task", "word_limit")
	if len(small.Tasks) != 2 || small.Tasks[0].Name != "word_limit" || small.Tasks[1].Name != "sentiment" {
		t.Errorf("WithTasks kept %+v", small.Tasks)
	}
	if len(c.Tasks) != 9 {
		t.Errorf("WithTasks changed the original config: %d tasks", len(c.Tasks))
	}
	if _, err := New(small); err != nil {
		t.Error(err)
	}
}
