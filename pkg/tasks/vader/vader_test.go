package vader

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ifprobe/ifprobe/internal/jsonl"
)

// refRecord is one line of testdata/hutto_icwsm2014.jsonl.gz, written by
// scripts/fixtures/tasks/vader.sh from vaderSentiment==3.3.2 (Python).
type refRecord struct {
	Source   string   `json:"source"`
	ID       string   `json:"id"`
	Gold     *float64 `json:"gold"` // mean human rating in [-4, 4]; nil for demo sentences
	Text     string   `json:"text"`
	Neg      float64  `json:"neg"`
	Neu      float64  `json:"neu"`
	Pos      float64  `json:"pos"`
	Compound float64  `json:"compound"`
}

func loadReference(t testing.TB) []refRecord {
	t.Helper()
	recs, err := jsonl.Read[refRecord]("testdata/hutto_icwsm2014.jsonl.gz")
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// TestPythonParity compares every score with the Python package's, which rounds
// compound to 4 decimals and the proportions to 3.
func TestPythonParity(t *testing.T) {
	const (
		tolCompound = 0.5e-4 + 1e-9 // half a unit of Python's last rounded digit
		tolProp     = 0.5e-3 + 1e-9
	)
	recs := loadReference(t)
	if len(recs) < 23000 {
		t.Fatalf("reference has %d records, want the full 23728", len(recs))
	}
	a := Default()
	bad := 0
	for _, r := range recs {
		got := a.PolarityScores(r.Text)
		if math.Abs(got.Compound-r.Compound) > tolCompound || math.Abs(got.Neg-r.Neg) > tolProp ||
			math.Abs(got.Neu-r.Neu) > tolProp || math.Abs(got.Pos-r.Pos) > tolProp {
			bad++
			if bad <= 10 {
				t.Errorf("%s/%s %q: got %+v, Python %+v", r.Source, r.ID, r.Text, got,
					Scores{r.Neg, r.Neu, r.Pos, r.Compound})
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d texts differ from Python VADER", bad, len(recs))
	}
}

// TestAccuracy recomputes the accuracy published in doc.go: the sign of compound
// (|compound| >= 0.05, VADER's recommended cut-off) against the sign of the mean
// human rating, on snippets whose rating is clearly non-neutral (|gold| >= 1).
func TestAccuracy(t *testing.T) {
	// Measured at commit time (doc.go: all 0.6722, tweets 0.9771); the floors sit
	// just under the lower end of the 95% interval, so only a regression fails.
	floors := map[string]float64{"": 0.66, "tweets": 0.97}
	recs := loadReference(t)
	for src, floor := range floors {
		acc, n := accuracy(recs, src, 1.0, 0.05)
		t.Logf("source %q: accuracy %.4f on %d clearly rated snippets", src, acc, n)
		if acc < floor {
			t.Errorf("source %q: accuracy %.4f < floor %.2f", src, acc, floor)
		}
	}
}

// accuracy over the records of source (all when empty) with |gold| >= goldMin.
func accuracy(recs []refRecord, source string, goldMin, cut float64) (float64, int) {
	a := Default()
	hit, n := 0, 0
	for _, r := range recs {
		if r.Gold == nil || math.Abs(*r.Gold) < goldMin || (source != "" && r.Source != source) {
			continue
		}
		n++
		c := a.PolarityScores(r.Text).Compound
		if (*r.Gold > 0 && c >= cut) || (*r.Gold < 0 && c <= -cut) {
			hit++
		}
	}
	return float64(hit) / float64(n), n
}

func TestNewRejectsBadLexicon(t *testing.T) {
	for i, lex := range []string{"good", "good\tvery"} {
		if _, err := New(lex, ""); err == nil {
			t.Errorf("%d: New(%q) = nil error", i, lex)
		}
	}
}

// butCheckNaive is the literal transcription of the Python loop (quadratic).
func butCheckNaive(lower []string, sentiments []float64) {
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
	for k := 0; k < len(sentiments); k++ {
		s := sentiments[k]
		si := 0
		for sentiments[si] != s {
			si++
		}
		if si < bi {
			sentiments[si] = s * 0.5
		} else if si > bi {
			sentiments[si] = s * 1.5
		}
	}
}

// butCheckDense runs butCheck on the nonzero values of sentiments, as PolarityScores
// does, and writes the results back.
func butCheckDense(lower []string, sentiments []float64) {
	bi := slices.Index(lower, "but")
	if bi < 0 {
		return
	}
	var pos []int
	var vals []float64
	for i, v := range sentiments {
		if v != 0 {
			pos, vals = append(pos, i), append(vals, v)
		}
	}
	butCheck(bi, pos, vals)
	for k, i := range pos {
		sentiments[i] = vals[k]
	}
}

// TestButCheckMatchesPythonLoop compares the heap version with the literal
// loop on random inputs full of repeated values (where list.index matters).
func TestButCheckMatchesPythonLoop(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	vals := []float64{0, 1, -1, 2, 0.5, 1.5, -0.5, 3}
	for trial := range 2000 {
		n := 1 + rng.IntN(30)
		lower := make([]string, n)
		a := make([]float64, n)
		for i := range a {
			lower[i] = "w"
			a[i] = vals[rng.IntN(len(vals))]
		}
		lower[rng.IntN(n)] = "but"
		b := append([]float64(nil), a...)
		butCheckDense(lower, a)
		butCheckNaive(lower, b)
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("trial %d: heap %v, loop %v", trial, a, b)
			}
		}
	}
}

func TestLongTextIsFast(t *testing.T) {
	// 200k words with "but" early: the Python loop would take ~10^10 steps.
	text := "good but " + strings.Repeat("nice bad plain ", 70000)
	s := Default().PolarityScores(text)
	if s.Compound <= -1 || s.Compound > 1 {
		t.Fatalf("compound %v out of range", s.Compound)
	}
}

// hugeEnv makes the test binary the measured process of TestHugeResponseMemory.
const hugeEnv = "IFPROBE_VADER_HUGE_MB"

// TestHugeResponseMemory scores a 20 MB response (the reference texts, repeated, so
// full of "but", emoji and negations) in a fresh process and bounds the memory it
// takes beyond the text itself: the old word lists took 17 bytes per byte of text
// (841 MB for a 50 MB response). IFPROBE_VADER_HUGE_MB sets the size.
func TestHugeResponseMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 50 MB text")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHugeResponseChild$")
	mb := os.Getenv(hugeEnv)
	if mb == "" {
		mb = "20"
	}
	cmd.Env = append(os.Environ(), hugeEnv+"="+mb)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var r struct{ TextMB, BeforeMB, PeakMB float64 }
	if err := json.Unmarshal(out[bytes.IndexByte(out, '{'):bytes.LastIndexByte(out, '}')+1], &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	extra := r.PeakMB - r.BeforeMB
	t.Logf("%.0f MB response: peak RSS %.0f MB, %.0f MB of it for scoring", r.TextMB, r.PeakMB, extra)
	// What remains is the valences of a text with "but" (24 bytes per sentiment word)
	// and the garbage of one string per token between collections.
	if extra > 2*r.TextMB+20 {
		t.Errorf("scoring a %.0f MB response took %.0f MB beyond the text, want at most 2 bytes per byte", r.TextMB, extra)
	}
}

