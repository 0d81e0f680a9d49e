package checkpoint

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/gguf"
	"github.com/ifprobe/ifprobe/pkg/safetensors"
)

// writeGGUF writes a one-tensor GGUF file with an architecture and a chat
// template into dir.
func writeGGUF(t *testing.T, dir, name string) string {
	t.Helper()
	var buf bytes.Buffer
	meta := []gguf.KV{
		{Key: "general.architecture", Value: gguf.MustValueOf("llama")},
		{Key: "tokenizer.chat_template", Value: gguf.MustValueOf("{{ messages }}")},
	}
	if err := gguf.Write(&buf, meta, []gguf.WriteTensor{gguf.F32Tensor("token_embd.weight", []int{2, 4}, make([]float32, 8))}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLocate covers each rule of the package documentation and its errors.
func TestLocate(t *testing.T) {
	root := t.TempDir()
	file := writeGGUF(t, root, "m.gguf")
	oneGGUF := filepath.Join(root, "one")
	inDir := writeGGUF(t, mkdir(t, oneGGUF), "x.gguf")
	hf := filepath.Join(root, "hf")
	writeFile(t, filepath.Join(hf, "config.json"), "{}")
	writeGGUF(t, hf, "also.gguf") // config.json wins over a single .gguf
	tokOnly := filepath.Join(root, "tok")
	writeFile(t, filepath.Join(tokOnly, "tokenizer.json"), "{}")
	notGGUF := filepath.Join(root, "notes.txt")
	writeFile(t, notGGUF, "hello")
	two := filepath.Join(root, "two")
	writeGGUF(t, mkdir(t, two), "a.gguf")
	writeGGUF(t, two, "b.gguf")

	for i, c := range []struct {
		path   string
		format Format
		want   string
		err    error
		msg    string
	}{
		{file, FormatGGUF, file, nil, ""},                                                 // 0
		{oneGGUF, FormatGGUF, inDir, nil, ""},                                             // 1
		{hf, FormatHFDir, hf, nil, ""},                                                    // 2
		{tokOnly, FormatHFDir, tokOnly, nil, ""},                                          // 3
		{notGGUF, "", "", ErrNotCheckpoint, "no GGUF magic"},                              // 4
		{two, "", "", ErrNotCheckpoint, "found 2"},                                        // 5
		{mkdir(t, filepath.Join(root, "empty")), "", "", ErrNotCheckpoint, "config.json"}, // 6
		{filepath.Join(root, "missing"), "", "", os.ErrNotExist, "missing"},               // 7
	} {
		loc, err := Locate(c.path)
		if c.err != nil {
			if !errors.Is(err, c.err) || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("%d: Locate(%s) = %v, want %v containing %q", i, c.path, err, c.err, c.msg)
			}
			continue
		}
		if err != nil || loc.Format != c.format || loc.Path != c.want {
			t.Errorf("%d: Locate(%s) = %+v, %v; want %s %s", i, c.path, loc, err, c.format, c.want)
		}
	}
}

func mkdir(t *testing.T, dir string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestOpen: a GGUF checkpoint is parsed on Open and has no safetensors; a
// Hugging Face one opens its safetensors on the first Tensors call only.
func TestOpen(t *testing.T) {
	root := t.TempDir()
	ck, err := Open(writeGGUF(t, root, "m.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	if ck.GGUF() == nil || ck.GGUF().Arch() != "llama" || ck.Dir() != "" {
		t.Errorf("GGUF checkpoint: GGUF %v, Dir %q", ck.GGUF(), ck.Dir())
	}
	if _, err := ck.Tensors(); err == nil {
		t.Error("Tensors of a GGUF checkpoint: no error")
	}
	if err := ck.Close(); err != nil {
		t.Error(err)
	}

	hf := filepath.Join(root, "hf")
	writeFile(t, filepath.Join(hf, "config.json"), "{}")
	ck, err = Open(hf)
	if err != nil {
		t.Fatal(err) // no safetensors yet: Open must not look for them
	}
	if ck.GGUF() != nil || ck.Dir() != hf {
		t.Errorf("HF checkpoint: GGUF %v, Dir %q", ck.GGUF(), ck.Dir())
	}
	tn, err := safetensors.NewTensor("w", safetensors.F32, []int{2}, []float32{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := safetensors.WriteFile(filepath.Join(hf, safetensors.SingleFile), []safetensors.Tensor{tn}, nil); err != nil {
		t.Fatal(err)
	}
	st, err := ck.Tensors()
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := ck.Tensors(); again != st {
		t.Error("Tensors opened the shards twice")
	}
	if got := st.Names(); len(got) != 1 || got[0] != "w" {
		t.Errorf("tensors %v", got)
	}
	if err := ck.Close(); err != nil {
		t.Error(err)
	}
	if _, err := (Location{Format: "zip", Path: hf}).Open(); err == nil || !strings.Contains(err.Error(), "zip") {
		t.Errorf("unknown format: %v", err)
	}
}
