package textfeat

import (
	"fmt"
	"math"
	"strings"
	"unicode"

	"github.com/ifprobe/ifprobe/pkg/tasks"
	"github.com/ifprobe/ifprobe/pkg/tasks/topic"
	"github.com/ifprobe/ifprobe/pkg/tasks/vader"
)

// Config sizes the text features. Zero fields take the defaults.
type Config struct {
	// Buckets is the size of each hashed bag of token ids (prompt, response);
	// default 1024.
	Buckets int `json:"buckets"`
	// LastBuckets is the size of the hashed one-hot of the last token read and of
	// the bag of the LastTokens before it; default 256.
	LastBuckets int `json:"last_buckets"`
	// LastTokens is how many tokens before the last one form the recent bag;
	// default 3.
	LastTokens int `json:"last_tokens"`
}

func (c Config) withDefaults() Config {
	if c.Buckets <= 0 {
		c.Buckets = 1024
	}
	if c.LastBuckets <= 0 {
		c.LastBuckets = 256
	}
	if c.LastTokens <= 0 {
		c.LastTokens = 3
	}
	return c
}

// Seen is what a model state has read: the prompt's token ids, the response's
// tokens up to and including the state's own, and the text of that response
// prefix.
type Seen struct {
	Task     string       // the task whose constraint the response is verified against
	Params   tasks.Params // its parameters
	Prompt   []int        // the prompt's token ids, chat template applied
	Response []int        // the response token ids read so far (none at prompt_last)
	Text     string       // the text of Response
}

// Dim is the length of Vector's output.
func (c Config) Dim() int {
	c = c.withDefaults()
	return 2*c.Buckets + 2*c.LastBuckets + len(surfaceNames) + len(paramNames) + 1
}

// Names names Vector's features, in order (hashed buckets as "prompt#17").
func (c Config) Names() []string {
	c = c.withDefaults()
	var out []string
	for _, block := range []struct {
		name string
		n    int
	}{{"prompt", c.Buckets}, {"response", c.Buckets}, {"last", c.LastBuckets}, {"recent", c.LastBuckets}} {
		for i := range block.n {
			out = append(out, fmt.Sprintf("%s#%d", block.name, i))
		}
	}
	out = append(out, surfaceNames...)
	out = append(out, paramNames...)
	return append(out, "verifier")
}

// Vector returns the text features of s (length Dim). It fails only on a task or
// parameters the verifiers do not accept.
func (c Config) Vector(s Seen) ([]float64, error) {
	c = c.withDefaults()
	v := make([]float64, 0, c.Dim())
	v = append(v, bag(s.Prompt, c.Buckets)...)
	v = append(v, bag(s.Response, c.Buckets)...)
	read := append(append([]int(nil), s.Prompt...), s.Response...)
	last := make([]float64, c.LastBuckets)
	var recent []int
	if n := len(read); n > 0 {
		last[bucket(read[n-1], c.LastBuckets)] = 1
		recent = read[max(0, n-1-c.LastTokens) : n-1]
	}
	v = append(v, last...)
	v = append(v, bag(recent, c.LastBuckets)...)
	v = append(v, Surface(s.Text)...)
	v = append(v, paramFeatures(s.Text, s.Params)...)
	verdict, err := tasks.Verify(s.Task, s.Text, s.Params)
	if err != nil {
		return nil, fmt.Errorf("textfeat: %w", err)
	}
	return append(v, b2f(verdict.Satisfied)), nil
}

// bucket hashes a token id into [0, n) (a 64-bit multiplicative mix, so nearby
// ids land apart).
func bucket(id, n int) int {
	h := uint64(id)*0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019
	h ^= h >> 29
	h *= 0xBF58476D1CE4E5B9
	h ^= h >> 32
	return int(h % uint64(n))
}

