package tokenizer

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/registry/registrytest"
)

// hfspmRow is a line of testdata/hfspm/<shape>/ids.jsonl (see
// scripts/fixtures/tokenizer/gemma_hf.py): HF tokenizers 0.23.3's ids for the
// text on the same line of testdata/hfspm/texts.jsonl.
type hfspmRow struct {
	IDs           []int   `json:"ids"`
	Plain         []int   `json:"plain"`  // encode_special_tokens=True; nil: same as IDs
	Decode        *string `json:"decode"` // nil: the text itself
	WithSpecial   []int   `json:"with_special"`
	WithSpecialOf string  `json:"with_special_of"`
}

func readJSONL[T any](t *testing.T, path string) []T {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, v)
	}
	return out
}

// checkHFSPM compares m with HF's rows on texts: ids with special tokens
// parsed and as text, Decode, and the streaming Decoder.
func checkHFSPM(t *testing.T, m *Model, texts []string, rows []hfspmRow, full bool) {
	t.Helper()
	if len(rows) > len(texts) {
		t.Fatalf("%d rows for %d texts", len(rows), len(texts))
	}
	for i, r := range rows {
		text := texts[i]
		got, err := m.Encode(text, EncodeOptions{})
		if err != nil || !slices.Equal(got, r.IDs) {
			t.Errorf("case %d %q:\n got %v %v\nwant %v", i, text, got, err, r.IDs)
			continue
		}
		if !full {
			continue
		}
		want := r.Plain
		if want == nil {
			want = r.IDs
		}
		if got, _ := m.Encode(text, EncodeOptions{SpecialAsText: true}); !slices.Equal(got, want) {
			t.Errorf("case %d %q (special as text):\n got %v\nwant %v", i, text, got, want)
		}
		wantDec := text
		if r.Decode != nil {
			wantDec = *r.Decode
		}
		if d := m.Decode(r.IDs); d != wantDec {
			t.Errorf("case %d: Decode %q, HF %q", i, d, wantDec)
		}
		dec, streamed := m.NewDecoder(), ""
		for _, id := range r.IDs {
			streamed += dec.Add(id)
		}
		if streamed += dec.Flush(); streamed != wantDec {
			t.Errorf("case %d: Decoder %q, HF %q", i, streamed, wantDec)
		}
	}
	if w := rows[0]; w.WithSpecialOf != "" {
		if got, _ := m.Encode(w.WithSpecialOf, EncodeOptions{AddSpecial: true}); !slices.Equal(got, w.WithSpecial) {
			t.Errorf("AddSpecial %q: got %v, HF add_special_tokens %v", w.WithSpecialOf, got, w.WithSpecial)
		}
	}
}

// TestHFByteFallback: small tokenizers built with HF tokenizers in the
// shapes SentencePiece-converted models ship (Gemma 3, Llama 2, Metaspace,
// no byte tokens, Split behaviors) give HF's ids, ids with special tokens as
// text, and decodings, on 300 texts (whitespace runs, newlines, emoji, CJK,
// accents, code, digits, special and overlapping added tokens).
func TestHFByteFallback(t *testing.T) {
	texts := readJSONL[string](t, "testdata/hfspm/texts.jsonl")
	dirs, _ := filepath.Glob("testdata/hfspm/*/tokenizer.json")
	if len(dirs) < 6 {
		t.Fatalf("want 6 tokenizers in testdata/hfspm, got %d", len(dirs))
	}
	for _, path := range dirs {
		dir := filepath.Dir(path)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			m, err := FromHFJSON(path)
			if err != nil {
				t.Fatal(err)
			}
			if m.Kind() != ByteFallbackBPE {
				t.Fatalf("kind %q", m.Kind())
			}
			rows := readJSONL[hfspmRow](t, filepath.Join(dir, "ids.jsonl"))
			if len(rows) != len(texts) {
				t.Fatalf("%d rows for %d texts", len(rows), len(texts))
			}
			checkHFSPM(t, m, texts, rows, true)
		})
	}
}

