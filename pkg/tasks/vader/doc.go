// Package vader scores the sentiment of English text with VADER, a faithful Go
// port of vaderSentiment 3.3.2 (C.J. Hutto, MIT licence; lexicons embedded from
// that package, see data/LICENSE.txt).
//
// VADER (Hutto & Gilbert, "VADER: A Parsimonious Rule-based Model for Sentiment
// Analysis of Social Media Text", ICWSM 2014) sums human-rated word valences and
// adjusts them with rules: negation ("not good"), degree boosters and dampeners
// ("very", "kind of"), ALL-CAPS emphasis, "but" shifting weight to the clause
// after it, "least", special idioms, exclamation and question marks, emoticons
// and emoji (replaced by their descriptions).
//
// # Usage
//
//	s := vader.Default().PolarityScores("The book was good, but the ending was awful!")
//	// s.Compound in [-1, 1]; >= 0.05 positive, <= -0.05 negative by VADER's convention.
//
// # Invariants
//
//   - Same text, same scores: the port reproduces the Python package's
//     polarity_scores on all 23,728 texts of the reference fixture (its
//     quirks included, such as list.index in the "but" rule), within Python's
//     rounding (1e-4 for compound). Unlike Python, scores are not rounded.
//   - The zero Analyzer is not usable; Default is safe for concurrent use.
//
// # Accuracy
//
// On the human-rated snippets that ship with the vaderSentiment source
// distribution (tweets, movie reviews, Amazon reviews, NYT editorials; each
// snippet rated by about 20 people), restricted to snippets whose mean rating
// is clearly non-neutral (|rating| >= 1), the sign of compound with VADER's
// +/-0.05 cut-off (a compound inside (-0.05, 0.05) counts as an error) agrees
// with the sign of the human rating as follows (95% Wilson intervals):
//
//	source               n      accuracy  95% CI
//	all                  15849  0.672     0.665-0.679
//	tweets               2667   0.977     0.971-0.982
//	movie reviews        9173   0.586     0.576-0.596
//	Amazon reviews       2455   0.666     0.647-0.684
//	NYT editorials       1554   0.667     0.643-0.690
//
// VADER is strong on explicit, social-media style sentiment and weak on
// subtle, sarcastic or domain-specific film criticism; responses that an
// instruction asks to be clearly positive or negative are closer to the former.
// TestAccuracy recomputes these numbers from testdata/ and fails if they drop.
// Regenerate the fixture with scripts/fixtures/tasks/vader.sh.
package vader
