package vader

import (
	"bufio"
	"container/heap"
	_ "embed"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

//go:embed data/vader_lexicon.txt
var lexiconText string

//go:embed data/emoji_utf8_lexicon.txt
var emojiText string

// Constants of VADER 3.3.2 (vaderSentiment.py), empirically derived by its authors.
const (
	bIncr   = 0.293 // booster word increment
	bDecr   = -0.293
	cIncr   = 0.733 // ALL-CAPS emphasis increment
	nScalar = -0.74 // negation scalar
	alpha   = 15.0  // normalisation constant of the compound score
)

var negate = toSet([]string{"aint", "arent", "cannot", "cant", "couldnt", "darent", "didnt", "doesnt",
	"ain't", "aren't", "can't", "couldn't", "daren't", "didn't", "doesn't",
	"dont", "hadnt", "hasnt", "havent", "isnt", "mightnt", "mustnt", "neither",
	"don't", "hadn't", "hasn't", "haven't", "isn't", "mightn't", "mustn't",
	"neednt", "needn't", "never", "none", "nope", "nor", "not", "nothing", "nowhere",
	"oughtnt", "shant", "shouldnt", "uhuh", "wasnt", "werent",
	"oughtn't", "shan't", "shouldn't", "uh-uh", "wasn't", "weren't",
	"without", "wont", "wouldnt", "won't", "wouldn't", "rarely", "seldom", "despite"})

var booster = func() map[string]float64 {
	m := map[string]float64{}
	for _, w := range strings.Fields(`absolutely amazingly awfully completely considerable considerably
		decidedly deeply effing enormous enormously entirely especially exceptional exceptionally
		extreme extremely fabulously flipping flippin frackin fracking fricking frickin frigging
		friggin fully fuckin fucking fuggin fugging greatly hella highly hugely incredible incredibly
		intensely major majorly more most particularly purely quite really remarkably so substantially
		thoroughly total totally tremendous tremendously uber unbelievably unusually utter utterly very`) {
		m[w] = bIncr
	}
	for _, w := range strings.Fields(`almost barely hardly kinda kindof kind-of less little marginal
		marginally occasional occasionally partly scarce scarcely slight slightly somewhat sorta
		sortof sort-of`) {
		m[w] = bDecr
	}
	m["just enough"], m["kind of"], m["sort of"] = bDecr, bDecr, bDecr
	return m
}()

var specialCases = map[string]float64{"the shit": 3, "the bomb": 3, "bad ass": 1.5, "badass": 1.5,
	"bus stop": 0.0, "yeah right": -2, "kiss of death": -1.5, "to die for": 3, "beating heart": 3.5}

func toSet(words []string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// Scores are VADER's polarity scores of a text. Neg, Neu and Pos are the
// proportions of the text's sentiment mass (they sum to about 1); Compound is the
// normalised, weighted sum of all valences, in [-1, 1]. Unlike the Python package,
// nothing is rounded.
type Scores struct {
	Neg      float64 `json:"neg"`
	Neu      float64 `json:"neu"`
	Pos      float64 `json:"pos"`
	Compound float64 `json:"compound"`
}

// Analyzer scores text with the VADER lexicon and rules. The zero value is not
// usable; use Default.
type Analyzer struct {
	lexicon map[string]float64
	emojis  map[rune]string
}

var (
	defaultOnce     sync.Once
	defaultAnalyzer *Analyzer
)

// Default returns the analyzer built from the embedded VADER 3.3.2 lexicons. It is
// safe for concurrent use.
func Default() *Analyzer {
	defaultOnce.Do(func() {
		a, err := New(lexiconText, emojiText)
		if err != nil {
			panic(err) // the embedded lexicon is part of the build: a failure is a build bug
		}
		defaultAnalyzer = a
	})
	return defaultAnalyzer
}

// New builds an analyzer from the text of a VADER lexicon (token TAB mean-valence
// [TAB ...] per line) and an emoji lexicon (emoji TAB description per line).
func New(lexicon, emojiLexicon string) (*Analyzer, error) {
	a := &Analyzer{lexicon: map[string]float64{}, emojis: map[rune]string{}}
	sc := bufio.NewScanner(strings.NewReader(lexicon))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 2 {
			return nil, fmt.Errorf("vader: lexicon line %d: want token<TAB>valence, got %q", n, line)
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			return nil, fmt.Errorf("vader: lexicon line %d: valence of %q: %w", n, f[0], err)
		}
		a.lexicon[f[0]] = v
	}
	sc = bufio.NewScanner(strings.NewReader(emojiLexicon))
	for n := 1; sc.Scan(); n++ {
		f := strings.Split(strings.TrimSpace(sc.Text()), "\t")
		if len(f) < 2 {
			continue
		}
		// Python iterates the text by code point, so only single-code-point emoji can match.
		if r := []rune(f[0]); len(r) == 1 {
			a.emojis[r[0]] = f[1]
		}
	}
	return a, nil
}

// Valence returns the lexicon valence of a lower-case token and whether it is in the lexicon.
func (a *Analyzer) Valence(token string) (float64, bool) {
	v, ok := a.lexicon[token]
	return v, ok
}

// PolarityScores scores text exactly as vaderSentiment 3.3.2's
// SentimentIntensityAnalyzer.polarity_scores does, rules and quirks included,
// except that the scores are not rounded.
func (a *Analyzer) PolarityScores(text string) Scores {
	text = pyStrip(a.replaceEmojis(text))
	words := wordsAndEmoticons(text)
	lower := make([]string, len(words))
	for i, w := range words {
		lower[i] = strings.ToLower(w)
	}
	capDiff := allcapDifferential(words)
	sentiments := make([]float64, 0, len(words))
	for i, item := range words {
		if _, ok := booster[lower[i]]; ok {
			sentiments = append(sentiments, 0)
			continue
		}
		if i < len(words)-1 && lower[i] == "kind" && lower[i+1] == "of" {
			sentiments = append(sentiments, 0)
			continue
		}
		sentiments = append(sentiments, a.sentimentValence(item, i, words, lower, capDiff))
	}
	butCheck(lower, sentiments)
	return scoreValence(sentiments, text)
}

// replaceEmojis swaps each emoji for its textual description, as the Python code does.
func (a *Analyzer) replaceEmojis(text string) string {
	var b strings.Builder
	prevSpace := true
	for _, r := range text {
		if d, ok := a.emojis[r]; ok {
			if !prevSpace {
				b.WriteByte(' ')
			}
			b.WriteString(d)
			prevSpace = false
			continue
		}
		b.WriteRune(r)
		prevSpace = r == ' '
	}
	return b.String()
}

func (a *Analyzer) inLexicon(w string) bool { _, ok := a.lexicon[w]; return ok }

func (a *Analyzer) sentimentValence(item string, i int, words, lower []string, capDiff bool) float64 {
	lex, ok := a.lexicon[lower[i]]
	if !ok {
		return 0
	}
	valence := lex
	// "no" before another lexicon word is a negation, not a sentiment word itself.
	if lower[i] == "no" && i != len(words)-1 && a.inLexicon(lower[i+1]) {
		valence = 0
	}
	if (i > 0 && lower[i-1] == "no") || (i > 1 && lower[i-2] == "no") ||
		(i > 2 && lower[i-3] == "no" && (lower[i-1] == "or" || lower[i-1] == "nor")) {
		valence = lex * nScalar
	}
	if pyIsUpper(item) && capDiff {
		if valence > 0 {
			valence += cIncr
		} else {
			valence -= cIncr
		}
	}
	for start := 0; start < 3; start++ {
		if i > start && !a.inLexicon(lower[i-(start+1)]) {
			s := scalarIncDec(words[i-(start+1)], lower[i-(start+1)], valence, capDiff)
			if start == 1 && s != 0 {
				s *= 0.95
			}
			if start == 2 && s != 0 {
				s *= 0.9
			}
			valence += s
			valence = negationCheck(valence, lower, start, i)
			if start == 2 {
				valence = specialIdiomsCheck(valence, lower, i)
			}
		}
	}
	return a.leastCheck(valence, lower, i)
}

func scalarIncDec(word, wordLower string, valence float64, capDiff bool) float64 {
	scalar, ok := booster[wordLower]
	if !ok {
		return 0
	}
	if valence < 0 {
		scalar = -scalar
	}
	if pyIsUpper(word) && capDiff {
		if valence > 0 {
			scalar += cIncr
		} else {
			scalar -= cIncr
		}
	}
	return scalar
}

func (a *Analyzer) leastCheck(valence float64, lower []string, i int) float64 {
	if i > 1 && !a.inLexicon(lower[i-1]) && lower[i-1] == "least" {
		if lower[i-2] != "at" && lower[i-2] != "very" {
			valence *= nScalar
		}
	} else if i > 0 && !a.inLexicon(lower[i-1]) && lower[i-1] == "least" {
		valence *= nScalar
	}
	return valence
}

// negated reports whether a single lower-case word is a negation (Python's
// negated([w]) with include_nt=True).
func negated(w string) bool { return negate[w] || strings.Contains(w, "n't") }

func negationCheck(valence float64, lower []string, start, i int) float64 {
	switch start {
	case 0:
		if negated(lower[i-1]) {
			valence *= nScalar
		}
	case 1:
		switch {
		case lower[i-2] == "never" && (lower[i-1] == "so" || lower[i-1] == "this"):
			valence *= 1.25
		case lower[i-2] == "without" && lower[i-1] == "doubt":
		case negated(lower[i-2]):
			valence *= nScalar
		}
	case 2:
		// The Python condition is "A and B or C" (C alone suffices); kept as is.
		switch {
		case lower[i-3] == "never" && (lower[i-2] == "so" || lower[i-2] == "this") ||
			(lower[i-1] == "so" || lower[i-1] == "this"):
			valence *= 1.25
		case lower[i-3] == "without" && (lower[i-2] == "doubt" || lower[i-1] == "doubt"):
		case negated(lower[i-3]):
			valence *= nScalar
		}
	}
	return valence
}

func specialIdiomsCheck(valence float64, lower []string, i int) float64 {
	// The caller (start == 2, i > 2) guarantees i >= 3, so no index is negative.
	onezero := lower[i-1] + " " + lower[i]
	twoonezero := lower[i-2] + " " + lower[i-1] + " " + lower[i]
	twoone := lower[i-2] + " " + lower[i-1]
	threetwoone := lower[i-3] + " " + lower[i-2] + " " + lower[i-1]
	threetwo := lower[i-3] + " " + lower[i-2]
	for _, seq := range []string{onezero, twoonezero, twoone, threetwoone, threetwo} {
		if v, ok := specialCases[seq]; ok {
			valence = v
			break
		}
	}
	if len(lower)-1 > i {
		if v, ok := specialCases[lower[i]+" "+lower[i+1]]; ok {
			valence = v
		}
	}
	if len(lower)-1 > i+1 {
		if v, ok := specialCases[lower[i]+" "+lower[i+1]+" "+lower[i+2]]; ok {
			valence = v
		}
	}
	for _, ng := range []string{threetwoone, threetwo, twoone} {
		if v, ok := booster[ng]; ok {
			valence += v
		}
	}
	return valence
}

// butCheck applies the contrastive-conjunction rule in place. It reproduces the
// Python loop exactly, including its use of list.index: at step k the value v
// now at position k is looked up, and the first position holding a value equal
// to v is the one rescaled. Python's loop is quadratic; here each value keeps a
// min-heap of its positions, so long texts stay linear-logarithmic.
func butCheck(lower []string, sentiments []float64) {
	bi := -1
	for k, w := range lower {
		if w == "but" {
			bi = k
			break
		}
	}
	if bi < 0 {
		return
	}
	pos := map[float64]*intHeap{} // value -> positions holding it (lazily cleaned)
	push := func(v float64, i int) {
		h := pos[v]
		if h == nil {
			h = &intHeap{}
			pos[v] = h
		}
		heap.Push(h, i)
	}
	for i, v := range sentiments {
		push(v, i)
	}
	for k := range sentiments {
		v := sentiments[k]
		h := pos[v]
		for sentiments[(*h)[0]] != v { // drop positions whose value has changed
			heap.Pop(h)
		}
		si := (*h)[0]
		var nv float64
		switch {
		case si < bi:
			nv = v * 0.5
		case si > bi:
			nv = v * 1.5
		default:
			continue
		}
		if nv != v {
			heap.Pop(h)
			sentiments[si] = nv
			push(nv, si)
		}
	}
}

// intHeap is a min-heap of positions.
type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func scoreValence(sentiments []float64, text string) Scores {
	if len(sentiments) == 0 {
		return Scores{}
	}
	sum := 0.0
	for _, s := range sentiments {
		sum += s
	}
	punct := punctuationEmphasis(text)
	if sum > 0 {
		sum += punct
	} else if sum < 0 {
		sum -= punct
	}
	compound := normalize(sum)
	posSum, negSum, neu := 0.0, 0.0, 0
	for _, s := range sentiments {
		switch {
		case s > 0:
			posSum += s + 1 // compensates for neutral words counted as 1
		case s < 0:
			negSum += s - 1
		default:
			neu++
		}
	}
	if posSum > math.Abs(negSum) {
		posSum += punct
	} else if posSum < math.Abs(negSum) {
		negSum -= punct
	}
	total := posSum + math.Abs(negSum) + float64(neu)
	return Scores{
		Neg:      math.Abs(negSum / total),
		Neu:      math.Abs(float64(neu) / total),
		Pos:      math.Abs(posSum / total),
		Compound: compound,
	}
}

func punctuationEmphasis(text string) float64 {
	ep := min(strings.Count(text, "!"), 4)
	amp := float64(ep) * 0.292
	switch qm := strings.Count(text, "?"); {
	case qm > 3:
		amp += 0.96
	case qm > 1:
		amp += float64(qm) * 0.18
	}
	return amp
}

func normalize(score float64) float64 {
	n := score / math.Sqrt(score*score+alpha)
	return max(-1, min(1, n))
}

func allcapDifferential(words []string) bool {
	caps := 0
	for _, w := range words {
		if pyIsUpper(w) {
			caps++
		}
	}
	d := len(words) - caps
	return 0 < d && d < len(words)
}

// wordsAndEmoticons splits on white space and strips leading and trailing ASCII
// punctuation unless that leaves two code points or fewer (an emoticon).
func wordsAndEmoticons(text string) []string {
	fields := strings.FieldsFunc(text, pyIsSpace)
	for i, tok := range fields {
		stripped := strings.Trim(tok, asciiPunctuation)
		if len([]rune(stripped)) > 2 {
			fields[i] = stripped
		}
	}
	return fields
}

// asciiPunctuation is Python's string.punctuation.
const asciiPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

// pyIsSpace is Python's str.isspace for one code point: Unicode white space plus
// the ASCII information separators U+001C..U+001F.
func pyIsSpace(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) }

func pyStrip(s string) string { return strings.TrimFunc(s, pyIsSpace) }

// pyIsUpper is Python's str.isupper: at least one cased character and no
// lower-case or title-case one.
func pyIsUpper(s string) bool {
	cased := false
	for _, r := range s {
		switch {
		case unicode.IsLower(r) || unicode.Is(unicode.Other_Lowercase, r) || unicode.IsTitle(r):
			return false
		case unicode.IsUpper(r) || unicode.Is(unicode.Other_Uppercase, r):
			cased = true
		}
	}
	return cased
}
