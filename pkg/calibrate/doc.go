// Package calibrate tunes the tasks' numeric difficulty knobs for one model
// toward a 50% pass rate, from a short pilot of that model's own answers.
//
// The pilot has the model answer a few items at each value of a grid of the
// knob (the word limit of word_limit, the bullet count of bullet_count), a
// monotone curve of pass rate against the value is fitted to the answers
// (isotonic regression, increasing or decreasing, whichever fits better), and
// the range of values whose predicted pass rate is nearest 50% becomes the
// knob's sampling domain (a range, not a point, so the items still vary).
//
// A study wants both labels well represented for every task on every model;
// which limits a model meets depends on the model, so the domains are chosen
// per model. The pilot is cheap by design (by default 8 values x 4 items per
// knob, answered without capturing states) and its answers are kept in a file
// keyed by the model's sha256 and the pilot settings, so a run resumes and a
// rerun reuses it.
//
// Only integer parameters are knobs here. Text parameters (keywords, forbidden
// words, end phrases, polarity, topic) are categorical: their values are not
// ordered by difficulty, so they are left at their domains and listed as such
// (Result.Categorical).
//
// The model is reached through the Answerer interface, so the fit and the
// choice can be checked exactly on an answerer with a known pass-rate curve.
package calibrate