// bag is the hashed bag of ids with log(1+count) values.
func bag(ids []int, n int) []float64 {
	v := make([]float64, n)
	for _, id := range ids {
		v[bucket(id, n)]++
	}
	for i, x := range v {
		if x > 0 {
			v[i] = math.Log1p(x)
		}
	}
	return v
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// surfaceNames names Surface's features.
var surfaceNames = []string{"log_words", "log_chars", "log_lines", "bullets", "sentences",
	"upper_share", "lower_share", "all_lowercase", "json_valid", "json_start", "vader"}

// Surface returns the surface features the verifiers read off a text: its
// length in words (IFEval's count), characters and lines, its bullets (IFEval's
// count), sentence ends, the share of its letters in upper and in lower case,
// whether it is all lower case and whether it is JSON (the verifiers of
// lowercase and json_format), whether it opens like JSON, and its VADER compound
// score.
func Surface(text string) []float64 {
	var upper, lower, letters, sentences int
	for _, r := range text {
		switch {
		case unicode.IsUpper(r):
			upper++
		case unicode.IsLower(r):
			lower++
		}
		if unicode.IsLetter(r) {
			letters++
		}
		if r == '.' || r == '!' || r == '?' {
			sentences++
		}
	}
	share := func(k int) float64 {
		if letters == 0 {
			return 0
		}
		return float64(k) / float64(letters)
	}
	low, _ := tasks.Verify("lowercase", text, nil)
	js, _ := tasks.Verify("json_format", text, nil)
	trimmed := strings.TrimSpace(text)
	jsonStart := strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, "[") || strings.HasPrefix(trimmed, "```")
	return []float64{
		math.Log1p(float64(tasks.CountWords(text))),
		math.Log1p(float64(len(text))),
		math.Log1p(float64(strings.Count(text, "\n"))),
		float64(tasks.CountBullets(text)),
		float64(sentences),
		share(upper), share(lower),
		b2f(low.Satisfied), b2f(js.Satisfied), b2f(jsonStart),
		vader.Default().PolarityScores(text).Compound,
	}
}

// paramNames names paramFeatures' features.
var paramNames = []string{"words_per_n", "bullets_minus_n", "param_words_count", "param_words_whole",
	"ends_with_param", "vader_signed", "topic_hits", "topic_best"}

// paramFeatures relate the text to the task's parameters: words and bullets
// against a numeric n; occurrences of a text parameter (keyword, forbidden word,
// end phrase), as a substring and as whole words, and whether the text ends with
// it; the VADER score signed by the asked polarity; the asked topic's words and
// whether it scores best. Features a task's parameters do not define are 0.
func paramFeatures(text string, p tasks.Params) []float64 {
	v := make([]float64, len(paramNames))
	if n := p.Int("n"); n > 0 {
		v[0] = float64(tasks.CountWords(text)) / float64(n)
		v[1] = float64(tasks.CountBullets(text) - n)
	}
	lower := strings.ToLower(text)
	for _, name := range []string{"keyword", "word", "phrase"} {
		w := strings.ToLower(strings.TrimSpace(p.String(name)))
		if w == "" {
			continue
		}
		v[2] = float64(strings.Count(lower, w))
		v[3] = float64(wholeWords(lower, w))
		body := strings.TrimRight(strings.TrimSpace(lower), `"`)
		v[4] = b2f(strings.HasSuffix(body, w))
	}
	switch p.String("polarity") {
	case "positive":
		v[5] = vader.Default().PolarityScores(text).Compound
	case "negative":
		v[5] = -vader.Default().PolarityScores(text).Compound
	}
	if t := p.String("topic"); t != "" {
		r := topic.Default().Classify(text)
		v[6] = float64(r.Of(t).Hits)
		v[7] = b2f(r.Best() == t)
	}
	return v
}

// wholeWords counts the occurrences of the word sequence w among the words of
// text (both lower case).
func wholeWords(text, w string) int {
	words, want := tasks.Words(text), tasks.Words(w)
	if len(want) == 0 {
		return 0
	}
	n := 0
	for i := 0; i+len(want) <= len(words); i++ {
		match := true
		for j := range want {
			if words[i+j] != want[j] {
				match = false
				break
			}
		}
		if match {
			n++
		}
	}
	return n
}
