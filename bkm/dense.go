package bkm

import (
	"errors"
	"fmt"
	"math"
	"time"

	"gonum.org/v1/gonum/mat"
)

// psdTol is the relative eigenvalue tolerance of the positive-semidefiniteness test
// of a base Gram: kernel values are float32, so eigenvalues down to −psdTol·λ_max are
// rounding, not indefiniteness.
const psdTol = 1e-5

// whitenCut is the relative cutoff below which Gram eigenvalues are dropped when the
// Gram is whitened: float32 kernel values put rounding noise of order 1e-7·λ_max into
// the spectrum, and inverting those directions would amplify it.
const whitenCut = 1e-6

// MaxDenseElements bounds each matrix a dense solver forms (K is n×m, the Grams m×m
// and n×n, float64): 2²⁷ values, 1 GiB. Beyond it SolveP1Dense and SolveP2Dense
// return ErrLimit before allocating; the CG solvers store nothing that large.
const MaxDenseElements = 1 << 27

// checkDense checks the rows×cols shapes of the matrices what would form.
func checkDense(what string, shapes ...[2]int) error {
	for _, s := range shapes {
		if s[1] > 0 && s[0] > MaxDenseElements/s[1] {
			return fmt.Errorf("%w: %s would form a %d×%d matrix, more than MaxDenseElements = %d values", ErrLimit, what, s[0], s[1], MaxDenseElements)
		}
	}
	return nil
}

// denseSym returns the symmetric part of an n×n row-major matrix as a SymDense.
func denseSym(n int, a []float64) *mat.SymDense {
	s := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			s.SetSym(i, j, 0.5*(a[i*n+j]+a[j*n+i]))
		}
	}
	return s
}

var errEigen = fmt.Errorf("bkm: symmetric eigendecomposition did not converge")

// eigRange returns the smallest and largest eigenvalue of a symmetric matrix.
func eigRange(s *mat.SymDense) (lo, hi float64, err error) {
	var es mat.EigenSym
	if !es.Factorize(s, false) {
		return 0, 0, errEigen
	}
	v := es.Values(nil)
	return v[0], v[len(v)-1], nil
}

// decideNorm applies the regularizer policy to the eigenvalue range of a base Gram.
func decideNorm(reg Regularizer, name string, lo, hi float64) (Regularizer, string, error) {
	if lo >= -psdTol*math.Abs(hi) {
		if reg == RegRKBS {
			return RegRKBS, "forced", nil
		}
		return RegRKBS, fmt.Sprintf("auto: %s positive semidefinite, eigenvalues in [%.3g, %.3g]", name, lo, hi), nil
	}
	if reg == RegRKBS {
		return 0, "", fmt.Errorf("%w: %s has eigenvalue %.3g < 0 (largest %.3g); use RegTikhonov", ErrNotPD, name, lo, hi)
	}
	return RegTikhonov, fmt.Sprintf("auto: %s not positive semidefinite (eigenvalues in [%.3g, %.3g]), using Tikhonov", name, lo, hi), nil
}

// chooseP1Norm decides the regularizer from a dense base Gram (nil when Tikhonov is
// forced).
func chooseP1Norm(reg Regularizer, name string, g *mat.SymDense) (Regularizer, string, error) {
	if reg == RegTikhonov {
		return RegTikhonov, "forced", nil
	}
	lo, hi, err := eigRange(g)
	if err != nil {
		return 0, "", err
	}
	return decideNorm(reg, name, lo, hi)
}

// whitening is W = E_r diag(g_r)^{-1/2} (m×r) for the eigenpairs (g, E) of a PSD
// base Gram G with g > whitenCut·g_max: WᵀGW = I_r, and the coefficients c = W u turn
// the RKBS norm cᵀGc into ‖u‖². The dropped directions have (numerically) zero norm;
// for finite-dimensional kernels they are the null space of K as well.
type whitening struct {
	W        *mat.Dense
	rank     int
	lo, hi   float64 // eigenvalue range of G
	reg      Regularizer
	reason   string
	identity bool // Tikhonov: W = I
}

