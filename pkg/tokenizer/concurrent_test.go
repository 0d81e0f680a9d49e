package tokenizer

import (
	"fmt"
	"sync"
	"testing"
)

// TestConcurrentEncode: a Model (and its word cache) is safe for concurrent
// use and gives the same ids as serial use (run with -race), byte-level BPE
// from GGUF and byte-fallback BPE from tokenizer.json alike.
func TestConcurrentEncode(t *testing.T) {
	t.Run("gguf-gpt-2", func(t *testing.T) {
		m, err := OpenGGUF("testdata/llamacpp/ggml-vocab-gpt-2.gguf")
		if err != nil {
			t.Fatal(err)
		}
		concurrentEncode(t, m)
	})
	t.Run("hfjson-gemma3", func(t *testing.T) {
		m, err := FromHFJSON("testdata/hfspm/gemma3/tokenizer.json")
		if err != nil {
			t.Fatal(err)
		}
		concurrentEncode(t, m)
	})
}

func concurrentEncode(t *testing.T, m *Model) {
	texts := corpus(t)
	want := make([]string, len(texts))
	for i, s := range texts {
		ids, _ := m.Encode(s, EncodeOptions{})
		want[i] = fmt.Sprint(ids)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8*len(texts))
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for k := range texts {
				i := (k + g*5) % len(texts)
				ids, _ := m.Encode(texts[i], EncodeOptions{})
				if fmt.Sprint(ids) != want[i] {
					errs <- fmt.Sprintf("goroutine %d, text %d: %v, want %s", g, i, ids, want[i])
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
