package model

import (
	"fmt"
	"math"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph-building code reads best unqualified, as in GoMLX itself
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/ifprobe/ifprobe/pkg/hook"
)

// logitsMode says which logits a program returns.
type logitsMode int

const (
	logitsAll  logitsMode = iota // [batch, seq, vocab]
	logitsLast                   // [batch, vocab] at the last (right-most) position
	logitsNone                   // no logits (capture only)
)

// program is the static structure of one compiled graph; everything else is an
// input. Two calls with equal programs and input shapes share one compilation.
type program struct {
	capture []hook.Point
	edits   []editKey
	// hasPast: the KV cache [batch, kv_heads, capacity, head_dim] per layer and the
	// slot of the new tokens are inputs; the step writes its keys/values into the
	// cache inside the graph (DynamicUpdateSlice where the backend has it, a select
	// otherwise), attends over the updated cache and returns it.
	hasPast  bool
	useDUS   bool // write the cache with DynamicUpdateSlice
	logits   logitsMode
	returnKV bool // without hasPast: the tokens' keys/values [batch, kv_heads, seq, head_dim] per layer are outputs
}

func (p *program) key() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "past=%v dus=%v logits=%d kv=%v cap=", p.hasPast, p.useDUS, p.logits, p.returnKV)
	for _, h := range p.capture {
		sb.WriteString(h.String() + ",")
	}
	sb.WriteString(" edits=")
	for _, e := range p.edits {
		fmt.Fprintf(&sb, "%d@%s/%d,", e.Kind, e.Hook, e.Rank)
	}
	return sb.String()
}

// maskedScore is added to the attention scores of keys a query may not see. It is
// finite so that a fully masked row (a pad query) gives a uniform softmax instead
// of NaN, and exp(maskedScore - max) underflows to exactly 0 elsewhere.
const maskedScore = -1e30

// builder builds one forward graph.
type builder struct {
	cfg  *Config
	lay  *weightLayout
	prog *program
	w    []*Node

	capIdx map[hook.Point]int // hook -> output slot
	caps   []*Node
	edits  map[hook.Point][]editInputs

	rope map[bool][2]*Node // sliding? -> cos, sin [B,S,1,hd/2]
	bias map[bool]*Node    // sliding? -> additive mask [B,1,1,S,T]
}

// editInputs are the graph inputs of one intervention.
type editInputs struct {
	key                    editKey
	mask                   *Node // [B,S] bool
	basis, mean, vec, coef *Node
	heads                  *Node // [H] bool
}

