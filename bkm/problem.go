package bkm

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/kernelmachines/bkm/simd"
)

// Errors returned for bad data and unsolvable requests; wrapped with the details, so
// test with errors.Is.
var (
	ErrShape        = errors.New("bkm: shape mismatch")
	ErrNonFinite    = errors.New("bkm: NaN or Inf in data")
	ErrLambda       = errors.New("bkm: regularization λ must be finite and > 0")
	ErrEmptyMask    = errors.New("bkm: mask observes no pair")
	ErrNotPD        = errors.New("bkm: base Gram is not positive definite")
	ErrNotConverged = errors.New("bkm: iterative solver did not converge")
	ErrKernel       = errors.New("bkm: unsupported kernel")
	ErrGamma        = errors.New("bkm: kernel scale γ must be finite and ≥ 0 (0 means 1/√D)")
	ErrPartialMask  = errors.New("bkm: the dense P2 solver needs every pair observed; a partial mask needs SolverCG")
	ErrLimit        = errors.New("bkm: size beyond limit")

	errKernelNil = fmt.Errorf("%w: Problem.Kernel is nil", ErrKernel)
)

// Problem is the data of a binary kernel machine (paper.md §3): target points t_i
// (rows of T, n×DT), source points s_j (rows of S, m×DS), the kernel
// κ(t, s) = k0(W_Q t, W_K s), and the responses — Y (n×P) at the target points for
// P1, or R (n×m) on target×source pairs for P2 with an optional mask of observed
// pairs. All matrices are row-major float32.
type Problem struct {
	T     []float32 // n×DT target points (queries)
	N, DT int
	S     []float32 // m×DS source points (keys)
	M, DS int

	Kernel Kernel    // base kernel k0, e.g. attention.EDP()
	Gamma  float32   // kernel scale γ; 0 means 1/√D
	WQ     []float32 // D×DT projection of targets, q = W_Q t; nil means identity (DT = D)
	WK     []float32 // D×DS projection of sources, k = W_K s; nil means identity (DS = D)
	D      int       // projected dimension; 0 means DT (identity projections)

	Y []float32 // P1: n×P responses at the target points, fitted by F(t) = Σ_j c_j κ(t, s_j)
	Z []float32 // P1 mirrored on S (instead of Y): m×P responses at the source points, fitted by G(s) = Σ_i e_i κ(t_i, s)
	P int

	R    []float32 // P2: n×m responses on pairs
	Mask []bool    // P2: n×m observed pairs; nil observes every pair
}

// Regularizer selects the norm of the penalty.
type Regularizer int

const (
	// RegAuto uses the RKBS norm when the base Grams are positive (semi)definite and
	// falls back to Tikhonov otherwise, saying so in the Report.
	RegAuto Regularizer = iota
	// RegRKBS forces the feature-space norm tr(Cᵀ G_S C), tr(Aᵀ G_S A G_T); a base
	// Gram that is not positive definite is an error.
	RegRKBS
	// RegTikhonov forces G_S, G_T → I.
	RegTikhonov
)

var regularizerNames = []string{RegAuto: "auto", RegRKBS: "rkbs", RegTikhonov: "tikhonov"}

func (r Regularizer) String() string { return enumString(regularizerNames, "Regularizer", int(r)) }

// ParseRegularizer returns the Regularizer whose String is s: "auto", "rkbs" or
// "tikhonov".
func ParseRegularizer(s string) (Regularizer, error) {
	return parseEnum[Regularizer](regularizerNames, "regularizer", s)
}

// Options configure a solve.
type Options struct {
	Lambda      float64     // regularization λ > 0
	Regularizer Regularizer // RegAuto by default
	// Iterative solvers: stop when ‖b − A x‖ ≤ Tol·‖b‖ on the normal equations
	// (default 1e-6), or after MaxIter iterations (default 500).
	Tol          float64
	MaxIter      int
	Precondition bool // Jacobi (diagonal) preconditioning for CG
	Threads      int  // workers of the matrix-free products; 0 means simd.Threads()
}