// TestHFGemma3Real: the real Gemma 3 270M tokenizer.json (exported by
// transformers 5.23.0 from the installed GGUF) gives HF tokenizers' ids
// (testdata/hfspm/gemma3-real.jsonl) and the ids of the GGUF's own tokenizer
// (FromGGUF, itself checked against llama.cpp) on the corpus.
func TestHFGemma3Real(t *testing.T) {
	dir := os.Getenv("IFPROBE_HF_GEMMA3")
	if dir == "" {
		t.Skip("IFPROBE_HF_GEMMA3 is not set; make the export with: .cache/venv-model/bin/python scripts/fixtures/model/hf_export.py " +
			"~/.cache/ifprobe/models/gemma3-270m/gemma-3-270m-q4_k_m.gguf .cache/hf-gemma3-270m, then IFPROBE_HF_GEMMA3=$PWD/.cache/hf-gemma3-270m")
	}
	m, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	texts := readJSONL[string](t, "testdata/hfspm/texts.jsonl")
	checkHFSPM(t, m, texts, readJSONL[hfspmRow](t, "testdata/hfspm/gemma3-real.jsonl"), true)

	g, err := OpenGGUF(registrytest.Model(t, "gemma3-270m"))
	if err != nil {
		t.Fatal(err)
	}
	if m.VocabSize() != g.VocabSize() {
		t.Errorf("vocabulary: %d tokens, GGUF %d", m.VocabSize(), g.VocabSize())
	}
	hs, gs := m.Special(), g.Special()
	if hs.BOS != gs.BOS || hs.EOS != gs.EOS || hs.AddBOS != gs.AddBOS {
		t.Errorf("special tokens %+v, GGUF %+v", hs, gs)
	}
	compared := 0
	for i, text := range texts {
		if strings.Contains(text, "▁") {
			// llama.cpp and HF tokenizers disagree on a literal U+2581 in the
			// text ("▁▁▁": HF [139]; llama.cpp (node-llama-cpp 3.21.1) and
			// FromGGUF [236743 236743 236743]); the tokenizer.json path
			// follows HF (checked above).
			continue
		}
		compared++
		want, _ := g.Encode(text, EncodeOptions{})
		if got, _ := m.Encode(text, EncodeOptions{}); !slices.Equal(got, want) {
			t.Errorf("case %d %q: tokenizer.json %v, GGUF %v", i, text, got, want)
		}
		if got, want := m.Decode(want), g.Decode(want); got != want {
			t.Errorf("case %d: Decode %q, GGUF %q", i, got, want)
		}
	}
	t.Logf("%d texts without a literal '▁' compared with the GGUF tokenizer", compared)
}

