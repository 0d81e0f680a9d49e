package capture

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/model"
)

// Example describes one captured example (one prompt and, when generating, its
// response), in the order examples were added.
type Example struct {
	ID       string
	Prompt   []int            // the token ids the model read first
	Response []int            // generated tokens, including the stop token when Stop is StopToken
	Stop     model.StopReason // "" for a single forward
}

// Acts holds one key's values: row i (Data[i*D:(i+1)*D]) is token Tokens[i] of
// example IDs[i]. With a single-token position (everything but `all`) an example has
// at most one row, and none when the position does not exist in it (step:5 of a
// 3-token response, eos of a response cut by the token limit).
type Acts struct {
	Key    hook.Key
	N, D   int
	Data   []float32 // N×D, row-major
	IDs    []string  // example id of each row
	Tokens []int     // index of each row's token in its prompt+response sequence
}

// Row returns row i (a view into Data).
func (a *Acts) Row(i int) []float32 { return a.Data[i*a.D : (i+1)*a.D] }

// Stacked is one hook kind at one position over layers, like TransformerLens's
// stack_activation: slab l is N×D, from hook Labels[l]. Rows of every slab belong
// to the same examples (IDs, Tokens).
type Stacked struct {
	Labels   []string // hook names, e.g. "blocks.3.resid_post", one per slab
	Layers   []int
	Position hook.Position
	N, D     int
	Data     []float32 // len(Layers)×N×D
	IDs      []string
	Tokens   []int
}

// Layer returns slab l (N×D, a view into Data).
func (s *Stacked) Layer(l int) []float32 { return s.Data[l*s.N*s.D : (l+1)*s.N*s.D] }

// ErrNoKey is returned (wrapped) when a Cache does not hold the asked key.
var ErrNoKey = errors.New("capture: no such key")

// Cache is an in-memory activation cache: for each captured hook × position, the
// values of every example added so far. It is filled by Run, or by AddForward and
// AddSequences from model calls made elsewhere. See the package documentation for
// the table of shapes. A Cache is not safe for concurrent use.
type Cache struct {
	nLayers  int
	keys     []hook.Key // in insertion order: hook-major
	data     map[hook.Key]*Acts
	examples []Example
	index    map[string]int
}

// New returns an empty Cache for a model with nLayers blocks (used to resolve
// negative layers).
func New(nLayers int) *Cache {
	return &Cache{nLayers: nLayers, data: map[hook.Key]*Acts{}, index: map[string]int{}}
}

// Len is the number of examples added.
func (c *Cache) Len() int { return len(c.examples) }

// Examples returns the added examples in order.
func (c *Cache) Examples() []Example { return slices.Clone(c.examples) }

// Example returns the example with id.
func (c *Cache) Example(id string) (Example, bool) {
	i, ok := c.index[id]
	if !ok {
		return Example{}, false
	}
	return c.examples[i], true
}

// Keys lists the cached hook × position pairs, hook-major in capture order.
func (c *Cache) Keys() []hook.Key { return slices.Clone(c.keys) }

// Get returns hook at position.
func (c *Cache) Get(h hook.Point, p hook.Position) (*Acts, error) {
	a, ok := c.data[hook.Key{Point: h, Position: p}]
	if !ok {
		return nil, fmt.Errorf("%w %s (have %s)", ErrNoKey, hook.Key{Point: h, Position: p}, c.keyList())
	}
	return a, nil
}

// GetName is Get by names: a full hook name ("blocks.3.resid_post", "final_norm")
// and a position name ("prompt_last", "step:2").
func (c *Cache) GetName(point, position string) (*Acts, error) {
	h, err := hook.ParsePoint(point)
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	p, err := hook.ParsePosition(position)
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	return c.Get(h, p)
}

