package model

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph-building code reads best unqualified, as in GoMLX itself
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/ifprobe/ifprobe/pkg/hook"
)

// logitsMode says which logits a program returns.
type logitsMode int

const (
	logitsAll    logitsMode = iota // [batch, seq, vocab]
	logitsLast                     // [batch, vocab] at each row's last token
	logitsNone                     // no logits (capture only)
	logitsArgmax                   // [batch] int32: the argmax of logitsLast (greedy decoding keeps the logits on the device)
)

// progKind says what one compiled graph runs.
type progKind int

const (
	// progForward: whole sequences, left-padded, each attending to itself.
	progForward progKind = iota
	// progPrefill: generation's prompts, right-padded (a row's token t sits at
	// sequence index t, its cache column): each attends to itself, and its keys and
	// values become whole rows of the KV cache (zeros after its last token).
	progPrefill
	// progStep: one token per cache row at its position, which is also its cache
	// column; it writes its keys and values there and attends to the columns up to it.
	progStep
)

// program is the static structure of one compiled graph; everything else is an
// input. Two calls with equal programs and input shapes share one compilation.
type program struct {
	kind    progKind
	capture []hook.Point
	capLast bool // progPrefill: capture only each row's last token
	edits   []editKey
	useDUS  bool // progPrefill: write cache rows with DynamicUpdateSlice (else a select)
	logits  logitsMode
	// attnBlock, when > 0, attends a prompt (progForward, progPrefill) this many
	// queries at a time (see builder.attention); 0 attends all queries at once.
	attnBlock int
	// prefix, when > 0 (progPrefill), is the length of a prefix every prompt
	// shares: the inputs hold only the prompts' tokens after it (positions from
	// prefix on), and each layer's prefix keys and values come as inputs, the
	// first prefix columns of a one-row cache (see sharedPrefix).
	prefix int
}

func (p *program) key() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "kind=%d dus=%v logits=%d last=%v block=%d prefix=%d cap=", p.kind, p.useDUS, p.logits, p.capLast, p.attnBlock, p.prefix)
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
	raw  []*Node // the weights as the model keeps them (f32, bf16 or f16)
	w    []*Node // their f32 values, converted on first use (weight)

	capIdx map[hook.Point]int // hook -> output slot
	caps   []*Node
	edits  map[hook.Point][]editInputs

	prefix [][2]*Node // progPrefill with a shared prefix: each layer's prefix K, V [1,kvH,prefix,hd]

	rope map[bool][2]*Node // sliding? -> cos, sin [B,S,1,hd/2]
	bias map[bool]*Node    // sliding? -> additive mask [B,1,1,S,T], built when first needed

	// The inputs of the masks: query positions [B,S], key validity [B,T] and key
	// positions [B,T].
	qPos, keyValid, kPos *Node
}

// editInputs are the graph inputs of one intervention.
type editInputs struct {
	key                    editKey
	mask                   *Node // [B,S] bool
	basis, mean, vec, coef *Node
	heads                  *Node // [H] bool
}

