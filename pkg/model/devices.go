package model

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// Data-parallel generation: a model placed on several devices of its backend
// holds one copy of its weights per device and answers a GenerateStream call's
// prompts on all of them at once, each device running its own continuous batch.

// errHalted ends a device's generation when another device of the same call
// failed; the caller gets that device's error.
var errHalted = errors.New("model: generation halted by another device's error")

// OnDevices returns the model placed on devices 0..n-1 of its backend: the
// weights are copied from device 0 to each other device (device to device, no
// host copy), and the compiled graphs are shared, since a graph compiled without
// a device assignment runs on any device. GenerateStream then spreads its
// prompts over the devices; Forward and everything else run on device 0.
//
// n must be in [1, Backend().NumDevices()]; 1 returns m itself. m must be on one
// device (as New and the loaders return it).
func (m *Model) OnDevices(n int) (out *Model, err error) {
	defer recoverTo(&err)
	avail := m.backend.NumDevices()
	switch {
	case m.replicas != nil || m.device != 0:
		return nil, fmt.Errorf("%w: OnDevices(%d): the model is already placed on %d devices", ErrBadInput, n, m.Devices())
	case n < 1 || n > avail:
		return nil, fmt.Errorf("%w: OnDevices(%d): the backend %s has %d device(s)", ErrBadInput, n, m.backend.Name(), avail)
	case n == 1:
		return m, nil
	}
	first := m.onDevice(0, m.weights)
	first.replicas = []*Model{first}
	for d := 1; d < n; d++ {
		w, err := m.copyWeights(backends.DeviceNum(d))
		if err != nil {
			first.Free()
			return nil, err
		}
		first.replicas = append(first.replicas, m.onDevice(backends.DeviceNum(d), w))
	}
	return first, nil
}

// onDevice is m on device d with weights w: the same config, layout and compiled
// graphs.
func (m *Model) onDevice(d backends.DeviceNum, w []*tensors.Tensor) *Model {
	r := *m
	r.device, r.weights, r.replicas = d, w, nil
	return &r
}

// copyWeights copies m's weights to device d.
func (m *Model) copyWeights(d backends.DeviceNum) ([]*tensors.Tensor, error) {
	out := make([]*tensors.Tensor, len(m.weights))
	for i, t := range m.weights {
		buf, err := t.Buffer(m.backend, m.device)
		if err == nil {
			buf, err = m.backend.BufferCopyToDevice(buf, d)
		}
		if err == nil {
			out[i], err = tensors.FromBuffer(m.backend, buf)
		}
		if err != nil {
			for _, c := range out[:i] {
				c.FinalizeAll()
			}
			return nil, fmt.Errorf("model: weight %q to device %d: %w", m.lay.specs[i].Name, d, err)
		}
	}
	return out, nil
}

// Free releases the weights OnDevices copied to devices 1 and up (device 0's are
// m's own, shared with the model OnDevices was called on). m must not be used
// for generation afterwards.
func (m *Model) Free() {
	for _, r := range m.replicas[min(1, len(m.replicas)):] {
		for _, t := range r.weights {
			t.FinalizeAll()
		}
		r.weights = nil
	}
}

// Devices is the number of devices the model generates on.
func (m *Model) Devices() int { return max(1, len(m.replicas)) }

// generateOnDevices is GenerateStream on several devices. Prompt i goes to device
// i mod n (prompt plans are ordered by task, so interleaving gives every device a
// like mix of prompt and response lengths, and a caller that reorders results by
// index holds few of them at a time); each device runs the continuous batching of
// one device over its prompts with opts.Batch rows at most. Row results do not
// depend on the other rows of a batch (to float rounding, as within one device),
// and each prompt keeps its own index for interventions (Intervention.At) and its
// sampling seed, so every prompt's response is the one device's. done, OnToken
// and the tests' onLogits are called one at a time, as on one device.
func (m *Model) generateOnDevices(prompts [][]int, opts GenerateOptions, done func(int, Sequence) error) (*GenerateStats, error) {
	n := min(len(m.replicas), len(prompts))
	var mu sync.Mutex
	var halt atomic.Bool
	serial := func(i int, s Sequence) error {
		mu.Lock()
		defer mu.Unlock()
		if halt.Load() {
			return errHalted
		}
		return done(i, s)
	}
	if f := opts.OnToken; f != nil {
		opts.OnToken = func(i, step, tok int) { mu.Lock(); defer mu.Unlock(); f(i, step, tok) }
	}
	if f := opts.onLogits; f != nil {
		opts.onLogits = func(i, step int, l []float32) { mu.Lock(); defer mu.Unlock(); f(i, step, l) }
	}
	gens := make([]*generator, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for d := range n {
		var order []int
		for i := d; i < len(prompts); i += n {
			order = append(order, i)
		}
		o := opts
		o.Batch = min(opts.Batch, len(order))
		g := m.replicas[d].newGenerator(prompts, order, o, serial)
		g.halt, gens[d] = &halt, g
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[d] = g.runRecovered(); errs[d] != nil {
				halt.Store(true)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, errHalted) {
			return nil, err
		}
	}
	return mergeStats(gens), nil
}

// runRecovered runs g, releases its cache, and returns a panic as an error (it
// runs in a goroutine of its own).
func (g *generator) runRecovered() (err error) {
	defer recoverTo(&err)
	defer g.release()
	return g.run()
}

// mergeStats sums the devices' counts; Batch is the largest device's batch, and
// Prefill and Decode are the longest device's, since the devices ran at once.
func mergeStats(gens []*generator) *GenerateStats {
	out := &GenerateStats{Devices: len(gens)}
	for _, g := range gens {
		s := g.stats
		out.PromptTokens += s.PromptTokens
		out.SharedPrefix = s.SharedPrefix // every device shares the same prefix
		out.GeneratedTokens += s.GeneratedTokens
		out.Steps += s.Steps
		out.RowSteps += s.RowSteps
		out.Batch = max(out.Batch, s.Batch)
		out.Prefill = max(out.Prefill, s.Prefill)
		out.Decode = max(out.Decode, s.Decode)
	}
	return out
}
