package tasks

import (
	"fmt"
	"strings"

	"github.com/ifprobe/ifprobe/pkg/tasks/topic"
	"github.com/ifprobe/ifprobe/pkg/tasks/vader"
)

func init() {
	register(sentiment)
	register(topicTask)
}

// SentimentCutoff is the VADER compound score a response must reach (+) or go
// below (-) to count as clearly positive or negative: VADER's own recommended
// cut-off between neutral and polar text.
const SentimentCutoff = 0.05

// TopicMinHits is how many words of the asked topic's vocabulary a response
// must use, besides the topic scoring best.
const TopicMinHits = 2

var sentiment = &Task{
	Name: "sentiment",
	Kind: Semantic,
	Doc:  "The response is clearly positive, or clearly negative, in tone, as asked.",
	Mode: fmt.Sprintf("VADER 3.3.2 compound score of the whole response (pkg/tasks/vader): "+
		">= +%.2f for positive, <= -%.2f for negative", SentimentCutoff, SentimentCutoff),
	Params: []ParamSpec{{Name: "polarity", Type: String, Doc: "the tone asked for",
		Choices: []string{"positive", "negative"},
		Sample:  Domain{Values: []string{"positive", "negative"}}}},
	Phrasings: []string{
		"Write your response in a clearly {polarity} tone.",
		"Make the overall sentiment of your answer {polarity}.",
		"Your reply should sound unmistakably {polarity}.",
		"Adopt a {polarity} attitude throughout your response.",
		"Keep the tone of your whole answer {polarity}.",
	},
	verify: func(response string, p Params) Verdict {
		c := vader.Default().PolarityScores(response).Compound
		want := p.String("polarity")
		ok := (want == "positive" && c >= SentimentCutoff) || (want == "negative" && c <= -SentimentCutoff)
		got := "neutral"
		switch {
		case c >= SentimentCutoff:
			got = "positive"
		case c <= -SentimentCutoff:
			got = "negative"
		}
		return Verdict{ok, fmt.Sprintf("VADER compound %+.4f (%s), asked %s", c, got, want)}
	},
}

var topicTask = &Task{
	Name: "topic",
	Kind: Semantic,
	Doc:  "The response stays on the given topic.",
	Mode: fmt.Sprintf("WordNet topic lexicon classifier (pkg/tasks/topic): the asked topic scores best "+
		"of the %d topics and at least %d of the response's words belong to it", len(topic.Default().Topics()), TopicMinHits),
	Params: []ParamSpec{{Name: "topic", Type: String, Doc: "the subject the response must keep to",
		Choices: topic.Default().Topics(),
		Sample:  Domain{Values: topic.Default().Topics()}}},
	Phrasings: []string{
		"Make your response entirely about {topic}.",
		"Keep your answer focused on the topic of {topic}; do not drift to other subjects.",
		"Relate everything you write to {topic}.",
		"Your reply must stay on the subject of {topic} throughout.",
		"Frame your whole answer around {topic}.",
	},
	render: func(_ string, v any) string { return topicPhrases[v.(string)] },
	verify: func(response string, p Params) Verdict {
		want := p.String("topic")
		r := topic.Default().Classify(response)
		best, ws := r.Best(), r.Of(want)
		ok := best == want && ws.Hits >= TopicMinHits
		var top []string
		for _, s := range r.Scores[:3] {
			top = append(top, fmt.Sprintf("%s %.2f/%d", s.Topic, s.Score, s.Hits))
		}
		if best == "" {
			best = "none"
		}
		return Verdict{ok, fmt.Sprintf("best topic %s, asked %s (%d hits); top: %s", best, want, ws.Hits,
			strings.Join(top, ", "))}
	},
}

// topicPhrases says each topic the way an instruction would.
var topicPhrases = map[string]string{
	"animals": "animals", "art": "art", "computers": "computers", "education": "education",
	"food": "food and cooking", "law": "law", "literature": "literature", "medicine": "medicine",
	"politics": "politics", "science": "science", "sports": "sports",
}
