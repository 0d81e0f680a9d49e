package tokenizer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// vocabDirs are where llama.cpp's tokenizer test vectors are read from:
// the ones committed in testdata/llamacpp, and, when set,
// $IFPROBE_LLAMA_VOCAB_DIR (llama.cpp's models/ directory, e.g. .cache/llama.cpp/models
// after scripts/fixtures/tokenizer/setup.sh) for the larger ones.
func vocabFiles(t *testing.T) []string {
	files, _ := filepath.Glob("testdata/llamacpp/ggml-vocab-*.gguf")
	if dir := os.Getenv("IFPROBE_LLAMA_VOCAB_DIR"); dir != "" {
		more, _ := filepath.Glob(filepath.Join(dir, "ggml-vocab-*.gguf"))
		files = append(files, more...)
	}
	if len(files) == 0 {
		t.Fatal("no llama.cpp vocab test files in testdata/llamacpp")
	}
	return files
}

// readVocabTests reads llama.cpp's test-tokenizer-0 vectors: inputs separated by
// "\n__ggml_vocab_test__\n" in .inp, one line of ids per input in .out.
func readVocabTests(t *testing.T, gguf string) (inputs []string, want [][]int) {
	inp, err := os.ReadFile(gguf + ".inp")
	if err != nil {
		return nil, nil
	}
	out, err := os.ReadFile(gguf + ".out")
	if err != nil {
		t.Fatal(err)
	}
	inputs = strings.Split(string(inp), "\n__ggml_vocab_test__\n")
	if inputs[len(inputs)-1] == "" { // the file ends with a separator
		inputs = inputs[:len(inputs)-1]
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(inputs) {
		t.Fatalf("%s: %d inputs, %d outputs", gguf, len(inputs), len(lines))
	}
	for _, l := range lines {
		var ids []int
		for _, f := range strings.Fields(l) {
			id, err := strconv.Atoi(f)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		want = append(want, ids)
	}
	return inputs, want
}

// TestLlamaCppVectors checks Encode against llama.cpp's own tokenizer test
// vectors (tests/test-tokenizer-0: add_special=false, parse_special=false),
// taken from the llama.cpp git bundle of npm node-llama-cpp@3.21.1 (MIT).
func TestLlamaCppVectors(t *testing.T) {
	for _, path := range vocabFiles(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".gguf")
		t.Run(name, func(t *testing.T) {
			inputs, want := readVocabTests(t, path)
			if inputs == nil {
				t.Skip("no .inp/.out beside the vocab")
			}
			m, err := OpenGGUF(path)
			if errors.Is(err, ErrUnsupported) && !strings.HasPrefix(path, "testdata/") {
				t.Skipf("not implemented here: %v", err)
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, in := range inputs {
				got, err := m.Encode(in, EncodeOptions{SpecialAsText: true})
				if err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(got) != fmt.Sprint(want[i]) {
					t.Errorf("case %d %q:\n got %v\nwant %v", i, in, got, want[i])
				}
			}
		})
	}
}
