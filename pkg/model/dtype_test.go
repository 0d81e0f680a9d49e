package model

import (
	"bytes"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/ifprobe/ifprobe/pkg/safetensors"
)

// readNarrowReference reads reference-<w>.json of a tiny checkpoint, written by
// scripts/fixtures/model/hf_tiny_narrow.py: transformers in f32 on the
// checkpoint's weights rounded to w by torch.
func readNarrowReference(t *testing.T, family string, w WeightDType) *hfTinyReference {
	t.Helper()
	return readHFTinyFile(t, family, "reference-"+string(w)+".json")
}

// TestNarrowWeightsParity loads every tiny checkpoint with bf16 and f16 weights
// and compares every logit and the greedy continuation with transformers'.
//
// The reference is transformers in f32 on the weights rounded by torch to bf16
// (or f16), not torch computing in bf16: that is exactly what --weights bf16
// computes (weights stored in 16 bits, everything computed from them in f32, so
// the probes read f32 states), so the tolerance stays the f32 one of
// hfTinyLogitTol (1e-4). A bf16-sized tolerance (relative 2^-8 per rounding,
// 0.05 to 0.08 on these logits: the measured distance between the bf16 and the
// f32 references of the f32-stored checkpoints) would pass a model whose weights
// were silently left in f32, truncated instead of rounded to nearest even (GoMLX's
// own bf16 conversion truncates), or rounded twice. The llama checkpoint is stored
// in bf16, so it also checks the path that copies the file's bits unwidened.
// SimpleGo has no f16 arithmetic: f16 runs on XLA only (the refusal is tested
// in TestWeightsF16SimpleGoRefused).
func TestNarrowWeightsParity(t *testing.T) {
	for bname, b := range testBackends(t) {
		for _, w := range []WeightDType{WeightsBF16, WeightsF16} {
			if w == WeightsF16 && bname == "go" {
				continue
			}
			for _, fam := range hfTinyFamilies {
				t.Run(bname+"/"+string(w)+"/"+fam, func(t *testing.T) {
					ref := readNarrowReference(t, fam, w)
					m, err := Open(b, hfTinyDir(fam), LoadOptions{Weights: w})
					if err != nil {
						t.Fatal(err)
					}
					if m.Weights() != w {
						t.Fatalf("Weights() = %s, want %s", m.Weights(), w)
					}
					checkAgainstReference(t, m, ref)
				})
			}
		}
	}
}

// TestBF16CheckpointNotWidened loads the bf16 llama checkpoint with bf16 weights:
// every weight on the backend is a bf16 tensor whose bytes are the file's own, and
// the weights take 2 bytes per parameter, half of the same checkpoint loaded in
// f32 (measured from the tensors, not from the process's memory).
func TestBF16CheckpointNotWidened(t *testing.T) {
	for bname, b := range testBackends(t) {
		t.Run(bname, func(t *testing.T) {
			dir := hfTinyDir("llama")
			m, err := Open(b, dir, LoadOptions{Weights: WeightsBF16})
			if err != nil {
				t.Fatal(err)
			}
			ck, err := safetensors.OpenCheckpoint(filepath.Join(dir, safetensors.SingleFile))
			if err != nil {
				t.Fatal(err)
			}
			defer ck.Close()
			fam, _ := LookupFamily(m.Config.Arch)
			names, err := fam.hf.find(ck, dir)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range m.lay.specs {
				wt := m.weights[i]
				if wt.DType() != dtypes.BFloat16 {
					t.Fatalf("%s: dtype %s on the backend, want BFloat16", s.Name, wt.DType())
				}
				name, _ := names.lookup(ck, s.Name)
				if info, _ := ck.Info(name); info.DType != safetensors.BF16 {
					t.Fatalf("%s is %s in the fixture, want BF16", name, info.DType)
				}
				want, err := ck.Raw(name, nil)
				if err != nil {
					t.Fatal(err)
				}
				var got []byte
				if err := wt.ConstBytes(func(d []byte) { got = bytes.Clone(d) }); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("%s: the backend's bytes differ from the file's", s.Name)
				}
			}
			f32, err := Open(b, dir, LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := m.WeightBytes(), 2*m.Params(); got != want {
				t.Errorf("bf16 weights take %d bytes, want 2 per parameter (%d)", got, want)
			}
			if got, want := f32.WeightBytes(), 4*f32.Params(); got != want {
				t.Errorf("f32 weights take %d bytes, want 4 per parameter (%d)", got, want)
			}
			t.Logf("%d parameters: f32 %d bytes, bf16 %d bytes", m.Params(), f32.WeightBytes(), m.WeightBytes())
		})
	}
}

