package tasks

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

func init() {
	register(includeKeyword)
	register(forbiddenWord)
	register(endPhrase)
}

// checkWord accepts a word or short phrase: letters and digits, with single
// spaces, hyphens or apostrophes inside. Such a value means the same as a
// literal string and as IFEval's regular expression.
func checkWord(_, v string) error {
	if v != strings.TrimSpace(v) {
		return errors.New("leading or trailing white space")
	}
	if len(v) > 64 {
		return errors.New("longer than 64 bytes")
	}
	prevSep := true
	for _, r := range v {
		switch {
		case unicode.IsLetter(r) || unicode.IsNumber(r):
			prevSep = false
		case (r == ' ' || r == '-' || r == '\'') && !prevSep:
			prevSep = true
		default:
			return fmt.Errorf("character %q not allowed (letters, digits, and single inner space, hyphen or apostrophe)", r)
		}
	}
	if prevSep {
		return errors.New("ends with a separator")
	}
	return nil
}

var includeKeyword = &Task{
	Name: "include_keyword",
	Kind: Lexical,
	Doc:  "The response contains the keyword.",
	Mode: "IFEval KeywordChecker: re.search(keyword, response, re.IGNORECASE), i.e. a case-insensitive " +
		"substring match (\"art\" is found in \"start\"); keywords are plain words, so the pattern is literal",
	Params: []ParamSpec{{Name: "keyword", Type: String, Doc: "the word that must appear",
		Sample: Domain{Values: []string{"lantern", "harbor", "compass", "velvet", "orchard", "puzzle",
			"thunder", "ladder", "marble", "whistle", "copper", "meadow", "anchor", "feather", "canyon",
			"mirror", "violin", "pepper", "glacier", "balloon"}}}},
	Phrasings: []string{
		"Include the word \"{keyword}\" in your response.",
		"Make sure your answer uses the word \"{keyword}\" at least once.",
		"Somewhere in your reply, mention the word \"{keyword}\".",
		"Your response must contain the keyword \"{keyword}\".",
		"Work the word \"{keyword}\" into your answer.",
	},
	check: checkWord,
	verify: func(response string, p Params) Verdict {
		kw := p.String("keyword")
		if at := findFold(response, kw, nil); at >= 0 {
			return Verdict{true, fmt.Sprintf("contains %q at byte %d: %q", kw, at, snippet(response, at, 40))}
		}
		return Verdict{false, fmt.Sprintf("%q does not occur (case-insensitive)", kw)}
	},
}

var forbiddenWord = &Task{
	Name: "forbidden_word",
	Kind: Lexical,
	Doc:  "The response never uses the forbidden word.",
	Mode: "IFEval ForbiddenWords: re.search(r\"\\b\" + word + r\"\\b\", response, re.IGNORECASE), " +
		"whole-word and case-insensitive, with Python's Unicode word boundaries",
	Params: []ParamSpec{{Name: "word", Type: String, Doc: "the word that must not appear",
		Sample: Domain{Values: []string{"also", "very", "important", "many", "can", "help", "however",
			"example", "different", "because", "people", "time", "good", "use", "make", "best", "like",
			"just", "more", "great"}}}},
	Phrasings: []string{
		"Do not use the word \"{word}\" anywhere in your response.",
		"Avoid the word \"{word}\" entirely.",
		"Your answer must not contain the word \"{word}\".",
		"Never write the word \"{word}\" in your reply.",
		"The word \"{word}\" is forbidden: leave it out.",
	},
	check: checkWord,
	verify: func(response string, p Params) Verdict {
		w := p.String("word")
		at := findFold(response, w, func(s, e int) bool {
			return atWordBoundary(response, s) && atWordBoundary(response, e)
		})
		if at >= 0 {
			return Verdict{false, fmt.Sprintf("uses %q at byte %d: %q", w, at, snippet(response, at, 40))}
		}
		return Verdict{true, fmt.Sprintf("never uses %q", w)}
	},
}

var endPhrase = &Task{
	Name: "end_phrase",
	Kind: Lexical,
	Doc:  "The response ends with the exact phrase, with nothing after it.",
	Mode: "IFEval EndChecker: response.strip().strip('\"').lower().endswith(phrase.strip().lower()); " +
		"trailing white space and double quotes are tolerated, case is not significant",
	Params: []ParamSpec{{Name: "phrase", Type: String, Doc: "the closing phrase",
		Sample: Domain{Values: []string{"Is there anything else I can help with?",
			"Let me know if you have additional questions.", "That is all for now.",
			"Thank you for reading.", "Any other questions?", "Hope this helps.", "Stay curious!",
			"The end."}}}},
	Phrasings: []string{
		"Finish your response with the exact phrase \"{phrase}\". No other words should follow it.",
		"End your answer with \"{phrase}\" and nothing after it.",
		"The last words of your reply must be exactly: {phrase}",
		"Conclude with the phrase \"{phrase}\", word for word, as the very end of your response.",
		"Make \"{phrase}\" the final sentence of your response, with nothing following it.",
	},
	check: func(_, v string) error {
		if strings.ContainsAny(v, "\n\r") {
			return errors.New("contains a line break")
		}
		if len(v) > 200 {
			return errors.New("longer than 200 bytes")
		}
		return nil
	},
	verify: func(response string, p Params) Verdict {
		phrase := p.String("phrase")
		body := strings.ToLower(strings.Trim(pyStrip(response), `"`))
		if strings.HasSuffix(body, strings.ToLower(pyStrip(phrase))) {
			return Verdict{true, fmt.Sprintf("ends with %q", phrase)}
		}
		tail := []rune(pyStrip(response))
		if len(tail) > 40 {
			tail = append([]rune("…"), tail[len(tail)-40:]...)
		}
		return Verdict{false, fmt.Sprintf("ends with %q, not %q", string(tail), phrase)}
	},
}