// whiten decides the norm for a base Gram and whitens it when the RKBS norm is used.
func whiten(reg Regularizer, name string, g *mat.SymDense, m int) (*whitening, error) {
	if reg == RegTikhonov {
		return &whitening{reg: RegTikhonov, reason: "forced", identity: true, rank: m}, nil
	}
	var es mat.EigenSym
	if !es.Factorize(g, true) {
		return nil, errEigen
	}
	vals := es.Values(nil)
	lo, hi := vals[0], vals[len(vals)-1]
	r, reason, err := decideNorm(reg, name, lo, hi)
	if err != nil {
		return nil, err
	}
	if r == RegTikhonov {
		return &whitening{reg: r, reason: reason, identity: true, rank: m, lo: lo, hi: hi}, nil
	}
	var E mat.Dense
	es.VectorsTo(&E)
	var keep []int
	for i, v := range vals {
		if v > whitenCut*hi {
			keep = append(keep, i)
		}
	}
	if len(keep) == 0 {
		return nil, fmt.Errorf("%w: %s is zero (largest eigenvalue %.3g); use RegTikhonov", ErrNotPD, name, hi)
	}
	W := mat.NewDense(m, len(keep), nil)
	for c, i := range keep {
		s := 1 / math.Sqrt(vals[i])
		for row := range m {
			W.Set(row, c, E.At(row, i)*s)
		}
	}
	if len(keep) < m {
		reason += fmt.Sprintf("; %d of %d directions kept (eigenvalues ≤ %.0e·max dropped)", len(keep), m, whitenCut)
	}
	return &whitening{W: W, rank: len(keep), lo: lo, hi: hi, reg: r, reason: reason}, nil
}

// apply returns X·W (or X for the identity).
func (w *whitening) apply(X mat.Matrix) *mat.Dense {
	if w.identity {
		return mat.DenseCopyOf(X)
	}
	var out mat.Dense
	out.Mul(X, w.W)
	return &out
}

// back returns W·U (or U for the identity).
func (w *whitening) back(U mat.Matrix) *mat.Dense {
	if w.identity {
		return mat.DenseCopyOf(U)
	}
	var out mat.Dense
	out.Mul(w.W, U)
	return &out
}

// p1Sides returns the loss-side operator (rows: points carrying responses), the
// coefficient-side Gram operator and the responses for the side the problem names.
func (sp *space) p1Sides(p *Problem) (k linOp, g *Operator, y []float32, gname string) {
	if p.Y != nil {
		return sp.cross(), sp.gramS(), p.Y, "G_S"
	}
	return transposed{sp.cross()}, sp.gramT(), p.Z, "G_T"
}

// SolveP1Dense solves P1, min ‖K C − Y‖² + λ tr(Cᵀ G_S C), exactly in float64. With
// the RKBS norm, G_S = E diag(g) Eᵀ (gonum EigenSym) is whitened, C = E g^{-1/2} U,
// and U solves the ridge system (K̃ᵀK̃ + λI) U = K̃ᵀY, K̃ = K E g^{-1/2}, by Cholesky —
// the same solution as (KᵀK + λ G_S) C = Kᵀ Y without squaring G_S's conditioning,
// and well defined when G_S is singular (finite-dimensional kernels with more points
// than features). Tikhonov: (KᵀK + λI) C = KᵀY by Cholesky. With Problem.Z instead
// of Y it solves the mirror problem on S, min ‖Kᵀ E − Z‖² + λ tr(Eᵀ G_T E).
func SolveP1Dense(p *Problem, o Options) (*P1Model, Report, error) {
	start := time.Now()
	sp, err := prepare(p, o, p.validateP1)
	if err != nil {
		return nil, Report{}, err
	}
	kop, gop, y, gname := sp.p1Sides(p)
	n, m, np := kop.Rows(), kop.Cols(), p.P
	if err := checkDense("the dense solver (the CG solver forms no such matrix)", [2]int{n, m}, [2]int{m, m}); err != nil {
		return nil, Report{}, err
	}
	kd := denseOf(kop)
	if err := checkKernelFinite(kd, "K"); err != nil {
		return nil, Report{}, err
	}
	K := mat.NewDense(n, m, kd)
	var G *mat.SymDense
	if o.Regularizer != RegTikhonov {
		G = denseSym(m, gop.Dense())
	}
	wh, err := whiten(o.Regularizer, gname, G, m)
	if err != nil {
		return nil, Report{}, err
	}
	rep := Report{Regularizer: wh.reg, Reason: wh.reason, Method: "dense-cholesky", Converged: true}
	Kt := wh.apply(K) // n×r
	r := wh.rank
	S := mat.NewSymDense(r, nil)
	S.SymOuterK(1, Kt.T())
	for j := range r {
		S.SetSym(j, j, S.At(j, j)+o.Lambda)
	}
	Y := mat.NewDense(n, np, f64(y))
	var B, U mat.Dense
	B.Mul(Kt.T(), Y)
	var ch mat.Cholesky
	if !ch.Factorize(S) {
		return nil, Report{}, fmt.Errorf("bkm: SolveP1Dense: Cholesky of K̃ᵀK̃ + λI failed (λ = %g too small for the data's scale?)", o.Lambda)
	}
	rep.Cond = ch.Cond()
	if err := ch.SolveTo(&U, &B); err != nil {
		// gonum reports a condition number above 1e16 as mat.Condition but still
		// computes the solution; the Report carries the condition number.
		var ce mat.Condition
		if !errors.As(err, &ce) {
			return nil, Report{}, fmt.Errorf("bkm: SolveP1Dense: %v", err)
		}
	}
	C := wh.back(&U)

	// Residual of the original normal equations (KᵀK + λG) C = KᵀY.
	var lhs, rhs, t mat.Dense
	t.Mul(K, C)
	lhs.Mul(K.T(), &t)
	if G != nil && wh.reg == RegRKBS {
		t.Reset()
		t.Mul(G, C)
	} else {
		t.CloneFrom(C)
	}
	t.Scale(o.Lambda, &t)
	lhs.Add(&lhs, &t)
	rhs.Mul(K.T(), Y)
	lhs.Sub(&lhs, &rhs)
	rep.Residual = mat.Norm(&lhs, 2) / math.Max(mat.Norm(&rhs, 2), math.SmallestNonzeroFloat64)
	rep.Time = time.Since(start)
	return newP1Model(sp, p, C.RawMatrix().Data), rep, nil
}