// graphFn returns the function GoMLX compiles for p. Input layout (after the
// weights, in layout order): tokens [B,S] int32, positions [B,S] int32,
// keyValid [B,T] bool, keyPos [B,T] int32 (T = S, or the cache capacity C with
// hasPast, describing the cache after this step's write), then, with hasPast, the
// slot (int32 scalar) and for each layer the cache K and V [B,kvH,C,hd]; then per
// edit: ProjectOut basis [R,W], mask; Ablate mean [W], mask, (AttnHeads) heads
// [H] bool; Steer vector [W], coef [], mask. Outputs: logits, captures in program
// order, then each layer's K and V (the new tokens' with returnKV, the updated
// cache with hasPast).
func graphFn(cfg *Config, lay *weightLayout, prog *program) func([]*Node) []*Node {
	return func(in []*Node) []*Node {
		b := &builder{cfg: cfg, lay: lay, prog: prog, capIdx: map[hook.Point]int{}, edits: map[hook.Point][]editInputs{},
			rope: map[bool][2]*Node{}, bias: map[bool]*Node{}}
		nw := len(lay.specs)
		b.w = in[:nw]
		rest := in[nw:]
		tokens, positions, keyValid, keyPos := rest[0], rest[1], rest[2], rest[3]
		rest = rest[4:]
		var past [][2]*Node
		var slot *Node
		if prog.hasPast {
			slot, rest = rest[0], rest[1:]
			past = make([][2]*Node, cfg.NLayers)
			for l := range past {
				past[l] = [2]*Node{rest[0], rest[1]}
				rest = rest[2:]
			}
		}
		for _, e := range prog.edits {
			ei := editInputs{key: e}
			switch e.Kind {
			case ProjectOut:
				ei.basis, ei.mask, rest = rest[0], rest[1], rest[2:]
			case Ablate:
				ei.mean, ei.mask, rest = rest[0], rest[1], rest[2:]
				if e.Hook.Kind == hook.KindAttnHeads {
					ei.heads, rest = rest[0], rest[1:]
				}
			case Steer:
				ei.vec, ei.coef, ei.mask, rest = rest[0], rest[1], rest[2], rest[3:]
			}
			b.edits[e.Hook] = append(b.edits[e.Hook], ei)
		}
		for i, h := range prog.capture {
			b.capIdx[h] = i
		}
		b.caps = make([]*Node, len(prog.capture))
		b.prepareAttention(positions, keyValid, keyPos)

		x := Gather(b.w[lay.embed], InsertAxes(tokens, -1))
		if cfg.EmbedScale != 1 {
			x = MulScalar(x, float32(cfg.EmbedScale))
		}
		var kvOut []*Node
		for l := 0; l < cfg.NLayers; l++ {
			var p [2]*Node
			if past != nil {
				p = past[l]
			}
			var k, v *Node
			x, k, v = b.block(l, x, p, slot)
			if prog.returnKV || prog.hasPast {
				kvOut = append(kvOut, k, v)
			}
		}
		x = b.rmsNorm(x, b.w[lay.finalNorm])
		x = b.site(hook.FinalNorm, x)

		var outs []*Node
		switch prog.logits {
		case logitsAll, logitsLast:
			if prog.logits == logitsLast {
				s := x.Shape().Dimensions[1]
				x = Squeeze(SliceAxis(x, 1, AxisRange(s-1, s)), 1)
			}
			logits := DotGeneral(x, []int{x.Rank() - 1}, nil, b.w[lay.unembed], []int{1}, nil)
			if cfg.FinalSoftcap > 0 {
				logits = softcap(logits, cfg.FinalSoftcap)
			}
			outs = append(outs, logits)
		}
		if len(b.caps) > 0 {
			outs = append(outs, stackCaptures(b.caps))
		}
		return append(outs, kvOut...)
	}
}

// stackCaptures joins the captured hooks, each flattened to [B, S, width], along
// the last axis into one output. One output instead of one per hook matters on a
// GPU, where every output is its own device-to-host copy at every generation step:
// with 30 separate outputs, capture halved decode throughput on an H200
// (BENCHMARKS.md, "GPU"). run splits the rows back per hook.
func stackCaptures(caps []*Node) *Node {
	flat := make([]*Node, len(caps))
	for i, c := range caps {
		d := c.Shape().Dimensions
		flat[i] = Reshape(c, d[0], d[1], c.Shape().Size()/(d[0]*d[1]))
	}
	if len(flat) == 1 {
		return flat[0]
	}
	return Concatenate(flat, -1)
}

// site applies the edits registered at h to x and records x if h is captured.
func (b *builder) site(h hook.Point, x *Node) *Node {
	if eds := b.edits[h]; len(eds) > 0 {
		shape := x.Shape().Dimensions
		flat := x
		if h.Kind == hook.KindAttnHeads {
			flat = Reshape(x, shape[0], shape[1], shape[2]*shape[3])
		}
		for _, e := range eds {
			flat = b.applyEdit(e, flat)
		}
		x = Reshape(flat, shape...)
	}
	if i, ok := b.capIdx[h]; ok {
		b.caps[i] = x
	}
	return x
}