// graphFn returns the function GoMLX compiles for p. Input layout (after the
// weights, in layout order): tokens [B,S] int32, positions [B,S] int32; then
// progForward and progPrefill: keyValid [B,S] bool, keyPos [B,S] int32;
// progPrefill: last [B] int32 (each row's last token), rows [B] int32 (its cache
// row), and without DynamicUpdateSlice src [Bc] int32 and isNew [Bc] bool (for
// each cache row, the batch row it takes, if any); progPrefill and progStep: each
// layer's cache K [Bc,kvH,hd,C] and V [Bc,kvH,C,hd] (colAxis); progPrefill with
// a shared prefix: each layer's prefix K [1,kvH,hd,Cp] and V [1,kvH,Cp,hd] (Cp >=
// prefix); then per edit: ProjectOut basis [R,W], mask; Ablate mean [W], mask, (AttnHeads) heads [H] bool; Steer vector [W], coef
// [], mask. Outputs: logits (or their argmax), captures stacked (stackCaptures),
// then with a cache each layer's updated K and V, written in place of the inputs
// where the backend allows (aliasOutput).
func graphFn(cfg *Config, lay *weightLayout, prog *program) func([]*Node) []*Node {
	return func(in []*Node) []*Node {
		b := &builder{cfg: cfg, lay: lay, prog: prog, capIdx: map[hook.Point]int{}, edits: map[hook.Point][]editInputs{},
			rope: map[bool][2]*Node{}, bias: map[bool]*Node{}}
		nw := len(lay.specs)
		b.raw, b.w = in[:nw], make([]*Node, nw)
		rest := in[nw:]
		tokens, positions := rest[0], rest[1]
		rest = rest[2:]
		var keyValid, keyPos, last, rows, src, isNew *Node
		if prog.kind != progStep {
			keyValid, keyPos, rest = rest[0], rest[1], rest[2:]
		}
		if prog.kind == progPrefill {
			last, rows, rest = rest[0], rest[1], rest[2:]
			if !prog.useDUS {
				src, isNew, rest = rest[0], rest[1], rest[2:]
			}
		}
		var past [][2]*Node
		if prog.kind != progForward {
			past = make([][2]*Node, cfg.NLayers)
			for l := range past {
				past[l] = [2]*Node{rest[0], rest[1]}
				rest = rest[2:]
			}
		}
		if prog.prefix > 0 {
			rest = b.readPrefix(rest)
			keyValid, keyPos = withPrefix(keyValid, keyPos, prog.prefix)
		}
		rest = b.readEdits(rest)
		for i, h := range prog.capture {
			b.capIdx[h] = i
		}
		b.caps = make([]*Node, len(prog.capture))
		if prog.kind == progStep {
			keyValid, keyPos = stepKeys(positions, past[0][1].Shape().Dimensions[colAxis[1]])
		}
		b.prepareAttention(positions, keyValid, keyPos)

		x := toF32(Gather(b.raw[lay.embed], InsertAxes(tokens, -1))) // the rows, not the whole table
		if cfg.EmbedScale != 1 {
			x = MulScalar(x, float32(cfg.EmbedScale))
		}
		var kvOut []*Node
		for l := 0; l < cfg.NLayers; l++ {
			var p [2]*Node
			if prog.kind == progStep {
				p = past[l]
			}
			var k, v *Node
			x, k, v = b.block(l, x, p, positions)
			switch prog.kind {
			case progPrefill:
				kvOut = append(kvOut, b.writeRows(past[l][0], k, keyValid, rows, src, isNew, colAxis[0]),
					b.writeRows(past[l][1], v, keyValid, rows, src, isNew, colAxis[1]))
			case progStep:
				kvOut = append(kvOut, k, v)
			}
		}
		x = b.rmsNorm(x, b.weight(lay.finalNorm))
		x = b.site(hook.FinalNorm, x)

		var outs []*Node
		if prog.logits != logitsNone {
			switch {
			case prog.logits == logitsAll:
			case last != nil:
				x = gatherLast(x, last)
			default:
				s := x.Shape().Dimensions[1]
				x = Squeeze(SliceAxis(x, 1, AxisRange(s-1, s)), 1)
			}
			logits := DotGeneral(x, []int{x.Rank() - 1}, nil, b.matrix(lay.unembed, x), []int{1}, nil)
			if cfg.FinalSoftcap > 0 {
				logits = softcap(logits, cfg.FinalSoftcap)
			}
			if prog.logits == logitsArgmax {
				logits = ArgMax(logits, -1, dtypes.Int32)
			}
			outs = append(outs, logits)
		}
		if len(b.caps) > 0 {
			if prog.capLast {
				for i, c := range b.caps {
					d := c.Shape().Dimensions
					flat := Reshape(c, d[0], d[1], c.Shape().Size()/(d[0]*d[1]))
					b.caps[i] = InsertAxes(gatherLast(flat, last), 1)
				}
			}
			outs = append(outs, stackCaptures(b.caps))
		}
		for l := range past {
			aliasOutput(past[l][0], len(outs)+2*l)
			aliasOutput(past[l][1], len(outs)+2*l+1)
		}
		return append(outs, kvOut...)
	}
}

// weight returns vector weight i (a norm's gain, a bias) in f32, nil for -1. A
// narrower one is converted here, once per graph.
func (b *builder) weight(i int) *Node {
	if i < 0 {
		return nil
	}
	if b.w[i] == nil {
		b.w[i] = toF32(b.raw[i])
	}
	return b.w[i]
}