// TestNarrowRoundsToNearestEven: an f32 checkpoint loaded in bf16 holds each
// weight rounded to nearest even (torch's rounding, which the parity references
// use), not truncated.
func TestNarrowRoundsToNearestEven(t *testing.T) {
	b := backendForTest(t)
	cfg := tinyConfigs()["llama"]
	w, err := RandomWeights(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	name := "blk.0.attn_q.weight"
	// bf16's unit in the last place at 1 is 2^-7. 1 + 0.75 ulp rounds up to
	// 1 + 1 ulp (truncation gives 1); 1 + 1.5 ulp is a tie that goes to the even
	// 1 + 2 ulp (truncation gives 1 + 1 ulp).
	w[name][0], w[name][1] = 1+0.75/128, 1+1.5/128
	m, err := NewWith(b, cfg, w, LoadOptions{Weights: WeightsBF16})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(m.lay.specs, func(s weightSpec) bool { return s.Name == name })
	var got []uint16
	if err := m.weights[i].ConstBytes(func(d []byte) {
		got = []uint16{uint16(d[0]) | uint16(d[1])<<8, uint16(d[2]) | uint16(d[3])<<8}
	}); err != nil {
		t.Fatal(err)
	}
	if want := []uint16{0x3f81, 0x3f82}; !slices.Equal(got, want) {
		t.Errorf("bf16 bits %#x, want %#x (round to nearest even)", got, want)
	}
}

// TestParseWeightDType: the accepted spellings, and an error naming the flag for
// anything else.
func TestParseWeightDType(t *testing.T) {
	for in, want := range map[string]WeightDType{"": WeightsF32, "f32": WeightsF32, "BF16": WeightsBF16, " f16 ": WeightsF16} {
		got, err := ParseWeightDType("--weights", in)
		if err != nil || got != want {
			t.Errorf("%q: %v, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"fp16", "bfloat16", "q8_0", "f32,bf16"} {
		_, err := ParseWeightDType("--weights", in)
		if !errors.Is(err, ErrBadWeights) || !strings.Contains(err.Error(), "--weights") || !strings.Contains(err.Error(), "bf16") {
			t.Errorf("%q: error %v, want ErrBadWeights naming --weights and the choices", in, err)
		}
	}
}

// TestWeightsF16SimpleGoRefused: SimpleGo has no f16 arithmetic, so loading f16
// weights on it fails at once with ErrBadWeights instead of at the first graph.
func TestWeightsF16SimpleGoRefused(t *testing.T) {
	_, err := Open(backendForTest(t), hfTinyDir("qwen2"), LoadOptions{Weights: WeightsF16})
	if !errors.Is(err, ErrBadWeights) || !strings.Contains(err.Error(), "SimpleGo") {
		t.Errorf("f16 on SimpleGo: %v, want ErrBadWeights naming SimpleGo", err)
	}
	if _, err := Open(backendForTest(t), hfTinyDir("qwen2"), LoadOptions{Weights: "f8"}); !errors.Is(err, ErrBadWeights) {
		t.Errorf("f8: %v, want ErrBadWeights", err)
	}
}