// applyEdit edits x [B,S,W]; where mask is false x passes through unchanged (Where
// selects, so the identity is bit-exact).
func (b *builder) applyEdit(e editInputs, x *Node) *Node {
	dims := x.Shape().Dimensions
	var edited *Node
	switch e.key.Kind {
	case ProjectOut:
		coef := DotGeneral(x, []int{2}, nil, e.basis, []int{1}, nil)    // [B,S,R]
		proj := DotGeneral(coef, []int{2}, nil, e.basis, []int{0}, nil) // [B,S,W]
		edited = Sub(x, proj)
	case Ablate:
		mean := BroadcastToDims(Reshape(e.mean, 1, 1, dims[2]), dims...)
		if e.heads != nil {
			hd := b.cfg.HeadDim
			heads := BroadcastToDims(Reshape(e.heads, 1, 1, b.cfg.NHeads, 1), dims[0], dims[1], b.cfg.NHeads, hd)
			x4 := Reshape(x, dims[0], dims[1], b.cfg.NHeads, hd)
			m4 := Reshape(mean, dims[0], dims[1], b.cfg.NHeads, hd)
			edited = Reshape(Where(heads, m4, x4), dims...)
		} else {
			edited = mean
		}
	case Steer:
		add := Mul(e.coef, e.vec)
		edited = Add(x, BroadcastToDims(Reshape(add, 1, 1, dims[2]), dims...))
	}
	mask := BroadcastToDims(Reshape(e.mask, dims[0], dims[1], 1), dims...)
	return Where(mask, edited, x)
}

// prepareAttention builds RoPE tables and additive masks for global and (if any
// layer uses it) sliding-window layers.
func (b *builder) prepareAttention(positions, keyValid, keyPos *Node) {
	cfg := b.cfg
	g := positions.Graph()
	kinds := []bool{false}
	for _, s := range cfg.SlidingLayers {
		if s {
			kinds = append(kinds, true)
			break
		}
	}
	qPos := InsertAxes(positions, -1) // [B,S,1]
	kPos := InsertAxes(keyPos, 1)     // [B,1,T]
	B, S := positions.Shape().Dimensions[0], positions.Shape().Dimensions[1]
	T := keyPos.Shape().Dimensions[1]
	visible := LogicalAnd(
		BroadcastToDims(InsertAxes(keyValid, 1), B, S, T),
		LessOrEqual(BroadcastToDims(kPos, B, S, T), BroadcastToDims(qPos, B, S, T)))
	for _, sliding := range kinds {
		base := cfg.RopeBase
		scale := cfg.RopeLinearFactor
		var factors []float32
		if sliding {
			base, scale = cfg.RopeBaseLocal, 1
		} else {
			factors = cfg.RopeFreqFactors
		}
		half := cfg.HeadDim / 2
		inv := make([]float32, half)
		for i := range inv {
			f := 1 / math.Pow(base, float64(2*i)/float64(cfg.HeadDim))
			if factors != nil {
				f /= float64(factors[i])
			}
			inv[i] = float32(f)
		}
		pos := ConvertDType(positions, dtypes.Float32)
		if scale != 1 {
			pos = DivScalar(pos, float32(scale))
		}
		ang := Mul(BroadcastToDims(InsertAxes(pos, -1), B, S, half),
			BroadcastToDims(Reshape(Const(g, inv), 1, 1, half), B, S, half))
		ang = InsertAxes(ang, 2) // [B,S,1,half]
		b.rope[sliding] = [2]*Node{Cos(ang), Sin(ang)}

		vis := visible
		if sliding && cfg.SlidingWindow > 0 {
			dist := Sub(BroadcastToDims(qPos, B, S, T), BroadcastToDims(kPos, B, S, T))
			vis = LogicalAnd(vis, LessThan(dist, Scalar(g, dtypes.Int32, cfg.SlidingWindow)))
		}
		bias := Where(vis, ScalarZero(g, dtypes.Float32), Scalar(g, dtypes.Float32, maskedScore))
		b.bias[sliding] = Reshape(bias, B, 1, 1, S, T)
	}
}

