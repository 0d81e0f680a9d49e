package probe

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/ifprobe/ifprobe/internal/limitread"

	"github.com/ifprobe/ifprobe/pkg/stats"
	"gonum.org/v1/gonum/mat"
)

// Solvers selectable with Params.Solver.
const (
	// SolverAuto (the default, also "") picks SolverNewtonKernel for fits on few
	// rows and many features (training rows at most a quarter of the features:
	// text baselines, small studies) and SolverLBFGS otherwise.
	SolverAuto = "auto"
	// SolverLBFGS is a batched L-BFGS in float64 on the CPU (AVX2 + FMA kernels,
	// or gonum's), preconditioned by the Böhning curvature bound XᵀX/4 + λI.
	SolverLBFGS = "lbfgs"
	// SolverNewtonKernel is Newton's method on the representer coefficients
	// (v = Π⁻¹Xᵀβ over the training rows): one m×m Gram matrix per fold, then
	// about ten (m+1)-square solves, whatever d.
	SolverNewtonKernel = "newton-kernel"
	// SolverNewtonGoMLX runs batched Newton steps whose gradients and Hessians
	// ([B, d+1, d+1]) are GoMLX graph operations on the backend named by
	// Params.Backend (pkg/compute), with the Cholesky solves in gonum.
	SolverNewtonGoMLX = "newton-gomlx"
)

// Defaults used for zero fields of Params.
const (
	DefaultC       = 1.0
	DefaultMaxIter = 1000
	DefaultTol     = 1e-4
)

// Params are the hyperparameters of a logistic-regression probe. Copy the struct to
// clone an estimator; Fit never changes it. Zero fields take the documented defaults.
type Params struct {
	// C is the inverse L2 regularisation strength, as in scikit-learn: the objective
	// is C·Σ log-loss + ½‖w‖² with the bias unpenalised. 0 means DefaultC.
	C float64 `json:"c"`
	// MaxIter bounds the solver iterations per fit. 0 means DefaultMaxIter.
	MaxIter int `json:"max_iter"`
	// Tol stops a fit when the largest gradient component of the objective divided
	// by C·n (the mean log-loss plus penalty/(C·n), scikit-learn's scaling) in
	// standardised units is at most Tol. 0 means DefaultTol (scikit-learn's 1e-4).
	Tol float64 `json:"tol"`
	// Standardize scales features to zero mean and unit variance (population
	// variance, like StandardScaler) computed on the training data only; the
	// standardiser is part of the fitted probe. The zero value (false) fits on raw
	// features; DefaultParams turns it on, as probes of activations should.
	Standardize bool `json:"standardize"`
	// Seed drives every random choice made around the fit: fold assignment, control
	// labels and bootstrap resamples. The fit itself is deterministic.
	Seed uint64 `json:"seed"`
	// Solver is SolverAuto (also ""), SolverLBFGS, SolverNewtonKernel or
	// SolverNewtonGoMLX. All reach the same optimum to Tol.
	Solver string `json:"solver,omitempty"`
	// Backend is the pkg/compute backend for SolverNewtonGoMLX ("go", "xla:cuda"...);
	// "" means compute.Default().
	Backend string `json:"backend,omitempty"`
}

// DefaultParams returns the parameters ifprobe uses for probes: C = 1, standardised
// features, seed 0.
func DefaultParams() Params { return Params{C: DefaultC, Standardize: true} }

func (p Params) withDefaults() (Params, error) {
	if p.C == 0 {
		p.C = DefaultC
	}
	if p.MaxIter == 0 {
		p.MaxIter = DefaultMaxIter
	}
	if p.Tol == 0 {
		p.Tol = DefaultTol
	}
	if !(p.C > 0) || math.IsInf(p.C, 0) || p.MaxIter < 0 || !(p.Tol > 0) {
		return p, fmt.Errorf("probe: params C=%v MaxIter=%d Tol=%v: want C > 0, MaxIter >= 0, Tol > 0", p.C, p.MaxIter, p.Tol)
	}
	switch p.Solver {
	case "", SolverAuto, SolverLBFGS, SolverNewtonKernel, SolverNewtonGoMLX:
	default:
		return p, fmt.Errorf("probe: unknown solver %q (want %q, %q, %q or %q)", p.Solver, SolverAuto, SolverLBFGS, SolverNewtonKernel, SolverNewtonGoMLX)
	}
	return p, nil
}

