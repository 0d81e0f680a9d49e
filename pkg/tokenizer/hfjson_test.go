package tokenizer

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHFJSON: tokenizers trained with HF tokenizers 0.22.1 (one per
// pre-tokenizer shape real models use) load from tokenizer.json and give HF's
// ids and decodings on the corpus (testdata/hf, scripts/fixtures/tokenizer/gen.py).
func TestHFJSON(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/hf/*")
	if len(dirs) < 5 {
		t.Fatalf("want 5 HF tokenizers in testdata/hf, got %d", len(dirs))
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			m, err := FromHFJSON(filepath.Join(dir, "tokenizer.json"))
			if err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(filepath.Join(dir, "ids.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sc := bufio.NewScanner(f)
			for i := 0; sc.Scan(); i++ {
				var c struct {
					Text   string `json:"text"`
					IDs    []int  `json:"ids"`
					Decode string `json:"decode"`
				}
				if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
					t.Fatal(err)
				}
				got, _ := m.Encode(c.Text, EncodeOptions{})
				if fmt.Sprint(got) != fmt.Sprint(c.IDs) {
					t.Errorf("case %d %q:\n got %v\nwant %v", i, c.Text, got, c.IDs)
				}
				if d := m.Decode(c.IDs); d != c.Decode {
					t.Errorf("case %d: Decode %q, HF %q", i, d, c.Decode)
				}
			}
		})
	}
}

func TestHFJSONHostile(t *testing.T) {
	dir := t.TempDir()
	for i, tc := range []struct {
		body, mention string
		want          error
	}{
		{`{"model": {"type": "Unigram"}}`, "Unigram", ErrUnsupported},                                                                                                          // 0
		{`{"model": {"type": "BPE", "vocab": {"a": 0}}, "pre_tokenizer": {"type": "Whitespace"}}`, "Whitespace", ErrUnsupported},                                               // 1
		{`{"model": {"type": "BPE", "vocab": {"a": 2147483647}}, "pre_tokenizer": {"type": "ByteLevel"}}`, "model.vocab", ErrInvalid},                                          // 2: lying id
		{`{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [["a"]]}, "pre_tokenizer": {"type": "ByteLevel"}}`, "model.merges[0]", ErrInvalid},                            // 3
		{`{"added_tokens": [{"id": -1, "content": "x"}], "model": {"type": "BPE", "vocab": {"a": 0}}, "pre_tokenizer": {"type": "ByteLevel"}}`, "added_tokens[0]", ErrInvalid}, // 4
		{`{"model": `, "tokenizer.json", ErrInvalid}, // 5: truncated
		{`{"normalizer": {"type": "NFKC"}, "model": {"type": "BPE", "vocab": {"a": 0}}, "pre_tokenizer": {"type": "ByteLevel"}}`, "NFKC", ErrUnsupported}, // 6
		{`{"model": {"type": "BPE", "dropout": 0.1, "vocab": {"a": 0}}, "pre_tokenizer": {"type": "ByteLevel"}}`, "dropout", ErrUnsupported},              // 7
	} {
		p := filepath.Join(dir, "tokenizer.json")
		if err := os.WriteFile(p, []byte(tc.body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := FromHFJSON(p)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("%d: want %v mentioning %q, got %v", i, tc.want, tc.mention, err)
		}
	}
}

// TestOpenDirectory: Open takes tokenizer.json from a model directory (byte-level
// or, as Gemma's, SentencePiece-style), and falls back to tokenizer.model when
// tokenizer.json is missing or of a kind not implemented here.
func TestOpenDirectory(t *testing.T) {
	copyFile := func(src, dst string) {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	copyFile("testdata/hf/llama3/tokenizer.json", filepath.Join(dir, "tokenizer.json"))
	if m, err := Open(dir); err != nil || m.PreTokenizer() != "llama-bpe" {
		t.Fatalf("tokenizer.json: %v", err)
	}
	copyFile("testdata/sp/tokenizer.model", filepath.Join(dir, "tokenizer.model"))
	copyFile("testdata/hfspm/gemma3/tokenizer.json", filepath.Join(dir, "tokenizer.json"))
	if m, err := Open(dir); err != nil || m.Kind() != ByteFallbackBPE {
		t.Fatalf("Gemma-shaped tokenizer.json beside tokenizer.model: %v", err)
	}
	unigram := `{"model": {"type": "Unigram", "vocab": [["a", 0]]}}`
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), []byte(unigram), 0o644); err != nil {
		t.Fatal(err)
	}
	if m, err := Open(dir); err != nil || m.Kind() != SentencePieceBPE {
		t.Fatalf("fallback to tokenizer.model: %v", err)
	}
	os.Remove(filepath.Join(dir, "tokenizer.json"))
	if m, err := Open(dir); err != nil || m.Kind() != SentencePieceBPE {
		t.Fatalf("tokenizer.model only: %v", err)
	}
	if _, err := Open(t.TempDir()); err == nil {
		t.Fatal("an empty directory must be an error")
	}
}
