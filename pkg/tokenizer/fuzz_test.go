package tokenizer

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

func corpus(t testing.TB) []string {
	f, err := os.Open("testdata/corpus.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var s string
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// FuzzEncode: on llama.cpp's gpt-2 (byte-level), qwen2 (Llama-3-style
// splitter) and llama-spm (SentencePiece) vocabularies, Encode never panics;
// byte-level BPE round-trips byte-exactly (Decode(Encode(s)) == s) on any
// input, invalid UTF-8 included; SentencePiece round-trips valid UTF-8 up to
// its space prefix; the streaming Decoder yields the same text as Decode, in
// whole characters. Seeds: the corpus and testdata/fuzz/FuzzEncode.
func FuzzEncode(f *testing.F) {
	var models []*Model
	for _, name := range []string{"gpt-2", "qwen2", "llama-spm"} {
		m, err := OpenGGUF("testdata/llamacpp/ggml-vocab-" + name + ".gguf")
		if err != nil {
			f.Fatal(err)
		}
		models = append(models, m)
	}
	for _, s := range corpus(f) {
		f.Add(s, false)
	}
	f.Add("\xff\xfe invalid \xc3 utf-8 \xe2\x82", true)
	f.Fuzz(func(t *testing.T, s string, specialAsText bool) {
		for _, m := range models {
			ids, err := m.Encode(s, EncodeOptions{SpecialAsText: specialAsText})
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range ids {
				if id < 0 || id >= m.VocabSize() {
					t.Fatalf("%s: id %d outside the vocabulary", m.pre, id)
				}
			}
			got := m.Decode(ids)
			switch {
			case m.Kind() == ByteLevelBPE:
				if got != s {
					t.Fatalf("%s: round trip %q -> %v -> %q", m.pre, s, ids, got)
				}
			case utf8.ValidString(s) && specialAsText && !strings.Contains(s, "▁") && s != "":
				if got != " "+s {
					t.Fatalf("spm: round trip %q -> %v -> %q", s, ids, got)
				}
			}
			d := m.NewDecoder()
			var b strings.Builder
			for _, id := range ids {
				part := d.Add(id)
				if utf8.ValidString(s) && !utf8.ValidString(part) {
					t.Fatalf("%s: Decoder yielded a partial character %q", m.pre, part)
				}
				b.WriteString(part)
			}
			b.WriteString(d.Flush())
			if b.String() != got {
				t.Fatalf("%s: streamed %q, Decode %q", m.pre, b.String(), got)
			}
		}
	})
}

// FuzzSentencePieceModel: any bytes given as a tokenizer.model load or fail
// with ErrInvalid / ErrUnsupported; what loads encodes without panicking.
// Seeds: the trained model in testdata/sp and testdata/fuzz/FuzzSentencePieceModel.
func FuzzSentencePieceModel(f *testing.F) {
	good, err := os.ReadFile("testdata/sp/tokenizer.model")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/3])
	f.Fuzz(func(t *testing.T, data []byte) {
		v := &vocab{source: "fuzz.model", kind: SentencePieceBPE, bos: NoToken, eos: NoToken, eot: NoToken, unk: NoToken, pad: NoToken, eom: NoToken}
		m, err := fromSPProto(v, data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if _, err := m.Encode("Hello <s> wörld 🙂", EncodeOptions{}); err != nil {
			t.Fatal(err)
		}
	})
}