// Layer is Get by hook kind ("resid_post") and layer; a negative layer counts from
// the end, as in TransformerLens (-1 is the last block).
func (c *Cache) Layer(kind hook.Kind, layer int, p hook.Position) (*Acts, error) {
	l := layer
	if l < 0 {
		l += c.nLayers
	}
	if l < 0 || l >= c.nLayers {
		return nil, fmt.Errorf("%w: layer %d of a %d-layer model", ErrNoKey, layer, c.nLayers)
	}
	if !kind.Block() {
		return nil, fmt.Errorf("%w: %s is not a block hook", ErrNoKey, kind)
	}
	return c.Get(hook.Point{Kind: kind, Layer: l}, p)
}

// Stack returns every cached layer of kind ("resid_post") at p, ascending, as one
// [layers, n, d] array with the hook names as labels. All layers must have the same
// rows, which holds for keys filled together by Run, AddForward or AddSequences.
func (c *Cache) Stack(kind hook.Kind, p hook.Position) (*Stacked, error) {
	var parts []*Acts
	for _, k := range c.keys {
		if k.Position == p && k.Point.Kind == kind && kind.Block() {
			parts = append(parts, c.data[k])
		}
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("%w: no blocks.{L}.%s@%s (have %s)", ErrNoKey, kind, p, c.keyList())
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].Key.Point.Layer < parts[j].Key.Point.Layer })
	first := parts[0]
	st := &Stacked{Position: p, N: first.N, D: first.D, IDs: first.IDs, Tokens: first.Tokens,
		Data: make([]float32, 0, len(parts)*len(first.Data))}
	for _, a := range parts {
		if a.N != first.N || a.D != first.D {
			return nil, fmt.Errorf("capture: stack %s@%s: %s has %d×%d values, %s has %d×%d",
				kind, p, first.Key.Point, first.N, first.D, a.Key.Point, a.N, a.D)
		}
		st.Labels = append(st.Labels, a.Key.Point.String())
		st.Layers = append(st.Layers, a.Key.Point.Layer)
		st.Data = append(st.Data, a.Data...)
	}
	return st, nil
}

// AccumulatedResid is TransformerLens's accumulated_resid: the residual stream
// entering the first block (resid_pre of layer 0) followed by resid_post of every
// layer, at p, as [layers+1, n, d]. Both kinds must have been captured.
func (c *Cache) AccumulatedResid(p hook.Position) (*Stacked, error) {
	pre, err := c.Get(hook.ResidPre(0), p)
	if err != nil {
		return nil, err
	}
	post, err := c.Stack(hook.KindResidPost, p)
	if err != nil {
		return nil, err
	}
	if pre.N != post.N || pre.D != post.D {
		return nil, fmt.Errorf("capture: accumulated resid@%s: resid_pre has %d rows, resid_post %d", p, pre.N, post.N)
	}
	post.Labels = append([]string{pre.Key.Point.String()}, post.Labels...)
	post.Layers = append([]int{-1}, post.Layers...)
	post.Data = append(slices.Clone(pre.Data), post.Data...)
	return post, nil
}

// String lists the examples and every key with its shape, like the repr of
// TransformerLens's ActivationCache.
func (c *Cache) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "capture.Cache: %d examples, %d keys\n", len(c.examples), len(c.keys))
	for _, k := range c.keys {
		a := c.data[k]
		fmt.Fprintf(&b, "  %-40s [%d, %d]\n", k, a.N, a.D)
	}
	return b.String()
}

func (c *Cache) keyList() string {
	if len(c.keys) == 0 {
		return "no keys"
	}
	names := make([]string, len(c.keys))
	for i, k := range c.keys {
		names[i] = k.String()
	}
	if len(names) > 8 {
		names = append(names[:8], fmt.Sprintf("… %d more", len(c.keys)-8))
	}
	return strings.Join(names, ", ")
}

