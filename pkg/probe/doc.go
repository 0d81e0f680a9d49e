// Package probe trains and evaluates linear probes: L2-regularised logistic
// regression that reads a binary property (will the response satisfy the
// instruction?) from activations, with grouped cross-validation, bootstrap
// intervals, control tasks and specialist-versus-general comparisons.
//
// # Estimator
//
// Params holds hyperparameters and Fit returns a separate fitted *Probe, as in
// scikit-learn (copy Params to clone; a Probe can never be "unfitted"):
//
//	p := probe.DefaultParams()          // C = 1, standardised features
//	pr, err := p.Fit(X, y)              // X: [n, d] activations, y: 0/1 labels
//	acc, _ := pr.Score(Xtest, ytest)    // accuracy (MetricAccuracy)
//	auc, _ := pr.AUROC(Xtest, ytest)
//	w, b := pr.Coef(), pr.Intercept()   // in the original feature space
//
// The objective is scikit-learn's: C·Σᵢ log-loss + ½‖w‖² with an unpenalised bias,
// on features standardised with the training rows' mean and population std (the
// standardiser is stored in the probe). Probes agree with StandardScaler +
// LogisticRegression to about 1e-7 in their coefficients (see sklearn_test.go).
// Save and Load write and read JSON stamped with FormatVersion.
//
// # Solvers
//
// SolverAuto (the default) chooses between the two CPU solvers by the shape of the
// fit: SolverNewtonKernel when the training rows are at most a tenth of the
// features, SolverLBFGS otherwise.
//
// SolverLBFGS is a batched L-BFGS in float64 whose inner loops run
// on AVX2 + FMA assembly kernels where the CPU has them (gonum's otherwise;
// KernelName says which). All fits that share a design — the folds of a
// cross-validation, the C grid of its inner CV, the control task — run as one
// batch: each fold's own standardisation is folded into a per-feature penalty and
// a bias shift on one globally standardised matrix, so a round over B fits reads
// X once. Its initial inverse Hessian is M⁻¹, M = XᵀX/(4m) + λI (Böhning's bound
// on the logistic curvature, X on m ≤ 2d evenly spread rows), applied through a
// Cholesky factor: it takes out the feature correlations of activations and cuts
// iterations about tenfold (15 instead of scikit-learn's 150-180 on the
// benchmark problems).
//
// SolverNewtonGoMLX computes the gradients and Hessians of the batch ([B, n, d]
// intermediates) as a GoMLX graph on the pkg/compute backend and solves the
// Newton systems with gonum. It converges in a handful of iterations and is meant
// for accelerators (XLA); on SimpleGo its O(n d²) Hessians cost about 100 times
// the CPU time of SolverLBFGS at d = 576, which is why SolverAuto never picks it.
// BENCHMARKS.md ("Probes") has the numbers and the commands.
//
// SolverNewtonKernel is for few rows and many features (the text baseline's 2,600
// features over 30-200 rows a task; activation probes of a small study). With an
// L2 penalty the optimum lies in the span of the training rows, v = Π⁻¹Xᵀβ, so
// the fit is an m-dimensional problem over the m×m Gram matrix K = XΠ⁻¹Xᵀ, one
// per fold (shared with the fold's control task). Newton's method converges there
// in about ten (m+1)-square solves, where L-BFGS needs 100-500 iterations on such
// near-separable data: the curvature at the optimum is far below the Böhning
// bound of its preconditioner. Its stopping rule is the same, on the exact primal
// gradient Xᵀ(r + λβ).
//
// A fit stops when the largest component of the gradient of the mean objective
// is at most Tol (scikit-learn's lbfgs criterion) or f stops decreasing in
// relative terms (scipy's ftol). Fits stopped by MaxIter return the last iterate
// with a *ConvergenceError.
//
// # Evaluation
//
// CVParams.Evaluate and EvaluateMany (many datasets, in parallel: the tasks ×
// layers × positions of a study) cross-validate with StratifiedGroupKFold, so
// that rows of one base request never sit on both sides of a split, optionally
// choose C per fold by inner CV over CGrid, and report accuracy and AUROC per fold
// and pooled over out-of-fold predictions, each with a cluster-bootstrap 95%
// interval over base requests. With Control, a control task (ControlLabels: one
// random label per base request, Hewitt & Liang 2019) runs on the same folds with
// the same C, and the selectivity (task AUROC − control AUROC) is reported next to
// every score. With grouped folds a held-out request's control label cannot be
// memorised, so the control measures the chance level of the whole pipeline.
//
// SpecialistVsGeneral trains per-task probes and one probe pooled over all tasks
// and scores both on each task's held-out folds, returning paired per-fold AUROCs
// and a paired bootstrap interval of the difference.
//
// # Invariants
//
// Inputs are never modified. Every random choice (folds, control labels,
// bootstrap) follows Params.Seed; fits are deterministic. NaN or infinite
// features, labels other than 0/1 and single-class training sets are errors
// wrapping ErrInput. No panic leaves the package.
package probe
