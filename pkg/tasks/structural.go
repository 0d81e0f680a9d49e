package tasks

import (
	"encoding/json"
	"fmt"
	"strings"
)

func init() {
	register(wordLimit)
	register(lowercase)
	register(jsonFormat)
	register(bulletCount)
}

var wordLimit = &Task{
	Name: "word_limit",
	Kind: Structural,
	Doc:  "The response has fewer than n words.",
	Mode: "IFEval NumberOfWords, relation \"less than\": count_words(response) < n, " +
		"where words are the runs of \\w (nltk RegexpTokenizer(r\"\\w+\"), Unicode \\w)",
	Params: []ParamSpec{{Name: "n", Type: Int, Doc: "the word limit (exclusive)", Min: 1, Max: 100000,
		Sample: Domain{Min: 20, Max: 120}}},
	Phrasings: []string{
		"Answer in fewer than {n} words.",
		"Keep your response under {n} words.",
		"Your entire reply must be shorter than {n} words.",
		"Use less than {n} words in total.",
		"Limit your reply to fewer than {n} words.",
	},
	verify: func(response string, p Params) Verdict {
		n, limit := CountWords(response), p.Int("n")
		if n < limit {
			return Verdict{true, fmt.Sprintf("%d words, fewer than %d", n, limit)}
		}
		return Verdict{false, fmt.Sprintf("%d words, not fewer than %d", n, limit)}
	},
}

var lowercase = &Task{
	Name: "lowercase",
	Kind: Structural,
	Doc:  "The response contains no capital letters at all (and at least one letter).",
	Mode: "IFEval LowercaseLettersEnglishChecker without its language check: Python str.islower() " +
		"(no upper- or title-case character under Unicode, at least one cased character)",
	Phrasings: []string{
		"Write your entire response in lowercase letters; no capital letters are allowed.",
		"Do not use any capital letters anywhere in your answer.",
		"Your whole reply must be in all lowercase, including the first word of every sentence.",
		"Respond using only lowercase letters.",
		"no capitals: type everything in lower case.",
	},
	verify: func(response string, _ Params) Verdict {
		ok, bad, at := pyIsLower(response)
		switch {
		case ok:
			return Verdict{true, "no capital letters"}
		case at >= 0:
			return Verdict{false, fmt.Sprintf("capital %q at byte %d: %q", bad, at, snippet(response, at, 30))}
		default:
			return Verdict{false, "no letters at all: nothing is lowercase"}
		}
	},
}

var jsonFormat = &Task{
	Name: "json_format",
	Kind: Structural,
	Doc:  "The whole response is valid JSON (a markdown code fence around it is tolerated).",
	Mode: "IFEval JsonFormat.check_following (the strict-mode check, which itself tolerates a fence): " +
		"strip white space, then a leading ```json/```Json/```JSON or ``` and a trailing ```, " +
		"strip again, and parse. Parsing is RFC 8259 (Go encoding/json): unlike Python's json.loads, " +
		"the non-standard literals NaN and Infinity are rejected",
	Phrasings: []string{
		"Format your entire output as valid JSON.",
		"Your whole response must be a single JSON value; you may wrap it in a ```json code block.",
		"Reply only with JSON: no text before or after it.",
		"Wrap the entire answer in JSON format.",
		"Return your answer as a JSON object and nothing else.",
	},
	verify: func(response string, _ Params) Verdict {
		body := jsonBody(response)
		if body == "" {
			return Verdict{false, "empty output after removing white space and code fences"}
		}
		// RawMessage checks the syntax only: numbers such as 1e400, which
		// Python reads as inf, are valid JSON and must not fail a float64 decode.
		var raw json.RawMessage
		if err := json.Unmarshal([]byte(body), &raw); err != nil {
			return Verdict{false, "not valid JSON: " + err.Error()}
		}
		return Verdict{true, fmt.Sprintf("valid JSON (%s)", jsonKind(body[0]))}
	},
}

// jsonBody applies IFEval's fence removal: Python's
// value.strip().removeprefix("```json").removeprefix("```Json")
// .removeprefix("```JSON").removeprefix("```").removesuffix("```").strip().
func jsonBody(s string) string {
	s = pyStrip(s)
	for _, pre := range []string{"```json", "```Json", "```JSON", "```"} {
		s = strings.TrimPrefix(s, pre)
	}
	return pyStrip(strings.TrimSuffix(s, "```"))
}

// jsonKind names the JSON value that starts with byte c (body is valid JSON
// with no leading white space).
func jsonKind(c byte) string {
	switch c {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

var bulletCount = &Task{
	Name: "bullet_count",
	Kind: Structural,
	Doc:  "The response has exactly n markdown bullet points.",
	Mode: "IFEval BulletListChecker: lines matching ^\\s*\\*[^\\*].*$ plus lines matching ^\\s*-.*$ " +
		"(re.MULTILINE, Python \\s); numbered items do not count, a \"---\" line does",
	Params: []ParamSpec{{Name: "n", Type: Int, Doc: "the exact number of bullets", Min: 0, Max: 1000,
		Sample: Domain{Min: 2, Max: 7}}},
	Phrasings: []string{
		"Your answer must contain exactly {n} bullet points, using markdown bullets such as \"* item\".",
		"Format the response as a list of exactly {n} markdown bullet points.",
		"Use exactly {n} bullet points (lines starting with \"- \" or \"* \") in your reply.",
		"Structure your answer as {n} bullet points: no more, no fewer.",
		"Include precisely {n} markdown bullets.",
	},
	verify: func(response string, p Params) Verdict {
		got, want := CountBullets(response), p.Int("n")
		if got == want {
			return Verdict{true, fmt.Sprintf("%d bullets, as asked", got)}
		}
		return Verdict{false, fmt.Sprintf("%d bullets, want exactly %d", got, want)}
	},
}
