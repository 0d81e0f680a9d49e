package model

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/ifprobe/ifprobe/pkg/compute"
	"github.com/ifprobe/ifprobe/pkg/hook"
)

var testBackend backends.Backend

func backendForTest(t testing.TB) backends.Backend {
	t.Helper()
	if testBackend == nil {
		b, _, err := compute.Open("go")
		if err != nil {
			t.Fatal(err)
		}
		testBackend = b
	}
	return testBackend
}

// tinyConfigs are small random-weight models covering every family's features.
func tinyConfigs() map[string]Config {
	return map[string]Config{
		"llama": {Arch: "llama", VocabSize: 61, DModel: 32, NLayers: 2, NHeads: 4, NKVHeads: 2, FFDim: 48, RMSEps: 1e-5, BOS: -1,
			RopeScaling: &Llama3RopeScaling{Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositionEmbeddings: 16}},
		"qwen2": {Arch: "qwen2", VocabSize: 61, DModel: 32, NLayers: 2, NHeads: 4, NKVHeads: 1, FFDim: 48, QKVBias: true, BOS: -1, Tied: true},
		"gemma2": {Arch: "gemma2", VocabSize: 61, DModel: 32, NLayers: 2, NHeads: 2, NKVHeads: 1, HeadDim: 24, FFDim: 48, BOS: -1,
			Act: GELUTanh, NormAddOne: true, PostNorms: true, EmbedScale: math.Sqrt(32), Tied: true, AttnSoftcap: 50, FinalSoftcap: 30,
			SlidingWindow: 3, SlidingLayers: []bool{true, false}, AttnScale: 1 / math.Sqrt(20)},
		"gemma3": {Arch: "gemma3", VocabSize: 61, DModel: 32, NLayers: 3, NHeads: 2, NKVHeads: 1, HeadDim: 16, FFDim: 48, BOS: -1,
			Act: GELUTanh, PostNorms: true, QKNorm: true, EmbedScale: math.Sqrt(32), Tied: true, RopeBase: 1e6, RopeBaseLocal: 1e4,
			SlidingWindow: 4, SlidingLayers: []bool{true, true, false}},
	}
}

func tinyModel(t testing.TB, arch string) *Model {
	t.Helper()
	return tinyModelOn(t, backendForTest(t), arch, 1)
}

