package topic

import (
	"bufio"
	_ "embed"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

//go:embed data/lexicon.tsv
var lexiconTSV string

// Score is one topic's evidence in a text.
type Score struct {
	Topic string  `json:"topic"`
	Score float64 `json:"score"` // the sum of the matched words' weights, divided by the topic's Scale
	Hits  int     `json:"hits"`  // how many tokens matched a word of the topic
}

// Result is the classification of one text.
type Result struct {
	Scores []Score `json:"scores"` // every topic, best first (ties broken by name)
	Tokens int     `json:"tokens"` // content tokens looked at (stop words excluded)
}

// Best returns the best-scoring topic, or "" when no topic word matched.
func (r Result) Best() string {
	if len(r.Scores) == 0 || r.Scores[0].Score == 0 {
		return ""
	}
	return r.Scores[0].Topic
}

// Of returns the score of topic t (the zero Score if t is unknown).
func (r Result) Of(t string) Score {
	for _, s := range r.Scores {
		if s.Topic == t {
			return s
		}
	}
	return Score{}
}

// Classifier scores texts against a fixed set of topics with a weighted lexicon.
// The zero value is not usable; use Default or New.
type Classifier struct {
	topics  []string
	weights map[string][]topicWeight // lemma -> weights
	exc     map[string]string        // irregular form -> lemma
	scale   map[string]float64       // per-topic divisor of the raw score
}

type topicWeight struct {
	topic int
	w     float64
}

var (
	defaultOnce sync.Once
	defaultC    *Classifier
)

// Default returns the classifier built from the embedded WordNet lexicon. It is
// safe for concurrent use.
func Default() *Classifier {
	defaultOnce.Do(func() {
		c, err := New(lexiconTSV)
		if err != nil {
			panic(err) // the embedded lexicon is part of the build
		}
		defaultC = c
	})
	return defaultC
}

// New parses a lexicon in the format of data/lexicon.tsv: "word TAB topic TAB
// weight" lines, "=exc TAB form TAB lemma" lines, and "#" comments.
func New(tsv string) (*Classifier, error) {
	c := &Classifier{weights: map[string][]topicWeight{}, exc: map[string]string{}, scale: map[string]float64{}}
	ids := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(tsv))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			return nil, fmt.Errorf("topic: lexicon line %d: want 3 tab-separated fields, got %d", n, len(f))
		}
		if f[0] == "=exc" {
			c.exc[f[1]] = f[2]
			continue
		}
		w, err := strconv.ParseFloat(f[2], 64)
		if err != nil || w <= 0 || w > 1 {
			return nil, fmt.Errorf("topic: lexicon line %d: weight of %q for %q: want a number in (0, 1], got %q", n, f[0], f[1], f[2])
		}
		id, ok := ids[f[1]]
		if !ok {
			id = len(c.topics)
			ids[f[1]] = id
			c.topics = append(c.topics, f[1])
		}
		c.weights[f[0]] = append(c.weights[f[0]], topicWeight{id, w})
	}
	if len(c.topics) == 0 {
		return nil, fmt.Errorf("topic: lexicon has no topics")
	}
	c.setScales()
	return c, nil
}

// setScales divides each topic's score by the square root of its lexicon mass
// relative to the median topic: a topic with ten times the vocabulary (science
// reaches into every named organism and compound) would otherwise match
// everything by chance.
func (c *Classifier) setScales() {
	mass := make([]float64, len(c.topics))
	for _, tws := range c.weights {
		for _, tw := range tws {
			mass[tw.topic] += tw.w
		}
	}
	sorted := append([]float64(nil), mass...)
	sort.Float64s(sorted)
	med := sorted[len(sorted)/2]
	for i, t := range c.topics {
		c.scale[t] = math.Sqrt(mass[i] / med)
	}
}

// Topics returns the topic names in sorted order.
func (c *Classifier) Topics() []string {
	out := append([]string(nil), c.topics...)
	sort.Strings(out)
	return out
}

// Lemma returns the lexicon entry that token (lower case) stands for, trying
// the token itself, WordNet's irregular forms, then WordNet's regular
// detachment rules (morphy), or "" if none is in the lexicon.
func (c *Classifier) Lemma(token string) string {
	if _, ok := c.weights[token]; ok {
		return token
	}
	if l, ok := c.exc[token]; ok {
		return l
	}
	for _, r := range morphyRules {
		if strings.HasSuffix(token, r[0]) && len(token) > len(r[0]) {
			cand := token[:len(token)-len(r[0])] + r[1]
			if _, ok := c.weights[cand]; ok {
				return cand
			}
		}
	}
	return ""
}

// morphyRules are WordNet's detachment rules (morph.c) for nouns, verbs and
// adjectives, as suffix -> replacement.
var morphyRules = [][2]string{
	{"ses", "s"}, {"xes", "x"}, {"zes", "z"}, {"ches", "ch"}, {"shes", "sh"}, {"men", "man"},
	{"ies", "y"}, {"s", ""},
	{"es", "e"}, {"es", ""}, {"ed", "e"}, {"ed", ""}, {"ing", "e"}, {"ing", ""},
	{"er", ""}, {"est", ""}, {"er", "e"}, {"est", "e"},
}

// Classify scores text against every topic.
func (c *Classifier) Classify(text string) Result {
	raw := make([]float64, len(c.topics))
	hits := make([]int, len(c.topics))
	tokens := 0
	for _, tok := range tokenize(text) {
		if stop[tok] || len(tok) < 3 {
			continue
		}
		tokens++
		for _, tw := range c.weights[c.Lemma(tok)] {
			raw[tw.topic] += tw.w
			hits[tw.topic]++
		}
	}
	res := Result{Tokens: tokens, Scores: make([]Score, len(c.topics))}
	for i, t := range c.topics {
		res.Scores[i] = Score{Topic: t, Score: raw[i] / c.scale[t], Hits: hits[i]}
	}
	sort.Slice(res.Scores, func(i, j int) bool {
		a, b := res.Scores[i], res.Scores[j]
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		return a.Topic < b.Topic
	})
	return res
}

// tokenize lower-cases text and splits it into runs of letters.
func tokenize(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) })
}

// stop lists English function words and very common verbs and nouns, which
// WordNet lists under unrelated senses ("can" the container, "will" the
// document).
var stop = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`about above after again against all and any are because been before
	being below between both but can did does doing down during each few for from further had has have
	having her here hers herself him himself his how into its itself just more most myself nor not now off
	once only other our ours ourselves out over own same she should some such than that the their theirs
	them themselves then there these they this those through too under until very was were what when where
	which while who whom why will with would you your yours yourself yourselves also may might must shall
	could one two three first new make made like get got use used way well even back much many time`) {
		m[w] = true
	}
	return m
}()