// ErrInput is wrapped by errors about invalid data passed to Fit, Predict and
// friends: NaN or infinite features, labels other than 0/1, mismatched lengths.
var ErrInput = errors.New("probe: invalid input")

// ConvergenceError reports fits that stopped before the gradient criterion was met.
// It is returned together with usable probes (the last iterate).
type ConvergenceError struct {
	Fits     int     // how many fits did not converge
	Iter     int     // iterations of the worst fit
	GradNorm float64 // its final ‖∇f‖∞
	Tol      float64
}

func (e *ConvergenceError) Error() string {
	return fmt.Sprintf("probe: %d fit(s) did not converge: ‖∇f‖∞ = %.3g > tol %.3g after %d iterations (raise MaxIter or lower C)",
		e.Fits, e.GradNorm, e.Tol, e.Iter)
}

// Probe is a fitted logistic-regression probe: a standardiser and a linear model in
// standardised units. P(y=1|x) = σ(((x − Mean)/Scale)·W + B).
type Probe struct {
	Params    Params    `json:"params"`
	Mean      []float64 `json:"mean"`  // per-feature training mean (zeros without Standardize)
	Scale     []float64 `json:"scale"` // per-feature training std, 1 for constant features (ones without Standardize)
	W         []float64 `json:"coef_standardized"`
	B         float64   `json:"intercept_standardized"`
	NIter     int       `json:"n_iter"`
	Converged bool      `json:"converged"`
	GradNorm  float64   `json:"grad_norm"`
}

// Dim is the number of features the probe reads.
func (pr *Probe) Dim() int { return len(pr.W) }

// Coef returns the weights in the original feature space: W_j / Scale_j.
func (pr *Probe) Coef() []float64 {
	out := make([]float64, len(pr.W))
	for j, w := range pr.W {
		out[j] = w / pr.Scale[j]
	}
	return out
}

// Intercept returns the bias in the original feature space: B − Σ_j W_j Mean_j / Scale_j.
func (pr *Probe) Intercept() float64 {
	b := pr.B
	for j, w := range pr.W {
		b -= w * pr.Mean[j] / pr.Scale[j]
	}
	return b
}

// Direction returns the unit vector of Coef: the probe's direction in activation
// space (what erasure and steering act on).
func (pr *Probe) Direction() []float64 {
	c := pr.Coef()
	var n float64
	for _, v := range c {
		n += v * v
	}
	n = math.Sqrt(n)
	if n > 0 {
		for j := range c {
			c[j] /= n
		}
	}
	return c
}

// DecisionFunction returns the logit of P(y=1) for every row of X.
func (pr *Probe) DecisionFunction(X mat.Matrix) ([]float64, error) {
	n, d := X.Dims()
	if d != len(pr.W) {
		return nil, fmt.Errorf("probe: X has %d features, the probe was fitted on %d: %w", d, len(pr.W), ErrInput)
	}
	if err := checkFinite(X); err != nil {
		return nil, err
	}
	coef, b := pr.Coef(), pr.Intercept()
	out := make([]float64, n)
	row := make([]float64, d)
	for i := 0; i < n; i++ {
		mat.Row(row, i, X)
		out[i] = dot(row, coef) + b
	}
	return out, nil
}

// PredictProba returns P(y=1|x) for every row of X (the column of class 1; the
// probability of class 0 is one minus it).
func (pr *Probe) PredictProba(X mat.Matrix) ([]float64, error) {
	z, err := pr.DecisionFunction(X)
	for i := range z {
		z[i] = sigmoid(z[i])
	}
	return z, err
}

// Predict returns the class (0 or 1) of every row: 1 where the logit is positive.
func (pr *Probe) Predict(X mat.Matrix) ([]int, error) {
	z, err := pr.DecisionFunction(X)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(z))
	for i, v := range z {
		if v > 0 {
			out[i] = 1
		}
	}
	return out, nil
}