// TestHugeResponseChild is the measured process of TestHugeResponseMemory.
func TestHugeResponseChild(t *testing.T) {
	mb, _ := strconv.Atoi(os.Getenv(hugeEnv))
	if mb == 0 {
		t.Skip("run by TestHugeResponseMemory")
	}
	var sb strings.Builder
	recs := loadReference(t)
	for sb.Len() < mb<<20 {
		for _, r := range recs {
			sb.WriteString(r.Text)
			sb.WriteString("\n")
		}
	}
	text := sb.String()
	a := Default()
	recs = nil
	sb = strings.Builder{}
	debug.FreeOSMemory()                                      // RSS back to the text and the lexicon
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0o644) // Linux: the peak RSS restarts from here
	before := vmRSS("VmRSS:")
	s := a.PolarityScores(text)
	json.NewEncoder(os.Stdout).Encode(map[string]float64{"TextMB": float64(len(text)) / (1 << 20),
		"BeforeMB": float64(before) / 1024, "PeakMB": float64(vmRSS("VmHWM:")) / 1024, "Compound": s.Compound})
}

// vmRSS reads field ("VmRSS:", the resident set now, or "VmHWM:", its peak) of this
// process's /proc status in kB (Linux; 0 elsewhere).
func vmRSS(field string) int {
	data, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return kb
		}
	}
	return 0
}

// tokensOfReplaced is the reference for tokens: Python's way, the text rebuilt with
// every emoji replaced by its description, then split and stripped.
func tokensOfReplaced(a *Analyzer, text string) (toks []string, excl, quest int) {
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
	s := b.String()
	for _, tok := range strings.FieldsFunc(s, pyIsSpace) {
		if stripped := strings.Trim(tok, asciiPunctuation); len([]rune(stripped)) > 2 {
			tok = stripped
		}
		toks = append(toks, tok)
	}
	return toks, strings.Count(s, "!"), strings.Count(s, "?")
}

// FuzzTokens: the streaming tokenizer gives the tokens and punctuation counts of the
// rebuilt text, emoji, invalid UTF-8 and odd white space included.
func FuzzTokens(f *testing.F) {
	for _, s := range []string{"", "Good! 😀great", "hi😀there :)", "not\x1cbad\xff!!", "😀", " ?? a😀😀b ", "BUT wait… 👍"} {
		f.Add(s)
	}
	a := Default()
	f.Fuzz(func(t *testing.T, text string) {
		want, we, wq := tokensOfReplaced(a, text)
		var got []string
		ge, gq := a.tokens(text, func(tok string) { got = append(got, tok) })
		if !slices.Equal(got, want) || ge != we || gq != wq {
			t.Fatalf("%q: tokens %q (!%d ?%d), want %q (!%d ?%d)", text, got, ge, gq, want, we, wq)
		}
	})
}