// checkKernelFinite reports kernel values that overflowed float32 (exp of a large
// logit) or are NaN.
func checkKernelFinite(k []float64, name string) error {
	for i, v := range k {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: %s has value %v at flat index %d (kernel overflow? reduce Gamma or the data's scale)", ErrNonFinite, name, v, i)
		}
	}
	return nil
}

func f64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// denseOf materializes a linOp.
func denseOf(op linOp) []float64 {
	switch o := op.(type) {
	case *Operator:
		return o.Dense()
	case transposed:
		return transpose(o.op.Dense(), o.op.Rows(), o.op.Cols())
	}
	panic("bkm: denseOf: unknown operator")
}

// genEig solves the generalized symmetric eigenproblem P U = G U Λ, Uᵀ G U = I on the
// whitened range of G: with W from whiten, WᵀPW = Z Λ Zᵀ (gonum EigenSym) and U = W Z
// (m×r). For the identity whitening (Tikhonov) it is P's own eigendecomposition.
func genEig(P *mat.SymDense, wh *whitening) (*mat.Dense, []float64, error) {
	S := P
	if !wh.identity {
		var t, pw mat.Dense
		t.Mul(P, wh.W)
		pw.Mul(wh.W.T(), &t)
		r, _ := pw.Dims()
		S = denseSym(r, pw.RawMatrix().Data)
	}
	var es mat.EigenSym
	if !es.Factorize(S, true) {
		return nil, nil, errEigen
	}
	var Z mat.Dense
	es.VectorsTo(&Z)
	return wh.back(&Z), es.Values(nil), nil
}