// MetricAccuracy names the metric Score returns.
const MetricAccuracy = "accuracy"

// Score returns the accuracy (MetricAccuracy) of Predict(X) against y.
func (pr *Probe) Score(X mat.Matrix, y []int) (float64, error) {
	pred, err := pr.Predict(X)
	if err != nil {
		return 0, err
	}
	if err := checkLabels(y, len(pred), false); err != nil {
		return 0, err
	}
	return stats.Accuracy(pred, y)
}

// AUROC returns the area under the ROC curve of DecisionFunction(X) against y.
func (pr *Probe) AUROC(X mat.Matrix, y []int) (float64, error) {
	z, err := pr.DecisionFunction(X)
	if err != nil {
		return 0, err
	}
	if err := checkLabels(y, len(z), true); err != nil {
		return 0, err
	}
	return stats.AUROC(z, y)
}

// FormatVersion stamps saved probes; Load rejects other versions.
const FormatVersion = "ifprobe.probe/v1"

type savedProbe struct {
	Format string `json:"format"`
	*Probe
}

// Save writes the probe as JSON stamped with FormatVersion.
func (pr *Probe) Save(w io.Writer) error {
	enc := json.NewEncoder(w)
	if err := enc.Encode(savedProbe{Format: FormatVersion, Probe: pr}); err != nil {
		return fmt.Errorf("probe: save: %w", err)
	}
	return nil
}

// maxSavedBytes bounds what Load reads: a d = 100k probe is about 6 MB of JSON.
const maxSavedBytes = 64 << 20

// Load reads a probe written by Save, checking the format version and that all
// vectors have the same length and finite values.
func Load(r io.Reader) (*Probe, error) {
	data, err := limitread.All(r, maxSavedBytes)
	if err != nil {
		return nil, fmt.Errorf("probe: load: %w", err)
	}
	s := savedProbe{Probe: &Probe{}}
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("probe: load: %w", err)
	}
	if s.Format != FormatVersion {
		return nil, fmt.Errorf("probe: load: format %q, want %q", s.Format, FormatVersion)
	}
	pr := s.Probe
	d := len(pr.W)
	if d == 0 || len(pr.Mean) != d || len(pr.Scale) != d {
		return nil, fmt.Errorf("probe: load: field lengths coef %d, mean %d, scale %d: want equal and > 0", d, len(pr.Mean), len(pr.Scale))
	}
	for j := 0; j < d; j++ {
		if !finite(pr.W[j]) || !finite(pr.Mean[j]) || !(pr.Scale[j] > 0) || math.IsInf(pr.Scale[j], 0) {
			return nil, fmt.Errorf("probe: load: feature %d: coef %v, mean %v, scale %v: want finite and scale > 0", j, pr.W[j], pr.Mean[j], pr.Scale[j])
		}
	}
	if !finite(pr.B) {
		return nil, fmt.Errorf("probe: load: intercept %v", pr.B)
	}
	return pr, nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// checkFinite rejects NaN and infinite features, naming the first bad element.
func checkFinite(X mat.Matrix) error {
	if rm, ok := X.(mat.RawMatrixer); ok {
		raw := rm.RawMatrix()
		for i := 0; i < raw.Rows; i++ {
			for j, v := range raw.Data[i*raw.Stride : i*raw.Stride+raw.Cols] {
				if !finite(v) {
					return fmt.Errorf("probe: X[%d,%d] is %v (NaN or infinite features are not allowed): %w", i, j, v, ErrInput)
				}
			}
		}
		return nil
	}
	n, d := X.Dims()
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			if v := X.At(i, j); !finite(v) {
				return fmt.Errorf("probe: X[%d,%d] is %v (NaN or infinite features are not allowed): %w", i, j, v, ErrInput)
			}
		}
	}
	return nil
}

// checkLabels checks that y has n entries in {0,1} and, if both, that both occur.
func checkLabels(y []int, n int, both bool) error {
	if err := stats.CheckBinaryLabels(y, n, both); err != nil {
		return fmt.Errorf("probe: %w: %w", err, ErrInput)
	}
	return nil
}
