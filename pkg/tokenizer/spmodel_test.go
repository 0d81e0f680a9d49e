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

// TestSentencePieceModel: a SentencePiece BPE model trained with sentencepiece
// 0.2.1 (testdata/sp, scripts/fixtures/tokenizer/gen.py) loads from
// tokenizer.model and gives sentencepiece's ids and decodings on the corpus.
// Texts holding a user-defined symbol are left out: there llama.cpp (whose
// behaviour this package follows) puts the dummy-prefix space after the
// symbol, sentencepiece before it.
func TestSentencePieceModel(t *testing.T) {
	m, err := FromSentencePiece("testdata/sp/tokenizer.model")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("testdata/sp/ids.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for i := 0; sc.Scan(); i++ {
		var c struct {
			Text   string `json:"text"`
			IDs    []int  `json:"ids"`
			Decode string `json:"decode"`
		}
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(c.Text, "<start_of_turn>") || strings.Contains(c.Text, "<end_of_turn>") {
			continue
		}
		n++
		got, _ := m.Encode(c.Text, EncodeOptions{SpecialAsText: true})
		if fmt.Sprint(got) != fmt.Sprint(c.IDs) {
			t.Errorf("case %d %q:\n got %v\nwant %v", i, c.Text, got, c.IDs)
		}
		if d := strings.TrimPrefix(m.Decode(c.IDs), " "); d != c.Decode {
			t.Errorf("case %d: Decode %q, sentencepiece %q", i, d, c.Decode)
		}
	}
	if n < 30 {
		t.Fatalf("only %d cases compared", n)
	}
	if sp := m.Special(); sp.BOS != 1 || sp.EOS != 2 || sp.UNK != 0 || !sp.AddBOS {
		t.Errorf("special tokens %+v", sp)
	}
}

func TestSentencePieceHostile(t *testing.T) {
	good, err := os.ReadFile("testdata/sp/tokenizer.model")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for i, tc := range []struct {
		data []byte
		want error
	}{
		{good[:5], ErrInvalid}, // 0: truncated inside the first piece
		{[]byte{0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f}, ErrInvalid}, // 1: length far beyond the data
		{[]byte{0x0b}, ErrInvalid},                               // 2: wire type 3
		{[]byte{0x12, 0x02, 0x18, 0x01}, ErrUnsupported},         // 3: unigram, no pieces
		{[]byte{0x12, 0x02, 0x18, 0x02}, ErrUnsupported},         // 4: BPE, default normalizer (folds whitespace)
	} {
		p := filepath.Join(dir, "tokenizer.model")
		if err := os.WriteFile(p, tc.data, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := FromSentencePiece(p); !errors.Is(err, tc.want) {
			t.Errorf("%d: want %v, got %v", i, tc.want, err)
		}
	}
}
