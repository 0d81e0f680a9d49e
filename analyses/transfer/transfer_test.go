package transfer

import (
	"context"
	"testing"

	"github.com/ifprobe/ifprobe/analyses"
	"github.com/ifprobe/ifprobe/pkg/planted"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"github.com/ifprobe/ifprobe/pkg/stats"
)

// Two planted clusters: the structural tasks share direction 0, the semantic tasks
// share direction 1. Transfer must be high within a cluster, at chance across, the
// dendrogram must split the clusters, and the within-kind contrast must hold.
func TestPlantedClusters(t *testing.T) {
	tasks := []probeset.Task{{Name: "s1", Kind: "structural"}, {Name: "m1", Kind: "semantic"}, {Name: "s2", Kind: "structural"},
		{Name: "m2", Kind: "semantic"}, {Name: "s3", Kind: "structural"}, {Name: "m3", Kind: "semantic"}}
	comps := map[string][]planted.Component{}
	for _, tk := range tasks {
		dir := 0
		if tk.Kind == "semantic" {
			dir = 1
		}
		comps[tk.Name] = []planted.Component{{Direction: dir, Weight: 3}}
	}
	src, err := planted.New(planted.Config{Tasks: tasks, Components: comps, NumLayers: 2, N: 100, D: 10, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(context.Background(), src, Config{Folds: 4, Probe: probe.DefaultParams(), Bootstrap: stats.BootstrapParams{Reps: 200}})
	if err != nil {
		t.Fatal(err)
	}
	const chanceTol = 0.2
	for a, ta := range tasks {
		for b, tb := range tasks {
			auc := r.Fixed.AUROC[a][b].Estimate
			if ta.Kind == tb.Kind && auc < 0.85 {
				t.Errorf("%s→%s (same cluster) AUROC %.3f < 0.85", ta.Name, tb.Name, auc)
			}
			if ta.Kind != tb.Kind && (auc < 0.5-chanceTol || auc > 0.5+chanceTol) {
				t.Errorf("%s→%s (different clusters) AUROC %.3f not near chance", ta.Name, tb.Name, auc)
			}
		}
	}
	labels, err := r.Dendrogram.Cut(2)
	if err != nil {
		t.Fatal(err)
	}
	for i := range tasks {
		for j := range tasks {
			if (labels[i] == labels[j]) != (tasks[i].Kind == tasks[j].Kind) {
				t.Fatalf("2-cluster cut %v does not split the planted clusters", labels)
			}
		}
	}
	if !(r.Contrast.Lo > 0) || r.PermutationP > 0.1 {
		t.Errorf("contrast %v, permutation p %.3f", r.Contrast, r.PermutationP)
	}
	if v := r.Verdict(); v.Status != analyses.Holds {
		t.Errorf("verdict %s: %s", v.Status, v.Text)
	}
	if len(r.Table()) != 1+len(tasks)*len(tasks) {
		t.Errorf("table rows %d", len(r.Table()))
	}
	if _, err := analyses.Save(t.TempDir(), r); err != nil {
		t.Fatal(err)
	}
}

// With 1 structural, 1 semantic and a 2-2 split, check nextPermutation enumerates
// each distinct labelling once: 4!/(2!2!) = 6.
func TestNextPermutationMultiset(t *testing.T) {
	s := []string{"a", "a", "b", "b"}
	n := 1
	for nextPermutation(s) {
		n++
	}
	if n != 6 {
		t.Fatalf("%d labellings, want 6", n)
	}
}
