package probeset

// BaselineKind names what a baseline probe reads instead of the model's states.
// Every probe score is read against its baselines: a probe that beats a probe on
// the text seen at that position has found something the text alone does not
// give away.
type BaselineKind string

// Baseline kinds.
const (
	// TextBaseline reads features of the text the model has seen at the
	// position: a bag of token ids and the surface features the verifiers use.
	TextBaseline BaselineKind = "text"
	// InstructionBaseline reads the instruction alone: the task's parameters and
	// phrasing (the same features at every position).
	InstructionBaseline BaselineKind = "instruction"
)

// BaselineKinds lists the kinds in report order.
var BaselineKinds = []BaselineKind{TextBaseline, InstructionBaseline}
