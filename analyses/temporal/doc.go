// Package temporal is the fifth finding, temporal monitoring: is "the response will
// satisfy the instruction" decodable before the model writes (planning), or does it
// become decodable while it writes (monitoring)?
//
// The paper reports that decodability is weak at the end of the prompt and grows
// during generation, peaking near the end of the response. For every task, Run reads
// the probe AUROC at each position of the grid in generation order — prompt_last,
// response_first, frac:{f} (fraction f of the response), eos — at one layer per task
// (its best layer over all positions, unless Config.Layer is set), and computes the
// rise Δ = AUROC(late) − AUROC(prompt_last) with a paired cluster bootstrap over base
// requests, where late is eos (or the last fraction when eos is absent). A task is
// "monitoring" when the CI of Δ lies above zero, "planning" when the prompt_last
// AUROC's CI lies above 0.5 and Δ's does not lie above zero, and "neither" otherwise.
package temporal