func (o Options) tol() float64 {
	if o.Tol > 0 {
		return o.Tol
	}
	return 1e-6
}

func (o Options) maxIter() int {
	if o.MaxIter > 0 {
		return o.MaxIter
	}
	return 500
}

// cgMethod is Report.Method for the CG solvers under o.
func (o Options) cgMethod() string {
	if o.Precondition {
		return "cg-jacobi"
	}
	return "cg"
}

// Report says what a solver did.
type Report struct {
	Method      string        // "dense-cholesky", "dense-eig", "dense-geneig", "cg", "cg-jacobi"
	Regularizer Regularizer   // the norm used (RegRKBS or RegTikhonov)
	Reason      string        // why that norm (auto choice, or forced)
	Iterations  int           // CG iterations (0 for dense)
	Residual    float64       // final relative residual ‖b − A x‖/‖b‖ of the solved system
	Converged   bool          // dense: always true; CG: residual ≤ tolerance
	Time        time.Duration // wall time of the solve
	Cond        float64       // condition number of the solved system (dense P1: LAPACK 1-norm estimate from the Cholesky factor; dense P2: from its spectrum; CG: NaN)
}

func (r Report) String() string {
	return fmt.Sprintf("%s, %s norm (%s), %d iterations, residual %.3g, converged %v, cond %.3g, %v",
		r.Method, r.Regularizer, r.Reason, r.Iterations, r.Residual, r.Converged, r.Cond, r.Time)
}

// validate checks shapes and values common to every problem.
func (p *Problem) validate() (d int, err error) {
	if p == nil {
		panic("bkm: nil *Problem")
	}
	if p.N <= 0 || p.DT <= 0 || !hasLen(p.T, p.N, p.DT) {
		return 0, fmt.Errorf("%w: T has %d values, want N·DT = %d·%d > 0", ErrShape, len(p.T), p.N, p.DT)
	}
	if p.M <= 0 || p.DS <= 0 || !hasLen(p.S, p.M, p.DS) {
		return 0, fmt.Errorf("%w: S has %d values, want M·DS = %d·%d > 0", ErrShape, len(p.S), p.M, p.DS)
	}
	if p.Kernel == nil {
		return 0, errKernelNil
	}
	if !(p.Gamma >= 0) || math.IsInf(float64(p.Gamma), 0) {
		return 0, fmt.Errorf("%w: Gamma = %v", ErrGamma, p.Gamma)
	}
	d = p.D
	if d == 0 {
		switch {
		case p.WQ == nil:
			d = p.DT
		case p.WK == nil:
			d = p.DS
		case p.DT > 0 && len(p.WQ)%p.DT == 0:
			d = len(p.WQ) / p.DT
		}
	}
	if d <= 0 {
		return 0, fmt.Errorf("%w: projected dimension D = %d", ErrShape, d)
	}
	if p.WQ == nil && p.DT != d {
		return 0, fmt.Errorf("%w: identity W_Q needs DT = D, have DT = %d, D = %d", ErrShape, p.DT, d)
	}
	if p.WK == nil && p.DS != d {
		return 0, fmt.Errorf("%w: identity W_K needs DS = D, have DS = %d, D = %d", ErrShape, p.DS, d)
	}
	if p.WQ != nil && !hasLen(p.WQ, d, p.DT) {
		return 0, fmt.Errorf("%w: W_Q has %d values, want D·DT = %d·%d", ErrShape, len(p.WQ), d, p.DT)
	}
	if p.WK != nil && !hasLen(p.WK, d, p.DS) {
		return 0, fmt.Errorf("%w: W_K has %d values, want D·DS = %d·%d", ErrShape, len(p.WK), d, p.DS)
	}
	for _, c := range []struct {
		name string
		x    []float32
		cols int
	}{{"T", p.T, p.DT}, {"S", p.S, p.DS}, {"W_Q", p.WQ, p.DT}, {"W_K", p.WK, p.DS}} {
		if err := checkFinite(c.name, c.x, c.cols); err != nil {
			return 0, err
		}
	}
	return d, nil
}