// matrix returns weight matrix i in f32 for a product with x. A narrower matrix
// is converted here, next to its use, so the model keeps 2 bytes per parameter
// and everything computed from the weights is f32. The conversion is made to
// depend on x (after), so that XLA runs it just before the product: otherwise
// XLA CPU hoists every weight's conversion to the start of the graph, whose
// f32 copies of all the weights are then alive at once (1.5x the memory of f32
// weights) and evicted from cache before their products (2.3x slower decode at
// batch 64). With the dependency, the conversion of a matrix-vector product's
// weight fuses into the product (a decode step at batch 1 reads half the bytes)
// and a matrix-matrix product's converts into one reused buffer (BENCHMARKS.md,
// "bf16 and f16 weights").
func (b *builder) matrix(i int, x *Node) *Node {
	w := b.raw[i]
	if w.DType() == dtypes.Float32 {
		return w
	}
	return after(toF32(w), x)
}

// after returns w [f32] bit for bit, made data-dependent on x [f32] (so that XLA
// computes w after x; weights' conversions and attention blocks use it): it ORs
// into w's bits a zero computed from x's first element ((bits & 1) >> 1), which
// the compiler cannot fold away and which is zero for every value, NaN included.
// A backend without Bitcast (SimpleGo, which runs the nodes in the order they
// were built and frees each buffer after its last use) gets w as it is.
func after(w, x *Node) *Node {
	if !x.Graph().Backend().Capabilities().Operations[backends.OpTypeBitcast] {
		return w
	}
	ranges := make([]SliceAxisSpec, x.Rank())
	for i := range ranges {
		ranges[i] = AxisRange(0, 1)
	}
	first := Bitcast(Reshape(Slice(x, ranges...)), dtypes.Uint32)
	zero := BitwiseShiftRightLogicalScalar(BitwiseAnd(first, ScalarOne(x.Graph(), dtypes.Uint32)), uint32(1))
	return Bitcast(BitwiseOr(Bitcast(w, dtypes.Uint32), zero), dtypes.Float32)
}

// toF32 converts x to f32 unless it is already.
func toF32(x *Node) *Node {
	if x.DType() == dtypes.Float32 {
		return x
	}
	return ConvertDType(x, dtypes.Float32)
}