// add records one example and appends its rows: vals(h) returns the example's
// [n, width] values at hook h over its prompt+response tokens from token start on
// (n = len(prompt)+len(response)-start).
func (c *Cache) add(ex Example, ended bool, hooks []hook.Point, positions []hook.Position, vals func(hook.Point) (v []float32, width, start int)) error {
	if _, dup := c.index[ex.ID]; dup {
		return fmt.Errorf("capture: example %q added twice", ex.ID)
	}
	pl, rl := len(ex.Prompt), len(ex.Response)
	for _, h := range hooks {
		v, w, start := vals(h)
		if len(v) != (pl+rl-start)*w {
			return fmt.Errorf("capture: example %q hook %s: %d values, want %d tokens × %d", ex.ID, h, len(v), pl+rl-start, w)
		}
		for _, p := range positions {
			k := hook.Key{Point: h, Position: p}
			a := c.data[k]
			if a == nil {
				a = &Acts{Key: k, D: w}
				c.data[k] = a
				c.keys = append(c.keys, k)
			}
			idx, _ := p.Index(pl, rl, ended) // none for eos of a response cut by the token limit
			for _, t := range idx {
				if t < start {
					return fmt.Errorf("%w: example %q: position %s reads token %d, but only tokens from %d on were captured (model.GenerateOptions.CapturePromptLast)",
						ErrBadOptions, ex.ID, p, t, start)
				}
				a.Data = append(a.Data, v[(t-start)*w:(t-start+1)*w]...)
				a.IDs = append(a.IDs, ex.ID)
				a.Tokens = append(a.Tokens, t)
				a.N++
			}
		}
	}
	c.index[ex.ID] = len(c.examples)
	c.examples = append(c.examples, ex)
	return nil
}

// AddForward adds the rows of a Forward output: row b of the batch is example ids[b]
// with prompt seqs[b]. Only prompt positions exist (prompt_last, all).
func (c *Cache) AddForward(out *model.Output, seqs [][]int, ids []string, positions []hook.Position) error {
	if len(seqs) != len(ids) {
		return fmt.Errorf("capture: %d sequences but %d ids", len(seqs), len(ids))
	}
	hooks := sortedHooks(out.Captures)
	for b := range seqs {
		ex := Example{ID: ids[b], Prompt: seqs[b]}
		err := c.add(ex, false, hooks, positions, func(h hook.Point) ([]float32, int, int) {
			a := out.Captures[h]
			if b >= a.Batch || a.Len(b) != len(seqs[b]) {
				return nil, a.Width, 0
			}
			i := (b*a.Seq + a.Pad[b]) * a.Width
			return a.Data[i : i+a.Len(b)*a.Width], a.Width, 0
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// AddSequences adds generated sequences: seqs[i] is example ids[i]. Each must hold
// Captures for the same hooks (from token CaptureStart on: positions before it
// are an error).
func (c *Cache) AddSequences(seqs []model.Sequence, ids []string, positions []hook.Position) error {
	if len(seqs) != len(ids) {
		return fmt.Errorf("capture: %d sequences but %d ids", len(seqs), len(ids))
	}
	for i, s := range seqs {
		hooks := sortedHooks(s.Captures)
		n := len(s.Prompt) + len(s.Tokens) - s.CaptureStart
		ex := Example{ID: ids[i], Prompt: s.Prompt, Response: s.Tokens, Stop: s.Stop}
		err := c.add(ex, s.Stop == model.StopToken, hooks, positions, func(h hook.Point) ([]float32, int, int) {
			v := s.Captures[h]
			if n <= 0 {
				return v, 0, s.CaptureStart
			}
			return v, len(v) / n, s.CaptureStart
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// sortedHooks orders a capture map's hooks by layer, then kind, so that keys come
// out in the same order whatever the map iteration.
func sortedHooks[V any](m map[hook.Point]V) []hook.Point {
	hs := make([]hook.Point, 0, len(m))
	for h := range m {
		hs = append(hs, h)
	}
	sort.Slice(hs, func(i, j int) bool {
		a, b := hs[i], hs[j]
		fa, fb := a.Kind == hook.KindFinalNorm, b.Kind == hook.KindFinalNorm
		if fa != fb {
			return fb
		}
		if a.Layer != b.Layer {
			return a.Layer < b.Layer
		}
		return a.Kind < b.Kind
	})
	return hs
}
