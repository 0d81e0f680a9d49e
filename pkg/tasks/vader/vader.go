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
	"unicode/utf8"
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
//
// It streams: a long text is read twice, token by token (once for the counts the
// rules need, once to score each token from the three before it and the two after
// it), so besides the text it holds a few tokens and, when the text has a "but", the
// nonzero valences. (Building the word lists whole took 841 MB for a 50 MB
// response.) A text under keepTokensBelow keeps its tokens from the first pass.
func (a *Analyzer) PolarityScores(text string) Scores {
	n, caps, bi := 0, 0, -1
	var kept []string // a short text's tokens, kept for the second pass
	keep := len(text) <= keepTokensBelow
	excl, quest := a.tokens(text, func(tok string) {
		if pyIsUpper(tok) {
			caps++
		}
		if bi < 0 && strings.EqualFold(tok, "but") { // only ASCII letters fold to "but"
			bi = n
		}
		if keep {
			kept = append(kept, tok)
		}
		n++
	})
	if n == 0 {
		return Scores{}
	}
	capDiff := 0 < n-caps && n-caps < n
	var t tally
	var pos []int      // with a "but": positions of the nonzero valences
	var vals []float64 // and the valences, for butCheck
	w := window{}
	score := func(final bool) {
		for w.ready(final) {
			words, lower, j := w.view()
			v := 0.0
			_, boost := booster[lower[j]]
			kindOf := j < len(words)-1 && lower[j] == "kind" && lower[j+1] == "of"
			if !boost && !kindOf {
				v = a.sentimentValence(words[j], j, words, lower, capDiff)
			}
			switch {
			case v == 0:
			case bi >= 0:
				pos, vals = append(pos, w.next), append(vals, v)
			default:
				t.add(v)
			}
			w.advance()
		}
	}
	push := func(tok string) {
		w.push(tok)
		score(false)
	}
	if keep {
		for _, tok := range kept {
			push(tok)
		}
	} else {
		a.tokens(text, push)
	}
	score(true)
	if bi >= 0 {
		butCheck(bi, pos, vals)
		for _, v := range vals {
			t.add(v)
		}
	}
	t.neu = n - t.nonzero
	return t.scores(punctuationEmphasis(excl, quest))
}

// keepTokensBelow is the text length (bytes) under which the first pass keeps the
// tokens for the second instead of splitting the text again: a typical response is
// scored 1.4 times faster, and a few kilobytes of tokens are no memory to speak of.
const keepTokensBelow = 64 << 10

// window holds the tokens around the next one to score: up to 3 before it (the
// rules look back three words) and 2 after (they look ahead two).
type window struct {
	words, lower []string // from token index base
	base, next   int      // index of words[0]; index of the token to score
}

func (w *window) push(tok string) {
	w.words = append(w.words, tok)
	w.lower = append(w.lower, strings.ToLower(tok))
}

// ready reports whether the next token can be scored: its two successors are in, or
// the text has ended (final).
func (w *window) ready(final bool) bool {
	end := w.base + len(w.words)
	return w.next < end && (final || w.next+2 < end)
}

// view returns the window's words and lower-case words and the next token's index
// in them, as slices that end where the text does or two tokens after it.
func (w *window) view() (words, lower []string, j int) {
	j = w.next - w.base
	hi := min(len(w.words), j+3)
	return w.words[:hi], w.lower[:hi], j
}

// advance moves past the scored token, dropping tokens no rule will look at again.
func (w *window) advance() {
	w.next++
	if drop := w.next - w.base - 3; drop > 0 {
		w.words = append(w.words[:0], w.words[drop:]...)
		w.lower = append(w.lower[:0], w.lower[drop:]...)
		w.base += drop
	}
}

