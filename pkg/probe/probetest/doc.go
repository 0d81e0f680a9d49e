// Package probetest checks that an estimator of ifprobe (a probe or an eraser)
// behaves like one: the estimator checks of scikit-learn's check_estimator, in Go,
// plus synthetic data with planted directions for tests.
//
// Check runs, as subtests: fitting twice gives the same model; inputs are not
// modified; the same seed gives the same model; outputs on a batch equal outputs
// row by row; NaN features are rejected with a message naming NaN; a wrong number
// of features at prediction time is an error; Save then Load gives the same
// outputs.
//
// Use it from a test of any estimator by adapting its parameters to Estimator
// and its fitted form to Model:
//
//	probetest.Check(t, func(seed uint64) probetest.Estimator {
//		p := probe.DefaultParams()
//		p.Seed = seed
//		return myAdapter{p}
//	}, loadAdapter)
//
// Planted makes data with a known answer (a planted direction) for tests of
// probes and erasers.
package probetest
