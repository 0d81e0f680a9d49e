// Package planted draws synthetic probing data with known structure: Gaussian
// "hidden states" in which each task's label is planted along chosen directions,
// at chosen layers and positions. A Study is a probeset.Source, so every finding
// can be tested on data whose answer is known: a broken analysis fails a test
// instead of printing a plausible number.
//
// PaperConfig is the planted study of the notebooks and of pipeline.Planted: the
// nine tasks with the paper's five findings built in, so a reader sees what each
// figure looks like when its claim is true. Wrapped in probeset.PermuteLabels it
// is the negative control on which no finding may hold.
package planted
