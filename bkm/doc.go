// Package bkm is the binary kernel machine of docs/paper.md §3: kernel learning between
// a target domain T (queries) and a source domain S (keys) with a kernel
// κ(t, s) = k0(W_Q t, W_K s) from package attention's zoo — asymmetric when
// W_Q ≠ W_K, its cross Gram indefinite, even though the base kernel k0 is usually
// Mercer.
//
// # Mathematics
//
// Data: t_1..t_n (Problem.T), s_1..s_m (Problem.S), K_ij = κ(t_i, s_j) (n×m), the
// base Grams G_T = [k0(W_Q t_i, W_Q t_i')] and G_S = [k0(W_K s_j, W_K s_j')]. The
// predictors are the representer spans
//
//	F(t)    = Σ_j c_j κ(t, s_j)                   P1Model.Predict (responses Y on T)
//	F̄(t)    = Σ_j c_j κ(t, s_j) / Σ_j κ(t, s_j)   P1Model.PredictNormalized: attention with values c_j
//	G(s)    = Σ_i e_i κ(t_i, s)                   P1Model.Predict (responses Z on S)
//	h(t, s) = Σ_{j,i} A_ji κ(t, s_j) κ(t_i, s)    P2Model.Predict; on training pairs H = K A K
//
// and the problems, for λ > 0,
//
//	P1  min_C ‖K C − Y‖² + λ tr(Cᵀ G_S C)             ⇔ (KᵀK + λ G_S) C = Kᵀ Y
//	P2  min_A ‖M ⊙ (K A K − R)‖² + λ tr(Aᵀ G_S A G_T)
//	    full mask: Kᵀ K A K Kᵀ + λ G_S A G_T = Kᵀ R Kᵀ
//
// The RKBS (feature-space) norms use G_S, G_T; the Tikhonov variants replace them by I
// (Options.Regularizer). RegAuto uses the RKBS norm when the base Gram is positive
// semidefinite and Tikhonov otherwise, and the Report says which and why; forcing
// RegRKBS on an indefinite Gram is an error (ErrNotPD).
//
// With T = S and W_Q = W_K the kernel is symmetric and P1 is kernel ridge regression,
// C = (K + λI)⁻¹ Y, and P2 is Kronecker kernel ridge regression; for finite-dimensional
// kernels the primal feature-space solution and the representer form predict alike.
// The tests check both.
//
// # Which solver
//
//   - SolveP1Dense: exact float64 (gonum). G_S is whitened by its eigendecomposition
//     (directions below 1e-6·λ_max are float32 noise and dropped, so singular Grams of
//     finite-dimensional kernels are fine) and the ridge system is factored by Cholesky.
//     O(nm² + m³) time, O(nm) memory: up to a few thousand points.
//   - SolveP2Dense: exact full-mask P2 by two generalized symmetric eigendecompositions
//     (KᵀK U = G_S U Λ, KKᵀ V = G_T V M; A = U X Vᵀ, X_ab = (UᵀBV)_ab/(Λ_a M_b + λ)).
//     O(n³ + m³): up to ~2,000 points a side.
//   - SolveP1CG: conjugate gradients on the P1 normal equations with matrix-free
//     products (Operator): nothing n×m is stored, each iteration costs one K·x, one
//     Kᵀ·y (and one G_S·x for the RKBS norm). For large n, m (tens of thousands).
//     Tikhonov converges much faster than the RKBS norm, whose system has the squared
//     conditioning of the Gram.
//   - SolveP1CGDistributed: SolveP1CG run by several processes (MPI ranks, through
//     the small Comm interface that cluster.World satisfies): each rank forms the
//     kernel blocks of its own block of rows, and the partial products are summed by
//     one all-reduce per iteration. Same result as SolveP1CG up to the order of
//     float64 sums.
//   - SolveP2CG: masked P2 by CG with products with K and Kᵀ only (the generalized vec
//     trick; K⊗K is never formed). The only solver for partial masks.
//   - SolveP2CGDistributed: SolveP2CG on several ranks, the observations (rows of R
//     and of the mask) split across them; one all-reduce of the m×n iterate per
//     iteration. Agrees with SolveP2CG to the float32 rounding of the kernel products
//     (it multiplies in another order), amplified by the conditioning.
//
// The iterative solvers take Options.Tol (relative residual of the normal equations),
// Options.MaxIter and Options.Precondition (Jacobi, exact diagonal); at the cap they
// return the best iterate with ErrNotConverged. Kernel values are float32 (simd GEMM and
// exp), sums across tiles and all solver vectors float64: the attainable residual is
// about 1e-7 times the system's condition number.
//
// Fit runs the solver FitOptions.Solver chooses (SolverDense or SolverCG) on a P1 or
// P2 problem and returns a Model: the problem, the options, the report and the fitted
// P1Model or P2Model. Model.Save and Model.SaveFile (atomic) write it as versioned JSON
// (ModelFormatVersion; the kernel by its attention.ByName name); Load and LoadFile read
// it back and rebuild the model without solving, rejecting unknown fields, other
// versions and sizes that do not match. ReadCSV reads the numeric CSV matrices of
// points and responses that bkmtrain's bkm command takes. ParseRegularizer and
// ParseSolver invert Regularizer.String and Solver.String.
//
// Diagnose reports asymmetry ‖K − Kᵀ‖/‖K‖, the spectrum of the symmetric part
// (indefiniteness), K's singular values, the Grams' spectra and the conditioning of
// the P1 systems. Distill learns W_Q, W_K (or one-hidden-layer MLP feature maps) with
// Adam and the kernels' gradients so that κ_W or log κ_W fits a target matrix such as
// attention logits; DistillSweep reports the fit error against the feature width.
//
// # Errors and panics
//
// Data problems — shape mismatches in a Problem, NaN/Inf in data, λ ≤ 0, γ < 0, an
// empty mask, a partial mask for the dense P2 solver, an indefinite Gram under RegRKBS,
// kernel overflow, non-convergence, sizes beyond MaxThreads or MaxDenseElements — are
// returned as errors wrapping ErrShape, ErrNonFinite, ErrLambda, ErrGamma, ErrEmptyMask,
// ErrPartialMask, ErrNotPD, ErrNotConverged, ErrLimit, saying what and where; corrupt
// model files and CSV cells are errors naming the field or the line and column. Programmer errors (wrong slice lengths in
// Operator.Mul) panic with a message naming the argument.
//
// Imports: packages attention, simd, internal/par (the worker pool) and
// internal/atomicfile (Model.SaveFile) of bkm, gonum.org/v1/gonum (float64 dense factorizations) and the standard library. Not
// package cluster (cgo under the tag mpi): only the tests built with -tags mpi import it
// (and internal/clustertest, their shared set-up).
package bkm
