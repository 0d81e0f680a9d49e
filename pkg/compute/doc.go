// Package compute chooses and opens the GoMLX backend that every ifprobe graph
// (models, probes) runs on.
//
// The order is: an explicit choice (a flag, or $IFPROBE_BACKEND), else XLA on a GPU
// when a CUDA PJRT plugin is installed, else XLA on the CPU when a CPU PJRT plugin is
// installed, else SimpleGo, GoMLX's pure-Go backend. Nothing is ever downloaded at
// run time: GOMLX_NO_AUTO_INSTALL is always set.
package compute