// block runs transformer block l on x [B,S,D]; past holds the cached K, V
// (nil when there is no cache) into which the new tokens go at slot. It returns
// the new residual and the K and V it attended over: the new tokens' [B,kvH,S,hd]
// or the updated cache [B,kvH,C,hd].
func (b *builder) block(l int, x *Node, past [2]*Node, slot *Node) (out, k, v *Node) {
	cfg, bw := b.cfg, b.lay.blocks[l]
	w := func(i int) *Node {
		if i < 0 {
			return nil
		}
		return b.w[i]
	}
	dims := x.Shape().Dimensions
	B, S := dims[0], dims[1]
	H, KV, hd := cfg.NHeads, cfg.NKVHeads, cfg.HeadDim
	sliding := cfg.SlidingLayers[l]

	x = b.site(hook.ResidPre(l), x)
	h := b.rmsNorm(x, w(bw.AttnNorm))
	q := Reshape(linear(h, w(bw.Q), w(bw.QBias)), B, S, H, hd)
	k = Reshape(linear(h, w(bw.K), w(bw.KBias)), B, S, KV, hd)
	v = Reshape(linear(h, w(bw.V), w(bw.VBias)), B, S, KV, hd)
	if cfg.QKNorm {
		q = b.rmsNorm(q, w(bw.QNorm))
		k = b.rmsNorm(k, w(bw.KNorm))
	}
	cs := b.rope[sliding]
	q, k = rope(q, cs[0], cs[1]), rope(k, cs[0], cs[1])
	k = TransposeAllDims(k, 0, 2, 1, 3) // [B,KV,S,hd]
	v = TransposeAllDims(v, 0, 2, 1, 3)
	if past[0] != nil {
		k, v = b.writeCache(past[0], k, slot), b.writeCache(past[1], v, slot)
	}
	z := b.attention(q, k, v, b.bias[sliding]) // [B,S,H,hd]
	z = b.site(hook.AttnHeads(l), z)
	a := linear(Reshape(z, B, S, H*hd), w(bw.O), nil)
	if cfg.PostNorms {
		a = b.rmsNorm(a, w(bw.PostAttnNorm))
	}
	a = b.site(hook.AttnOut(l), a)
	x = b.site(hook.ResidMid(l), Add(x, a))

	h = b.rmsNorm(x, w(bw.MLPNorm))
	gate := linear(h, w(bw.Gate), nil)
	up := linear(h, w(bw.Up), nil)
	var act *Node
	switch cfg.Act {
	case GELUTanh:
		act = geluTanh(gate)
	default:
		act = Mul(gate, Sigmoid(gate))
	}
	m := linear(Mul(act, up), w(bw.Down), nil)
	if cfg.PostNorms {
		m = b.rmsNorm(m, w(bw.PostMLPNorm))
	}
	m = b.site(hook.MLPOut(l), m)
	x = b.site(hook.ResidPost(l), Add(x, m))
	return x, k, v
}

// writeCache returns cache [B,KV,C,hd] with new [B,KV,S,hd] written at slots
// slot..slot+S-1.
func (b *builder) writeCache(cache, new, slot *Node) *Node {
	if b.prog.useDUS {
		zero := ScalarZero(slot.Graph(), dtypes.Int32)
		return DynamicUpdateSlice(cache, new, []*Node{zero, zero, slot, zero})
	}
	// No DynamicUpdateSlice (SimpleGo): select the new values at the slot.
	dims := cache.Shape().Dimensions
	if new.Shape().Dimensions[2] != 1 {
		panic(fmt.Sprintf("model: cache writes of %d tokens need DynamicUpdateSlice", new.Shape().Dimensions[2]))
	}
	at := Equal(Iota(slot.Graph(), shapes.Make(dtypes.Int32, dims[2]), 0), slot)
	at = BroadcastToDims(Reshape(at, 1, 1, dims[2], 1), dims...)
	return Where(at, BroadcastToDims(new, dims...), cache)
}