// tokens calls emit with every token of the text as VADER sees it (the text with
// each emoji replaced by its description, split on white space, with leading and
// trailing punctuation stripped unless that leaves two code points or fewer: an
// emoticon), without building that text, and counts its '!' and '?'. A token is a
// slice of text unless an emoji's description or an invalid byte (which Python
// reads as U+FFFD) is part of it; then it is built in a buffer.
func (a *Analyzer) tokens(text string, emit func(string)) (excl, quest int) {
	var buf []byte
	start, buffered := -1, false // start: the token's offset in text, when not buffered
	flush := func(end int) {
		tok := ""
		switch {
		case buffered:
			tok, buffered = string(buf), false
		case start >= 0:
			tok = text[start:end]
		}
		start = -1
		if tok == "" {
			return
		}
		if stripped := strings.Trim(tok, asciiPunctuation); utf8.RuneCountInString(stripped) > 2 {
			tok = stripped
		}
		emit(tok)
	}
	// add appends rune r to the token, at offset at of text; from text unless virtual.
	add := func(r rune, at int, virtual bool) {
		switch r {
		case '!':
			excl++
		case '?':
			quest++
		}
		if !buffered && (virtual || r == utf8.RuneError && !strings.HasPrefix(text[at:], "\uFFFD")) {
			buf = buf[:0]
			if start >= 0 {
				buf = append(buf, text[start:at]...)
			}
			buffered = true
		}
		switch {
		case buffered:
			buf = utf8.AppendRune(buf, r)
		case start < 0:
			start = at
		}
	}
	prevSpace := true
	for i, r := range text {
		if d, ok := a.emojis[r]; ok {
			if !prevSpace {
				flush(i) // the space Python inserts before the description
			}
			for _, dr := range d {
				if pyIsSpace(dr) {
					flush(i)
				} else {
					add(dr, i, true)
				}
			}
			prevSpace = false
			continue
		}
		if pyIsSpace(r) {
			flush(i)
		} else {
			add(r, i, false)
		}
		prevSpace = r == ' '
	}
	flush(len(text))
	return excl, quest
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

// butCheck applies the contrastive-conjunction rule in place to the nonzero
// valences vals of a text, at token positions pos (ascending), bi being the first
// "but". It reproduces the Python loop exactly, including its use of list.index:
// at step k the value v now at position k is looked up, and the first position
// holding a value equal to v is the one rescaled. Zero valences are left out: for
// them list.index finds a zero, rescaled to zero, so they change nothing. Python's
// loop is quadratic; here each value keeps a min-heap of its positions, so long
// texts stay linear-logarithmic.
func butCheck(bi int, pos []int, vals []float64) {
	at := map[float64]*intHeap{} // value -> indexes into vals holding it (lazily cleaned)
	push := func(v float64, i int) {
		h := at[v]
		if h == nil {
			h = &intHeap{}
			at[v] = h
		}
		heap.Push(h, i)
	}
	for i, v := range vals {
		push(v, i)
	}
	for k := range vals {
		v := vals[k]
		h := at[v]
		for vals[(*h)[0]] != v { // drop indexes whose value has changed
			heap.Pop(h)
		}
		si := (*h)[0]
		var nv float64
		switch {
		case pos[si] < bi:
			nv = v * 0.5
		case pos[si] > bi:
			nv = v * 1.5
		default:
			continue
		}
		if nv != v {
			heap.Pop(h)
			vals[si] = nv
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

// tally accumulates valences in token order, as scoreValence's loops do.
type tally struct {
	sum, pos, neg float64
	nonzero, neu  int
}

func (t *tally) add(s float64) {
	t.sum += s
	t.nonzero++
	switch {
	case s > 0:
		t.pos += s + 1 // compensates for neutral words counted as 1
	case s < 0:
		t.neg += s - 1
	}
}

// scores turns the tally into VADER's scores, with the punctuation amplifier punct.
func (t tally) scores(punct float64) Scores {
	sum := t.sum
	if sum > 0 {
		sum += punct
	} else if sum < 0 {
		sum -= punct
	}
	compound := normalize(sum)
	posSum, negSum := t.pos, t.neg
	if posSum > math.Abs(negSum) {
		posSum += punct
	} else if posSum < math.Abs(negSum) {
		negSum -= punct
	}
	total := posSum + math.Abs(negSum) + float64(t.neu)
	return Scores{
		Neg:      math.Abs(negSum / total),
		Neu:      math.Abs(float64(t.neu) / total),
		Pos:      math.Abs(posSum / total),
		Compound: compound,
	}
}

// punctuationEmphasis is the amplifier of excl '!' (up to 4) and quest '?'.
func punctuationEmphasis(excl, quest int) float64 {
	amp := float64(min(excl, 4)) * 0.292
	switch {
	case quest > 3:
		amp += 0.96
	case quest > 1:
		amp += float64(quest) * 0.18
	}
	return amp
}

func normalize(score float64) float64 {
	n := score / math.Sqrt(score*score+alpha)
	return max(-1, min(1, n))
}

// asciiPunctuation is Python's string.punctuation.
const asciiPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

// pyIsSpace is Python's str.isspace for one code point: Unicode white space plus
// the ASCII information separators U+001C..U+001F.
func pyIsSpace(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) }

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