// readEdits takes each edit's inputs from in and returns the rest.
func (b *builder) readEdits(rest []*Node) []*Node {
	for _, e := range b.prog.edits {
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
	return rest
}

// stepKeys describes the cache of a decode step: a row's token at position p sits
// in column p, and the columns before it hold its earlier tokens, so column c is
// a valid key of position c exactly when c <= p.
func stepKeys(positions *Node, C int) (keyValid, keyPos *Node) {
	B := positions.Shape().Dimensions[0]
	keyPos = Iota(positions.Graph(), shapes.Make(dtypes.Int32, B, C), 1)
	keyValid = LessOrEqual(keyPos, BroadcastToDims(positions, B, C))
	return keyValid, keyPos
}

// readPrefix takes each layer's shared-prefix K and V off the inputs, cut to the
// prefix's columns.
func (b *builder) readPrefix(rest []*Node) []*Node {
	b.prefix = make([][2]*Node, b.cfg.NLayers)
	for l := range b.prefix {
		for i := range 2 {
			b.prefix[l][i] = SliceAxis(rest[i], colAxis[i], AxisRange(0, b.prog.prefix))
		}
		rest = rest[2:]
	}
	return rest
}

// withPrefix extends the keys' validity and positions [B,S] of a prefill's
// tokens after a shared prefix with the prefix's P keys: always valid, at
// positions 0..P-1.
func withPrefix(keyValid, keyPos *Node, P int) (*Node, *Node) {
	g := keyValid.Graph()
	B := keyValid.Shape().Dimensions[0]
	valid := BroadcastToDims(Const(g, true), B, P)
	pos := Iota(g, shapes.Make(dtypes.Int32, B, P), 1)
	return Concatenate([]*Node{valid, keyValid}, 1), Concatenate([]*Node{pos, keyPos}, 1)
}

// prepend puts one row's prefix keys or values before every row of x along the
// token axis: values [1,KV,P,hd] before [B,KV,S,hd] give [B,KV,P+S,hd], keys
// [1,KV,hd,P] before [B,KV,hd,S] give [B,KV,hd,P+S].
func prepend(prefix, x *Node, axis int) *Node {
	d := slices.Clone(prefix.Shape().Dimensions)
	d[0] = x.Shape().Dimensions[0]
	return Concatenate([]*Node{BroadcastToDims(prefix, d...), x}, axis)
}

// gatherLast returns x [B,S,W] at each row's index last [B]: [B,W].
func gatherLast(x, last *Node) *Node {
	d := x.Shape().Dimensions
	B, S, W := d[0], d[1], d[2]
	rowStart := MulScalar(Iota(x.Graph(), shapes.Make(dtypes.Int32, B), 0), int32(S))
	return Gather(Reshape(x, B*S, W), InsertAxes(Add(rowStart, last), -1))
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

// prepareAttention builds RoPE tables for global and (if any layer uses it)
// sliding-window layers, and keeps what the attention masks are built from.
func (b *builder) prepareAttention(positions, keyValid, keyPos *Node) {
	cfg := b.cfg
	g := positions.Graph()
	b.qPos, b.keyValid, b.kPos = positions, keyValid, keyPos
	kinds := []bool{false}
	for _, s := range cfg.SlidingLayers {
		if s {
			kinds = append(kinds, true)
			break
		}
	}
	B, S := positions.Shape().Dimensions[0], positions.Shape().Dimensions[1]
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
	}
}

// maskBias is the additive attention mask [B,1,1,s1-s0,t1-t0] of queries [s0, s1)
// over keys [t0, t1): 0 where the query sees the key (a valid key at a position not
// after the query's, and within the window on sliding layers), maskedScore
// elsewhere. It is built from the [B,S] and [B,T] inputs for each query block, so
// no [S,T] mask is held whole when the prompt is attended in blocks.
func (b *builder) maskBias(sliding bool, s0, s1, t0, t1 int) *Node {
	g := b.qPos.Graph()
	B, S, T := b.qPos.Shape().Dimensions[0], s1-s0, t1-t0
	qPos := BroadcastToDims(InsertAxes(SliceAxis(b.qPos, 1, AxisRange(s0, s1)), -1), B, S, T)
	kPos := BroadcastToDims(InsertAxes(SliceAxis(b.kPos, 1, AxisRange(t0, t1)), 1), B, S, T)
	vis := LogicalAnd(BroadcastToDims(InsertAxes(SliceAxis(b.keyValid, 1, AxisRange(t0, t1)), 1), B, S, T),
		LessOrEqual(kPos, qPos))
	if sliding && b.cfg.SlidingWindow > 0 {
		vis = LogicalAnd(vis, LessThan(Sub(qPos, kPos), Scalar(g, dtypes.Int32, b.cfg.SlidingWindow)))
	}
	bias := Where(vis, ScalarZero(g, dtypes.Float32), Scalar(g, dtypes.Float32, maskedScore))
	return Reshape(bias, B, 1, 1, S, T)
}

// wholeBias is the mask of every query over every key, built once per kind.
func (b *builder) wholeBias(sliding bool) *Node {
	if b.bias[sliding] == nil {
		b.bias[sliding] = b.maskBias(sliding, 0, b.qPos.Shape().Dimensions[1], 0, b.kPos.Shape().Dimensions[1])
	}
	return b.bias[sliding]
}

// block runs transformer block l on x [B,S,D]; past holds the cached K, V of a
// decode step (nil otherwise), into which the new token goes at its position. It
// returns the new residual and the K and V it attended over (keys transposed,
// colAxis): the new tokens' or the updated cache.
func (b *builder) block(l int, x *Node, past [2]*Node, positions *Node) (out, k, v *Node) {
	cfg, bw := b.cfg, b.lay.blocks[l]
	w := b.weight
	dims := x.Shape().Dimensions
	B, S := dims[0], dims[1]
	H, KV, hd := cfg.NHeads, cfg.NKVHeads, cfg.HeadDim
	sliding := cfg.SlidingLayers[l]

	x = b.site(hook.ResidPre(l), x)
	h := b.rmsNorm(x, w(bw.AttnNorm))
	q := Reshape(linear(h, b.matrix(bw.Q, h), w(bw.QBias)), B, S, H, hd)
	k = Reshape(linear(h, b.matrix(bw.K, h), w(bw.KBias)), B, S, KV, hd)
	v = Reshape(linear(h, b.matrix(bw.V, h), w(bw.VBias)), B, S, KV, hd)
	if cfg.QKNorm {
		q = b.rmsNorm(q, w(bw.QNorm))
		k = b.rmsNorm(k, w(bw.KNorm))
	}
	cs := b.rope[sliding]
	q, k = rope(q, cs[0], cs[1]), rope(k, cs[0], cs[1])
	k = TransposeAllDims(k, 0, 2, 3, 1) // [B,KV,hd,S]: colAxis
	v = TransposeAllDims(v, 0, 2, 1, 3) // [B,KV,S,hd]
	if b.prefix != nil {
		k, v = prepend(b.prefix[l][0], k, colAxis[0]), prepend(b.prefix[l][1], v, colAxis[1])
	}
	if past[0] != nil {
		k, v = writeStep(past[0], k, positions, colAxis[0]), writeStep(past[1], v, positions, colAxis[1])
	}
	z := b.attention(q, k, v, sliding) // [B,S,H,hd]
	z = b.site(hook.AttnHeads(l), z)
	zf := Reshape(z, B, S, H*hd)
	a := linear(zf, b.matrix(bw.O, zf), nil)
	if cfg.PostNorms {
		a = b.rmsNorm(a, w(bw.PostAttnNorm))
	}
	a = b.site(hook.AttnOut(l), a)
	x = b.site(hook.ResidMid(l), Add(x, a))

	h = b.rmsNorm(x, w(bw.MLPNorm))
	gate := linear(h, b.matrix(bw.Gate, h), nil)
	up := linear(h, b.matrix(bw.Up, h), nil)
	var act *Node
	switch cfg.Act {
	case GELUTanh:
		act = geluTanh(gate)
	default:
		act = Mul(gate, Sigmoid(gate))
	}
	hidden := Mul(act, up)
	m := linear(hidden, b.matrix(bw.Down, hidden), nil)
	if cfg.PostNorms {
		m = b.rmsNorm(m, w(bw.PostMLPNorm))
	}
	m = b.site(hook.MLPOut(l), m)
	x = b.site(hook.ResidPost(l), Add(x, m))
	return x, k, v
}

// colAxis is the token (column) axis of keys (0) and values (1), in the KV cache
// and in every graph: keys are kept transposed, [B,KV,hd,T], values [B,KV,T,hd].
// Then both of attention's per-row products, q·K [G,hd]x[hd,T] and p·V
// [G,T]x[T,hd], read their right operand row-major with the output's axis
// contiguous, which XLA CPU runs 1.3-1.5x faster than q·Kᵀ over [T,hd] keys:
// the 30 layers' decode attention at batch 128 over 192 columns took 222 to 243
// ms against 289 to 367 (BenchmarkDecodeAttentionLayout; BENCHMARKS.md, "Keys
// transposed in the KV cache"), a third of a decode step on an AVX2 machine.
var colAxis = [2]int{3, 2}

// writeStep returns cache (keys [B,KV,hd,C] or values [B,KV,C,hd], their token
// axis col) with each row's new token (the same with one column) written at
// column positions[b] [B,1]. It adds (a scatter-sum, updated in place under
// aliasOutput) into a column that is exactly zero: writeRows zeroes every column
// past a row's prompt, and each column is written once, so the sum is the value.
func writeStep(cache, new, positions *Node, col int) *Node {
	d := cache.Shape().Dimensions
	B, KV := d[0], d[1]
	hd := new.Shape().Size() / (B * KV) // new holds one column
	rows := Iota(cache.Graph(), shapes.Make(dtypes.Int32, B, 1), 0)
	idx := Concatenate([]*Node{rows, positions}, 1) // [B, 2]: (row, column)
	return BackendScatterSum(cache, idx, Reshape(new, B, KV, hd), 1, []int{1, 2}, []int{0, col}, []int{0, col}, true, true)
}

// writeRows returns cache [Bc,...] (keys [Bc,KV,hd,C] or values [Bc,KV,C,hd],
// their token axis col) with batch row i of new [B,...] (S tokens on axis col) as
// the whole of cache row rows[i]: its valid tokens' values (keyValid [B,S]),
// zeros elsewhere. Rows past the real prompts of a batch repeat rows[0] and are
// written first, so the real row wins. Without DynamicUpdateSlice (SimpleGo)
// cache row r takes batch row src[r] where isNew[r].
func (b *builder) writeRows(cache, new, keyValid, rows, src, isNew *Node, col int) *Node {
	g := cache.Graph()
	d := new.Shape().Dimensions
	B, S := d[0], d[col]
	C := cache.Shape().Dimensions[col]
	vd := []int{B, 1, 1, 1}
	vd[col] = S
	valid := BroadcastToDims(Reshape(keyValid, vd...), d...)
	new = Where(valid, new, ZerosLike(new))
	if C > S {
		pad := slices.Clone(d)
		pad[col] = C - S
		new = Concatenate([]*Node{new, Zeros(g, shapes.Make(new.DType(), pad...))}, col)
	}
	if !b.prog.useDUS {
		taken := Gather(new, InsertAxes(src, -1)) // [Bc,...] like cache
		return Where(BroadcastToDims(Reshape(isNew, cache.Shape().Dimensions[0], 1, 1, 1), cache.Shape().Dimensions...), taken, cache)
	}
	zero := ScalarZero(g, dtypes.Int32)
	for i := B - 1; i >= 0; i-- {
		row := Reshape(SliceAxis(rows, 0, AxisRange(i, i+1)))
		cache = DynamicUpdateSlice(cache, SliceAxis(new, 0, AxisRange(i, i+1)), []*Node{row, zero, zero, zero})
	}
	return cache
}

// attention computes softmax(scale·q·kᵀ + mask)·v with grouped query heads: q
// [B,S,H,hd], keys [B,KV,hd,T] and vals [B,KV,T,hd] (colAxis); it returns
// [B,S,H,hd].
//
// A prompt longer than the program's attnBlock is attended attnBlock queries at a
// time, so that the scores held at once are [attnBlock, T] per head, not [S, T]:
// peak memory grows linearly with the prompt instead of quadratically (an 8k-token
// prompt materialised 2.4 GB of scores per layer). A prompt's keys are its own
// tokens in sequence order (left-padded in progForward, right-padded in
// progPrefill), and a key after the query's index is never visible, so block
// [s0, s1) reads only keys [t0, s1), t0 being the first key inside the sliding
// window: the skipped keys are exactly those the mask would zero, and the result
// equals the unblocked one up to float summation order.
func (b *builder) attention(q, keys, vals *Node, sliding bool) *Node {
	S := q.Shape().Dimensions[1]
	T := keys.Shape().Dimensions[colAxis[0]]
	block := b.prog.attnBlock
	if b.prog.kind == progStep || block <= 0 || S <= block || T != S {
		return b.attend(q, keys, vals, b.wholeBias(sliding))
	}
	var outs []*Node
	for s0 := 0; s0 < S; s0 += block {
		s1 := min(s0+block, S)
		t0 := 0
		if w := b.cfg.SlidingWindow; sliding && w > 0 {
			t0 = max(0, s0-w+1)
		}
		qb := SliceAxis(q, 1, AxisRange(s0, s1))
		if len(outs) > 0 {
			// The blocks are independent, so XLA may schedule them together and
			// hold every block's scores at once (quadratic again: 1 GB above the
			// resident set at 8k tokens). Made to depend on the previous block's
			// output, each block's scores are freed before the next are made.
			qb = after(qb, outs[len(outs)-1])
		}
		kb := SliceAxis(keys, colAxis[0], AxisRange(t0, s1))
		vb := SliceAxis(vals, colAxis[1], AxisRange(t0, s1))
		outs = append(outs, b.attend(qb, kb, vb, b.maskBias(sliding, s0, s1, t0, s1)))
	}
	return Concatenate(outs, 1)
}

// attend is attention for queries q [B,S,H,hd] over keys [B,KV,hd,T] and vals
// [B,KV,T,hd] with the additive mask bias [B,1,1,S,T]. Query head h reads
// key/value head h / (H/KV), as Hugging Face's repeat_kv.
func (b *builder) attend(q, keys, vals, bias *Node) *Node {
	cfg := b.cfg
	dims := q.Shape().Dimensions
	B, S, H, hd := dims[0], dims[1], dims[2], dims[3]
	KV := cfg.NKVHeads
	G := H / KV
	T := keys.Shape().Dimensions[colAxis[0]]
	qg := TransposeAllDims(Reshape(q, B, S, KV, G, hd), 0, 2, 3, 1, 4) // [B,KV,G,S,hd]
	qg = Reshape(qg, B, KV, G*S, hd)
	scores := DotGeneral(qg, []int{3}, []int{0, 1}, keys, []int{2}, []int{0, 1}) // [B,KV,G*S,T]
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
