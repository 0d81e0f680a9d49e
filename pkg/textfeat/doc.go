// Package textfeat turns what a model has seen into features for baseline
// probes: a probe that reads these instead of the model's states tells how much
// of a probe's score the text alone, or the instruction alone, gives away.
//
// Text features (Config.Vector) describe the text a state has seen at its
// position: the prompt's and the response prefix's token ids as hashed bags (log
// counts), the last tokens read, the surface features the verifiers use (words,
// bullets, capitals and lower case, JSON validity, lines, the VADER score), the
// task parameters' words in the text (keyword, forbidden word, end phrase, topic
// words) and ratios to numeric parameters, and the task's own verifier run on the
// text so far. At the end of a response that verifier is the label for the
// structural and lexical tasks: a text baseline then reads their success off the
// text exactly, which is what it exists to reveal.
//
// Instruction features (Instruction) describe the instruction alone: each
// numeric parameter (value and log), each text parameter one-hot, and the
// phrasing one-hot, the same at every position.
//
// The package holds no model code: token ids and decoded text come from the
// caller (dataset.jsonl stores both).
package textfeat