// TestHFByteFallbackHostile: SentencePiece-family tokenizer.json files that are
// inconsistent, or use parts not implemented here, fail with an error naming
// the field and wrapping ErrInvalid or ErrUnsupported.
func TestHFByteFallbackHostile(t *testing.T) {
	const (
		model = `"model": {"type": "BPE", "byte_fallback": true, "fuse_unk": true, "unk_token": "<unk>", "vocab": {"<unk>": 0, "a": 1, "b": 2, "ab": 3}, "merges": [["a", "b"]]}`
		dec   = `"decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"}]}`
		norm  = `"normalizer": {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}`
	)
	dir := t.TempDir()
	for i, tc := range []struct {
		body, mention string
		want          error
	}{
		{`{` + norm + `, ` + dec + `, ` + model + `}`, "", nil}, // 0: loads
		{`{` + norm + `, ` + dec + `, "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "\\s+"}, "behavior": "Isolated"}, ` + model + `}`, "Regex", ErrUnsupported},                     // 1
		{`{` + norm + `, ` + dec + `, "pre_tokenizer": {"type": "Split", "pattern": {"String": " "}, "behavior": "Sideways"}, ` + model + `}`, "pre_tokenizer.behavior", ErrUnsupported},      // 2
		{`{"normalizer": {"type": "Lowercase"}, ` + dec + `, ` + model + `}`, "Lowercase", ErrUnsupported},                                                                                    // 3
		{`{` + norm + `, "decoder": null, ` + model + `}`, "decoder is null", ErrUnsupported},                                                                                                 // 4
		{`{` + norm + `, "decoder": {"type": "WordPiece"}, ` + model + `}`, "WordPiece", ErrUnsupported},                                                                                      // 5
		{`{` + norm + `, ` + dec + `, "added_tokens": [{"id": 0, "content": "<unk>", "lstrip": true}], ` + model + `}`, "lstrip", ErrUnsupported},                                             // 6
		{`{` + norm + `, ` + dec + `, "model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": [["a", "b"]]}}`, "model.merges[0]", ErrInvalid},                                           // 7: "ab" missing
		{`{` + norm + `, ` + dec + `, "model": {"type": "BPE", "unk_token": "<unk>", "vocab": {"a": 0}}}`, "model.unk_token", ErrInvalid},                                                     // 8
		{`{` + norm + `, ` + dec + `, "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "sometimes"}, ` + model + `}`, "prepend_scheme", ErrUnsupported},           // 9
		{`{"normalizer": {"type": "Replace", "pattern": {"String": ""}, "content": "x"}, ` + dec + `, ` + model + `}`, "normalizer.pattern", ErrUnsupported},                                  // 10
		{`{` + norm + `, "decoder": {"type": "Sequence", "decoders": [{"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 0, "stop": 1}]}, ` + model + `}`, "Strip", ErrUnsupported}, // 11
	} {
		p := filepath.Join(dir, "tokenizer.json")
		if err := os.WriteFile(p, []byte(tc.body), 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := FromHFJSON(p)
		if tc.want == nil {
			if err != nil {
				t.Errorf("%d: %v", i, err)
			} else if ids, _ := m.Encode("ab  \u00e9", EncodeOptions{}); !slices.Equal(ids, []int{3, 0}) {
				t.Errorf("%d: ids %v, want [3 0] (ab, then one <unk> for ▁▁é: no byte tokens, fuse_unk)", i, ids)
			}
			continue
		}
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("%d: want %v mentioning %q, got %v", i, tc.want, tc.mention, err)
		}
	}
}

// FuzzHFByteFallback: on the small tokenizers of testdata/hfspm, Encode never
// panics and gives ids inside the vocabulary; the Gemma 3 shape round-trips any
// bytes without a literal '▁' (invalid UTF-8 through byte tokens); the
// streaming Decoder yields what Decode does.
func FuzzHFByteFallback(f *testing.F) {
	paths, _ := filepath.Glob("testdata/hfspm/*/tokenizer.json")
	var models []*Model
	for _, p := range paths {
		m, err := FromHFJSON(p)
		if err != nil {
			f.Fatal(err)
		}
		models = append(models, m)
	}
	for _, s := range corpus(f) {
		f.Add(s, false)
	}
	f.Add("\xff\xfe invalid \xc3 utf-8 \xe2\x82 <a><b> <bos>", true)
	f.Fuzz(func(t *testing.T, s string, specialAsText bool) {
		for i, m := range models {
			ids, err := m.Encode(s, EncodeOptions{SpecialAsText: specialAsText})
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range ids {
				if id < 0 || id >= m.VocabSize() {
					t.Fatalf("%s: id %d outside the vocabulary", paths[i], id)
				}
			}
			got := m.Decode(ids)
			if filepath.Base(filepath.Dir(paths[i])) == "gemma3" && !strings.Contains(s, "▁") && got != s {
				t.Fatalf("gemma3: round trip %q -> %v -> %q", s, ids, got)
			}
			d := m.NewDecoder()
			var b strings.Builder
			for _, id := range ids {
				b.WriteString(d.Add(id))
			}
			if b.WriteString(d.Flush()); b.String() != got {
				t.Fatalf("%s: streamed %q, Decode %q", paths[i], b.String(), got)
			}
		}
	})
}