// tinyModelOn is tinyConfigs()[arch] with random weights drawn from seed, on
// backend.
func tinyModelOn(t testing.TB, backend backends.Backend, arch string, seed uint64) *Model {
	t.Helper()
	cfg := tinyConfigs()[arch]
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	w, err := RandomWeights(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(backend, cfg, w)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func randomTokens(rng *rand.Rand, n, vocab int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = rng.IntN(vocab)
	}
	return out
}

// batchTol bounds the difference between a row computed alone and the same row in
// a padded batch: the same operations in f32, but matrix products over different
// shapes may sum in a different order; O(10) ulps of logits of size ~1.
const batchTol = 1e-5

func TestPaddingDoesNotChangeLogits(t *testing.T) {
	for arch := range tinyConfigs() {
		t.Run(arch, func(t *testing.T) {
			m := tinyModel(t, arch)
			rng := rand.New(rand.NewPCG(2, 0))
			seqs := [][]int{randomTokens(rng, 9, 61), randomTokens(rng, 4, 61), randomTokens(rng, 1, 61)}
			batch, err := m.Forward(seqs, ForwardOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for b, s := range seqs {
				alone, err := m.Forward([][]int{s}, ForwardOptions{})
				if err != nil {
					t.Fatal(err)
				}
				for tok := range s {
					if d := MaxAbsDiff(alone.Logits.At(0, tok), batch.Logits.At(b, tok)); !(d <= batchTol) {
						t.Errorf("row %d token %d: max |logit diff| %g > %g", b, tok, d, batchTol)
					}
				}
			}
		})
	}
}

func TestCaptureDoesNotChangeLogits(t *testing.T) {
	m := tinyModel(t, "gemma3")
	seqs := [][]int{{1, 2, 3, 4, 5, 6}, {7, 8}}
	plain, err := m.Forward(seqs, ForwardOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hooks := []hook.Point{hook.ResidPre(0), hook.AttnHeads(1), hook.AttnOut(1), hook.ResidMid(2), hook.MLPOut(2), hook.ResidPost(2), hook.FinalNorm}
	withCap, err := m.Forward(seqs, ForwardOptions{Capture: hooks})
	if err != nil {
		t.Fatal(err)
	}
	for i := range plain.Logits.Data {
		if plain.Logits.Data[i] != withCap.Logits.Data[i] {
			t.Fatalf("logit %d changed by capture: %g vs %g", i, plain.Logits.Data[i], withCap.Logits.Data[i])
		}
	}
	for _, h := range hooks {
		c := withCap.Captures[h]
		if c == nil || c.Width != m.Config.width(h) || len(c.Data) != 2*6*c.Width {
			t.Fatalf("%s: bad capture %+v", h, c)
		}
	}
	// resid_mid = resid_pre + attn_out and resid_post = resid_mid + mlp_out, exactly.
	more, err := m.Forward(seqs, ForwardOptions{Logits: NoLogits, Capture: []hook.Point{hook.ResidPre(1), hook.AttnOut(1), hook.ResidMid(1), hook.MLPOut(1), hook.ResidPost(1)}})
	if err != nil {
		t.Fatal(err)
	}
	c := more.Captures
	for i := range c[hook.ResidPre(1)].Data {
		if c[hook.ResidPre(1)].Data[i]+c[hook.AttnOut(1)].Data[i] != c[hook.ResidMid(1)].Data[i] ||
			c[hook.ResidMid(1)].Data[i]+c[hook.MLPOut(1)].Data[i] != c[hook.ResidPost(1)].Data[i] {
			t.Fatalf("element %d: residual decomposition does not add up", i)
		}
	}
}

func TestNoOpInterventionIsIdentity(t *testing.T) {
	m := tinyModel(t, "llama")
	seqs := [][]int{{1, 2, 3, 4, 5}, {6, 7, 8}}
	d, hw := m.Config.DModel, m.Config.NHeads*m.Config.HeadDim
	plain, err := m.Forward(seqs, ForwardOptions{Capture: []hook.Point{hook.ResidPost(1)}})
	if err != nil {
		t.Fatal(err)
	}
	never := func(b, pos int) bool { return false }
	cases := []struct {
		name string
		ivs  []Intervention
	}{
		{"zero basis", []Intervention{{Kind: ProjectOut, Hook: hook.ResidPost(0), Rank: 3, Basis: make([]float32, 3*d)}}},
		{"masked projection", []Intervention{{Kind: ProjectOut, Hook: hook.ResidMid(0), Rank: 1, Basis: unit(d, 0), At: never}}},
		{"no heads", []Intervention{{Kind: Ablate, Hook: hook.AttnHeads(1), Mean: ones(hw)}}},
		{"masked ablation", []Intervention{{Kind: Ablate, Hook: hook.MLPOut(0), At: never}}},
		{"zero steering", []Intervention{{Kind: Steer, Hook: hook.ResidPre(1), Vector: ones(d), Coef: 0}}},
	}
	for i, tc := range cases {
		got, err := m.Forward(seqs, ForwardOptions{Capture: []hook.Point{hook.ResidPost(1)}, Interventions: tc.ivs})
		if err != nil {
			t.Fatalf("%d %s: %v", i, tc.name, err)
		}
		for j := range plain.Logits.Data {
			if got.Logits.Data[j] != plain.Logits.Data[j] {
				t.Fatalf("%d %s: logit %d: %g != %g", i, tc.name, j, got.Logits.Data[j], plain.Logits.Data[j])
			}
		}
	}
}

// projTol bounds |<h,u>| after projecting u out of h: one f32 dot product over
// d_model=32 terms of size ~|h|~6 rounds to a few ulps of |h|.
const projTol = 1e-5

func TestProjectOutRemovesDirection(t *testing.T) {
	m := tinyModel(t, "qwen2")
	d := m.Config.DModel
	rng := rand.New(rand.NewPCG(3, 0))
	u := make([]float32, 2*d) // two orthonormal rows
	for i := 0; i < d; i++ {
		u[i] = float32(rng.NormFloat64())
	}
	normalize(u[:d])
	for i := 0; i < d; i++ {
		u[d+i] = float32(rng.NormFloat64())
	}
	dot := inner(u[:d], u[d:])
	for i := 0; i < d; i++ {
		u[d+i] -= float32(dot) * u[i]
	}
	normalize(u[d:])
	seqs := [][]int{{1, 2, 3, 4}, {5, 6}}
	onlyFirstRow := func(b, pos int) bool { return b == 0 }
	out, err := m.Forward(seqs, ForwardOptions{Logits: NoLogits, Capture: []hook.Point{hook.ResidMid(1)},
		Interventions: []Intervention{{Kind: ProjectOut, Hook: hook.ResidMid(1), Rank: 2, Basis: u, At: onlyFirstRow}}})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Captures[hook.ResidMid(1)]
	for tok := 0; tok < 4; tok++ {
		h := c.At(0, tok)
		for r := 0; r < 2; r++ {
			if p := math.Abs(inner(h, u[r*d:(r+1)*d])); p > projTol*norm(h) {
				t.Errorf("token %d: |<h,u%d>| = %g after projection", tok, r, p)
			}
		}
	}
	h := c.At(1, 0) // row 1 is untouched: its component along u stays
	if p := math.Abs(inner(h, u[:d])); p < 1e-3 {
		t.Errorf("row 1 was projected too (|<h,u>|=%g)", p)
	}
}

func TestHeadAblationChangesOnlyThatHead(t *testing.T) {
	m := tinyModel(t, "llama")
	seqs := [][]int{{1, 2, 3, 4, 5}}
	hd := m.Config.HeadDim
	hooks := []hook.Point{hook.AttnHeads(0), hook.ResidPre(0), hook.AttnHeads(1)}
	plain, err := m.Forward(seqs, ForwardOptions{Capture: hooks})
	if err != nil {
		t.Fatal(err)
	}
	abl, err := m.Forward(seqs, ForwardOptions{Capture: hooks,
		Interventions: []Intervention{{Kind: Ablate, Hook: hook.AttnHeads(0), Heads: []int{2}}}})
	if err != nil {
		t.Fatal(err)
	}
	for tok := 0; tok < 5; tok++ {
		p, a := plain.Captures[hook.AttnHeads(0)].At(0, tok), abl.Captures[hook.AttnHeads(0)].At(0, tok)
		for i := range p {
			head := i / hd
			switch {
			case head == 2 && a[i] != 0:
				t.Fatalf("token %d: ablated head 2 element %d = %g, want 0", tok, i, a[i])
			case head != 2 && a[i] != p[i]:
				t.Fatalf("token %d: head %d element %d changed: %g -> %g", tok, head, i, p[i], a[i])
			}
		}
		if MaxAbsDiff(plain.Captures[hook.ResidPre(0)].At(0, tok), abl.Captures[hook.ResidPre(0)].At(0, tok)) != 0 {
			t.Fatalf("token %d: resid_pre of layer 0 changed (upstream of the ablation)", tok)
		}
	}
	if MaxAbsDiff(plain.Captures[hook.AttnHeads(1)].Data, abl.Captures[hook.AttnHeads(1)].Data) == 0 {
		t.Fatal("ablating a head in layer 0 did not change layer 1 at all")
	}
}

func TestSteerAddsVector(t *testing.T) {
	m := tinyModel(t, "gemma2")
	d := m.Config.DModel
	seqs := [][]int{{3, 4, 5}}
	plain, _ := m.Forward(seqs, ForwardOptions{Logits: NoLogits, Capture: []hook.Point{hook.ResidPost(0)}})
	v := unit(d, 5)
	steered, err := m.Forward(seqs, ForwardOptions{Logits: NoLogits, Capture: []hook.Point{hook.ResidPost(0)},
		Interventions: []Intervention{{Kind: Steer, Hook: hook.ResidPost(0), Vector: v, Coef: 2.5, At: func(b, pos int) bool { return pos == 1 }}}})
	if err != nil {
		t.Fatal(err)
	}
	for tok := 0; tok < 3; tok++ {
		p, s := plain.Captures[hook.ResidPost(0)].At(0, tok), steered.Captures[hook.ResidPost(0)].At(0, tok)
		for i := range p {
			want := p[i]
			if tok == 1 && i == 5 {
				want += 2.5
			}
			if s[i] != want {
				t.Fatalf("token %d element %d: %g, want %g", tok, i, s[i], want)
			}
		}
	}
}

func TestBadInputs(t *testing.T) {
	m := tinyModel(t, "llama")
	cases := []struct {
		seqs [][]int
		opts ForwardOptions
		want error
	}{
		{nil, ForwardOptions{}, ErrBadInput},                                                       // 0
		{[][]int{{}}, ForwardOptions{}, ErrBadInput},                                               // 1
		{[][]int{{61}}, ForwardOptions{}, ErrBadInput},                                             // 2
		{[][]int{{-1}}, ForwardOptions{}, ErrBadInput},                                             // 3
		{[][]int{{1}}, ForwardOptions{Capture: []hook.Point{hook.ResidPost(2)}}, hook.ErrBadPoint}, // 4
		{[][]int{{1}}, ForwardOptions{Interventions: []Intervention{{Kind: ProjectOut, Hook: hook.ResidPost(0), Rank: 2, Basis: make([]float32, 3)}}}, ErrBadIntervention}, // 5
		{[][]int{{1}}, ForwardOptions{Interventions: []Intervention{{Kind: Ablate, Hook: hook.AttnHeads(0), Heads: []int{4}}}}, ErrBadIntervention},                        // 6
		{[][]int{{1}}, ForwardOptions{Interventions: []Intervention{{Kind: Steer, Hook: hook.ResidPost(0), Vector: ones(32), Coef: math.NaN()}}}, ErrBadIntervention},      // 7
	}
	for i, tc := range cases {
		if _, err := m.Forward(tc.seqs, tc.opts); !errors.Is(err, tc.want) {
			t.Errorf("case %d: err = %v, want %v", i, err, tc.want)
		}
	}
}

func unit(d, i int) []float32 { u := make([]float32, d); u[i] = 1; return u }

func ones(n int) []float32 {
	o := make([]float32, n)
	for i := range o {
		o[i] = 1
	}
	return o
}

func inner(a, b []float32) float64 {
	s := 0.0
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func norm(a []float32) float64 { return math.Sqrt(inner(a, a)) }

func normalize(a []float32) {
	n := float32(norm(a))
	for i := range a {
		a[i] /= n
	}
}

var _ = fmt.Sprint