// SolveP2Dense solves P2 with every pair observed,
//
//	Kᵀ K A K Kᵀ + λ G_S A G_T = Kᵀ R Kᵀ,
//
// exactly, by two generalized symmetric eigendecompositions: KᵀK U = G_S U Λ with
// Uᵀ G_S U = I, and KKᵀ V = G_T V M with Vᵀ G_T V = I; then A = U X Vᵀ with
// X_ab = (Uᵀ B V)_ab / (Λ_a M_b + λ), B = Kᵀ R Kᵀ. Each generalized problem is reduced
// to an ordinary one (gonum EigenSym) by whitening its Gram (see SolveP1Dense). With
// the Tikhonov norm G_S, G_T → I. A partial mask is an ErrPartialMask error here; use SolveP2CG.
func SolveP2Dense(p *Problem, o Options) (*P2Model, Report, error) {
	start := time.Now()
	d, err := p.validateP2()
	if err != nil {
		return nil, Report{}, err
	}
	if err := checkLambda(o.Lambda); err != nil {
		return nil, Report{}, err
	}
	for i, b := range p.Mask {
		if !b {
			return nil, Report{}, fmt.Errorf("%w: pair [%d, %d] is unobserved (SolveP2Dense; use SolveP2CG)", ErrPartialMask, i/p.M, i%p.M)
		}
	}
	n, m := p.N, p.M
	if err := checkDense("the dense solver (the CG solver forms no such matrix)", [2]int{n, m}, [2]int{n, n}, [2]int{m, m}); err != nil {
		return nil, Report{}, err
	}
	sp, err := newSpace(p, d, o.Threads)
	if err != nil {
		return nil, Report{}, err
	}
	kd := sp.cross().Dense()
	if err := checkKernelFinite(kd, "K"); err != nil {
		return nil, Report{}, err
	}
	K := mat.NewDense(n, m, kd)
	var GS, GT *mat.SymDense
	if o.Regularizer != RegTikhonov {
		GS = denseSym(m, sp.gramS().Dense())
		GT = denseSym(n, sp.gramT().Dense())
	}
	whS, err := whiten(o.Regularizer, "G_S", GS, m)
	if err != nil {
		return nil, Report{}, err
	}
	whT, err := whiten(o.Regularizer, "G_T", GT, n)
	if err != nil {
		return nil, Report{}, err
	}
	rep := Report{Method: "dense-geneig", Converged: true, Regularizer: whS.reg, Reason: whS.reason}
	if whS.reg != whT.reg {
		// One Gram is indefinite: both sides fall back to Tikhonov (auto only; forced
		// RKBS has returned an error above).
		whS = &whitening{reg: RegTikhonov, identity: true, rank: m}
		whT = &whitening{reg: RegTikhonov, identity: true, rank: n}
		rep.Regularizer = RegTikhonov
		if whT.reason != "" {
			rep.Reason = whT.reason
		}
		rep.Reason = "auto: a base Gram is not positive semidefinite, using Tikhonov on both sides"
	} else if whS.reg == RegRKBS && o.Regularizer == RegAuto {
		rep.Reason = whS.reason + "; " + whT.reason
	}
	P := mat.NewSymDense(m, nil)
	P.SymOuterK(1, K.T())
	Q := mat.NewSymDense(n, nil)
	Q.SymOuterK(1, K)
	U, lam, err := genEig(P, whS)
	if err != nil {
		return nil, Report{}, err
	}
	V, mu, err := genEig(Q, whT)
	if err != nil {
		return nil, Report{}, err
	}
	R := mat.NewDense(n, m, f64(p.R))
	var B, tmp, X mat.Dense
	tmp.Mul(K.T(), R)  // m×m
	B.Mul(&tmp, K.T()) // m×n
	tmp.Reset()
	tmp.Mul(U.T(), &B)
	X.Mul(&tmp, V) // r_S×r_T
	rs, rt := X.Dims()
	lo, hi := math.Inf(1), 0.0
	for a := range rs {
		for b := range rt {
			den := lam[a]*mu[b] + o.Lambda
			lo, hi = math.Min(lo, den), math.Max(hi, den)
			X.Set(a, b, X.At(a, b)/den)
		}
	}
	tmp.Reset()
	tmp.Mul(U, &X)
	A := mat.NewDense(m, n, nil)
	A.Mul(&tmp, V.T())
	rep.Cond = hi / lo

	// Residual of the generalized Sylvester equation.
	var lhs, t2, t3 mat.Dense
	t2.Mul(P, A)
	lhs.Mul(&t2, Q)
	if rep.Regularizer == RegRKBS {
		t2.Reset()
		t2.Mul(GS, A)
		t3.Mul(&t2, GT)
	} else {
		t3.CloneFrom(A)
	}
	t3.Scale(o.Lambda, &t3)
	lhs.Add(&lhs, &t3)
	lhs.Sub(&lhs, &B)
	rep.Residual = mat.Norm(&lhs, 2) / math.Max(mat.Norm(&B, 2), math.SmallestNonzeroFloat64)
	rep.Time = time.Since(start)
	return newP2Model(sp, p, A.RawMatrix().Data), rep, nil
}
