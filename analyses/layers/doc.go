// Package layers is the fourth finding, layer stratification: at which depth does
// each task's "will the response satisfy the instruction" become linearly decodable?
//
// The paper reports that structural constraints (length, case, format) become
// decodable in early layers and semantic ones (tone, topic) later. For every task,
// Run reads the probe AUROC at each layer (from a probeset.Grid), finds the onset layer
// (the first layer whose AUROC reaches Threshold) and the peak layer, each with a 95%
// cluster-bootstrap interval over base requests, and tests the ordering with the
// bootstrap of the difference in mean normalised onset between semantic and
// structural tasks (positive: semantic later, as the paper claims). Depth is
// normalised, (layer+1)/num_layers, so models of different depth compare.
package layers
