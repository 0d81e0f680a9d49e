package model

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/ifprobe/ifprobe/pkg/gguf"
)

// LoadGGUF reads a model from a GGUF file: its Config from the metadata (through
// the architecture's Family) and its weights, dequantized to f32 once (Open with
// LoadOptions keeps them in bf16 or f16). Shapes are
// checked against the Config before any tensor data is read, so a lying header
// fails with an error naming the tensor instead of allocating.
func LoadGGUF(backend backends.Backend, path string) (*Model, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	defer f.Close()
	return fromGGUF(backend, f, path, LoadOptions{})
}

// fromGGUF is LoadGGUF on a parsed file (FromCheckpoint passes the checkpoint's).
// Every tensor is dequantized to f32 and, for a narrower weight type, rounded to
// it: one tensor at a time, so the f32 copy never exceeds the largest tensor (a
// GGUF BF16 or F16 tensor comes back bit for bit).
func fromGGUF(backend backends.Backend, f *gguf.File, path string, opts LoadOptions) (m *Model, err error) {
	defer recoverTo(&err)
	emb, ok := f.Tensor("token_embd.weight")
	if !ok {
		return nil, fmt.Errorf("model: %s: tensor \"token_embd.weight\": missing", path)
	}
	shape := emb.Shape()
	if len(shape) != 2 {
		return nil, fmt.Errorf("model: %s: tensor \"token_embd.weight\": shape %v, want [vocab, d_model]", path, shape)
	}
	cfg, err := ConfigFromGGUF(f, shape[0])
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	_, hasOutput := f.Tensor("output.weight")
	cfg.Tied = !hasOutput
	if _, ok := f.Tensor("rope_freqs.weight"); ok {
		fr, fshape, err := f.ReadF32("rope_freqs.weight")
		if err != nil {
			return nil, fmt.Errorf("model: %w", err)
		}
		if len(fshape) != 1 || fshape[0] != cfg.HeadDim/2 {
			return nil, fmt.Errorf("model: %s: tensor \"rope_freqs.weight\": shape %v, want [%d]", path, fshape, cfg.HeadDim/2)
		}
		cfg.RopeFreqFactors = fr
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	fam, err := LookupFamily(cfg.Arch)
	if err != nil {
		return nil, err
	}
	m, err = newModel(backend, cfg, opts, weightSource{f32: func(s weightSpec) ([]float32, error) {
		info, ok := f.Tensor(s.Name)
		if !ok {
			return nil, fmt.Errorf("model: %s: tensor %q: missing (architecture %s)", path, s.Name, cfg.Arch)
		}
		if got := info.Shape(); !shapeMatches(got, s.Shape) {
			return nil, fmt.Errorf("model: %s: tensor %q: shape %v, want %v", path, s.Name, got, s.Shape)
		}
		w, _, err := f.ReadF32(s.Name)
		if err != nil {
			return nil, fmt.Errorf("model: %w", err)
		}
		if fam.PermutedQK {
			switch {
			case strings.HasSuffix(s.Name, ".attn_q.weight"):
				w = unpermuteQK(w, cfg.NHeads, cfg.HeadDim, cfg.DModel)
			case strings.HasSuffix(s.Name, ".attn_k.weight"):
				w = unpermuteQK(w, cfg.NKVHeads, cfg.HeadDim, cfg.DModel)
			}
		}
		return w, nil
	}})
	if err != nil {
		return nil, err
	}
	m.Source = path
	return m, nil
}

// shapeMatches compares shapes, treating GGUF vectors stored as [1, n] like [n].
func shapeMatches(got, want []int) bool {
	if slices.Equal(got, want) {
		return true
	}
	return len(want) == 1 && len(got) == 2 && got[0] == 1 && got[1] == want[0]
}
