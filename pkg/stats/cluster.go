package stats

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Merge is one step of an agglomerative clustering: clusters A < B join at Height
// into a cluster of Size leaves. Ids below N are leaves; merge i creates cluster N+i.
type Merge struct {
	A      int     `json:"a"`
	B      int     `json:"b"`
	Height float64 `json:"height"`
	Size   int     `json:"size"`
}

// Dendrogram is the merge tree of a hierarchical clustering of N items, in the
// layout of scipy's linkage matrix Z (row i = Merges[i]).
type Dendrogram struct {
	N      int     `json:"n"`
	Merges []Merge `json:"merges"`
}

// AverageLinkage clusters n items given their symmetric distance matrix with
// average linkage (UPGMA): the distance between two clusters is the mean pairwise
// distance between their members. Merges are in increasing height; on equal
// distances the pair with the smallest ids merges first. Diagonal entries are
// ignored. It costs O(n³) time, which is fine for the tens of layers or tasks
// ifprobe clusters. Distances must be finite and non-negative.
func AverageLinkage(dist mat.Symmetric) (*Dendrogram, error) {
	n := dist.SymmetricDim()
	if n < 1 {
		return nil, fmt.Errorf("stats: AverageLinkage: no items: %w", ErrDegenerate)
	}
	// d[i][j] between active cluster ids; slot i holds the cluster id active[i].
	d := make([][]float64, n)
	for i := range d {
		d[i] = make([]float64, n)
		for j := range d[i] {
			v := dist.At(i, j)
			if i != j && (math.IsNaN(v) || math.IsInf(v, 0) || v < 0) {
				return nil, fmt.Errorf("stats: AverageLinkage: distance (%d,%d) is %v, want finite and >= 0", i, j, v)
			}
			d[i][j] = v
		}
	}
	id := make([]int, n)   // cluster id held in slot i, -1 when the slot is retired
	size := make([]int, n) // leaves in slot i
	for i := range id {
		id[i], size[i] = i, 1
	}
	dg := &Dendrogram{N: n, Merges: make([]Merge, 0, n-1)}
	for step := 0; step < n-1; step++ {
		bi, bj, best := -1, -1, math.Inf(1)
		for i := 0; i < n; i++ {
			if id[i] < 0 {
				continue
			}
			for j := i + 1; j < n; j++ {
				if id[j] < 0 {
					continue
				}
				if v := d[i][j]; v < best || (v == best && lessPair(id[i], id[j], id[bi], id[bj])) {
					bi, bj, best = i, j, v
				}
			}
		}
		a, b := id[bi], id[bj]
		if a > b {
			a, b = b, a
		}
		dg.Merges = append(dg.Merges, Merge{A: a, B: b, Height: best, Size: size[bi] + size[bj]})
		// Slot bi becomes the new cluster; distances are size-weighted means.
		for k := 0; k < n; k++ {
			if id[k] < 0 || k == bi || k == bj {
				continue
			}
			v := (float64(size[bi])*d[bi][k] + float64(size[bj])*d[bj][k]) / float64(size[bi]+size[bj])
			d[bi][k], d[k][bi] = v, v
		}
		id[bi], size[bi] = n+step, size[bi]+size[bj]
		id[bj] = -1
	}
	return dg, nil
}

// lessPair orders unordered id pairs lexicographically by (min, max).
func lessPair(a1, b1, a2, b2 int) bool {
	if a1 > b1 {
		a1, b1 = b1, a1
	}
	if a2 > b2 {
		a2, b2 = b2, a2
	}
	return a1 < a2 || (a1 == a2 && b1 < b2)
}

// Leaves returns the leaves in dendrogram order, left to right: a pre-order walk of
// the tree from the last merge, visiting A before B (scipy's leaves_list).
func (dg *Dendrogram) Leaves() []int {
	if dg.N == 0 {
		return nil
	}
	out := make([]int, 0, dg.N)
	stack := []int{dg.N - 1 + len(dg.Merges)}
	if len(dg.Merges) == 0 {
		stack[0] = 0
	}
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if c < dg.N {
			out = append(out, c)
			continue
		}
		m := dg.Merges[c-dg.N]
		stack = append(stack, m.B, m.A)
	}
	return out
}

// Cut returns flat cluster labels (0..k-1, numbered by first appearance in leaf
// order) obtained by undoing the last k-1 merges. k must be in [1, N].
func (dg *Dendrogram) Cut(k int) ([]int, error) {
	if k < 1 || k > dg.N {
		return nil, fmt.Errorf("stats: Cut: k = %d, want 1 <= k <= %d", k, dg.N)
	}
	parent := make([]int, dg.N+len(dg.Merges))
	for i := range parent {
		parent[i] = i
	}
	for i := 0; i < dg.N-k; i++ {
		m := dg.Merges[i]
		parent[m.A], parent[m.B] = dg.N+i, dg.N+i
	}
	root := func(c int) int {
		for parent[c] != c {
			c = parent[c]
		}
		return c
	}
	labels := make([]int, dg.N)
	seen := map[int]int{}
	for _, leaf := range dg.Leaves() {
		r := root(leaf)
		if _, ok := seen[r]; !ok {
			seen[r] = len(seen)
		}
		labels[leaf] = seen[r]
	}
	return labels, nil
}