// attention computes softmax(scale·q·kᵀ + bias)·v with grouped query heads:
// q [B,S,H,hd], keys/vals [B,KV,T,hd], bias [B,1,1,S,T]; it returns [B,S,H,hd].
// Query head h reads key/value head h / (H/KV), as Hugging Face's repeat_kv.
func (b *builder) attention(q, keys, vals, bias *Node) *Node {
	cfg := b.cfg
	dims := q.Shape().Dimensions
	B, S, H, hd := dims[0], dims[1], dims[2], dims[3]
	KV := cfg.NKVHeads
	G := H / KV
	T := keys.Shape().Dimensions[2]
	qg := TransposeAllDims(Reshape(q, B, S, KV, G, hd), 0, 2, 3, 1, 4) // [B,KV,G,S,hd]
	qg = Reshape(qg, B, KV, G*S, hd)
	scores := DotGeneral(qg, []int{3}, []int{0, 1}, keys, []int{3}, []int{0, 1}) // [B,KV,G*S,T]
	scores = MulScalar(Reshape(scores, B, KV, G, S, T), float32(cfg.AttnScale))
	if cfg.AttnSoftcap > 0 {
		scores = softcap(scores, cfg.AttnSoftcap)
	}
	scores = Add(scores, BroadcastToDims(bias, B, KV, G, S, T))
	mx := ReduceAndKeep(scores, ReduceMax, -1)
	e := Exp(Sub(scores, mx))
	p := Div(e, ReduceAndKeep(e, ReduceSum, -1))
	p = Reshape(p, B, KV, G*S, T)
	out := DotGeneral(p, []int{3}, []int{0, 1}, vals, []int{2}, []int{0, 1}) // [B,KV,G*S,hd]
	out = TransposeAllDims(Reshape(out, B, KV, G, S, hd), 0, 3, 1, 2, 4)     // [B,S,KV,G,hd]
	return Reshape(out, B, S, H, hd)
}

// rmsNorm normalises the last axis: x / sqrt(mean(x²) + eps) * w, or *(1+w) when
// the config says the file stores w-1.
func (b *builder) rmsNorm(x, w *Node) *Node {
	ms := ReduceAndKeep(Square(x), ReduceMean, -1)
	y := Mul(x, Rsqrt(AddScalar(ms, float32(b.cfg.RMSEps))))
	if b.cfg.NormAddOne {
		w = AddScalar(w, float32(1))
	}
	return Mul(y, bcastLast(w, y))
}

// bcastLast reshapes a vector w [n] to broadcast over the leading axes of y.
func bcastLast(w, y *Node) *Node {
	dims := y.Shape().Dimensions
	shape := make([]int, len(dims))
	for i := range shape {
		shape[i] = 1
	}
	shape[len(shape)-1] = dims[len(dims)-1]
	return BroadcastToDims(Reshape(w, shape...), dims...)
}

// linear is x·Wᵀ (+ bias) for W [out, in] and x [..., in].
func linear(x, w, bias *Node) *Node {
	y := DotGeneral(x, []int{x.Rank() - 1}, nil, w, []int{1}, nil)
	if bias != nil {
		y = Add(y, bcastLast(bias, y))
	}
	return y
}

// rope rotates x [B,S,N,hd] by the angles in cos/sin [B,S,1,hd/2], pairing
// dimension i with i+hd/2 (Hugging Face rotate_half).
func rope(x, cos, sin *Node) *Node {
	dims := x.Shape().Dimensions
	half := dims[3] / 2
	c := BroadcastToDims(cos, dims[0], dims[1], dims[2], half)
	s := BroadcastToDims(sin, dims[0], dims[1], dims[2], half)
	x1 := SliceAxis(x, 3, AxisRange(0, half))
	x2 := SliceAxis(x, 3, AxisRange(half, dims[3]))
	return Concatenate([]*Node{Sub(Mul(x1, c), Mul(x2, s)), Add(Mul(x2, c), Mul(x1, s))}, 3)
}

// geluTanh is 0.5·x·(1 + tanh(sqrt(2/π)·(x + 0.044715·x³))).
func geluTanh(x *Node) *Node {
	inner := MulScalar(Add(x, MulScalar(Mul(x, Square(x)), float32(0.044715))), float32(math.Sqrt(2/math.Pi)))
	return Mul(MulScalar(x, float32(0.5)), OnePlus(Tanh(inner)))
}

// softcap is c·tanh(x/c).
func softcap(x *Node, c float64) *Node {
	return MulScalar(Tanh(DivScalar(x, float32(c))), float32(c))
}