// gamma is the kernel scale for projected dimension d.
func (p *Problem) gamma(d int) float32 {
	if p.Gamma != 0 {
		return p.Gamma
	}
	return float32(1 / math.Sqrt(float64(d)))
}

func (p *Problem) validateP1() (int, error) {
	d, err := p.validate()
	if err != nil {
		return 0, err
	}
	switch {
	case p.Y != nil && p.Z != nil:
		return 0, fmt.Errorf("%w: P1 takes Y (responses on T) or Z (responses on S), not both", ErrShape)
	case p.Z != nil:
		if p.P <= 0 || !hasLen(p.Z, p.M, p.P) {
			return 0, fmt.Errorf("%w: Z has %d values, want M·P = %d·%d with P ≥ 1", ErrShape, len(p.Z), p.M, p.P)
		}
		return d, checkFinite("Z", p.Z, p.P)
	}
	if p.P <= 0 || !hasLen(p.Y, p.N, p.P) {
		return 0, fmt.Errorf("%w: Y has %d values, want N·P = %d·%d with P ≥ 1", ErrShape, len(p.Y), p.N, p.P)
	}
	return d, checkFinite("Y", p.Y, p.P)
}

func (p *Problem) validateP2() (int, error) {
	d, err := p.validate()
	if err != nil {
		return 0, err
	}
	if !hasLen(p.R, p.N, p.M) {
		return 0, fmt.Errorf("%w: R has %d values, want N·M = %d·%d", ErrShape, len(p.R), p.N, p.M)
	}
	if p.Mask != nil {
		if !hasLen(p.Mask, p.N, p.M) {
			return 0, fmt.Errorf("%w: Mask has %d values, want N·M = %d·%d", ErrShape, len(p.Mask), p.N, p.M)
		}
		observed := 0
		for _, b := range p.Mask {
			if b {
				observed++
			}
		}
		if observed == 0 {
			return 0, ErrEmptyMask
		}
		// Unobserved responses may be anything (NaN included): they are never read.
		for i, b := range p.Mask {
			if v := p.R[i]; b && (math.IsNaN(float64(v)) || math.IsInf(float64(v), 0)) {
				return 0, fmt.Errorf("%w: R[%d, %d] = %v", ErrNonFinite, i/p.M, i%p.M, v)
			}
		}
		return d, nil
	}
	return d, checkFinite("R", p.R, p.M)
}

// hasLen reports whether x holds a rows×cols matrix, without overflowing rows·cols
// (the sizes may come from a file).
func hasLen[E any](x []E, rows, cols int) bool {
	if rows < 0 || cols < 0 {
		return false
	}
	if cols == 0 {
		return len(x) == 0
	}
	return len(x)%cols == 0 && len(x)/cols == rows
}

func checkFinite(name string, x []float32, cols int) error {
	for i, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("%w: %s[%d, %d] = %v", ErrNonFinite, name, i/cols, i%cols, v)
		}
	}
	return nil
}

func checkLambda(l float64) error {
	if !(l > 0) || math.IsInf(l, 0) {
		return fmt.Errorf("%w: λ = %v", ErrLambda, l)
	}
	return nil
}

// project returns rows·Wᵀ (n×d), or a copy of rows when W is nil (identity).
func project(rows []float32, n, din int, w []float32, d int) []float32 {
	out := make([]float32, n*d)
	if w == nil {
		copy(out, rows)
		return out
	}
	simd.Sgemm(false, true, n, d, din, 1, rows, din, w, din, 0, out, d)
	return out
}

// prepare is every solver's preamble: validate the problem (validateP1 or validateP2),
// check λ, and build the kernel space the solver works in.
func prepare(p *Problem, o Options, validate func() (int, error)) (*space, error) {
	d, err := validate()
	if err != nil {
		return nil, err
	}
	if err := checkLambda(o.Lambda); err != nil {
		return nil, err
	}
	return newSpace(p, d, o.Threads)
}
