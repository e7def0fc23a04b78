package bkm

import (
	"fmt"
	"math"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// psdTol is the relative eigenvalue tolerance of the positive-semidefiniteness test
// of a base Gram: kernel values are float32, so eigenvalues down to −psdTol·λ_max are
// rounding, not indefiniteness.
const psdTol = 1e-5

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

// eigRange returns the smallest and largest eigenvalue of a symmetric matrix.
func eigRange(s *mat.SymDense) (lo, hi float64, err error) {
	var es mat.EigenSym
	if !es.Factorize(s, false) {
		return 0, 0, fmt.Errorf("bkm: symmetric eigendecomposition did not converge")
	}
	v := es.Values(nil)
	return v[0], v[len(v)-1], nil
}

// chooseP1Norm decides the regularizer of P1 from the dense coefficient-side Gram.
func chooseP1Norm(reg Regularizer, name string, g *mat.SymDense) (Regularizer, string, error) {
	if reg == RegTikhonov {
		return RegTikhonov, "forced", nil
	}
	lo, hi, err := eigRange(g)
	if err != nil {
		return 0, "", err
	}
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

// p1Sides returns the loss-side operator (rows: points carrying responses), the
// coefficient-side Gram operator and the responses for the side the problem names.
func (sp *space) p1Sides(p *Problem) (k linOp, g *Operator, y []float32, gname string) {
	if p.Y != nil {
		return sp.cross(), sp.gramS(), p.Y, "G_S"
	}
	return transposed{sp.cross()}, sp.gramT(), p.Z, "G_T"
}

// SolveP1Dense solves P1, min ‖K C − Y‖² + λ tr(Cᵀ G_S C), through a float64
// factorization of (KᵀK + λ G_S) C = Kᵀ Y: Cholesky, or, when the system is only
// semidefinite (finite-dimensional kernels with more points than features), the
// symmetric eigendecomposition with a pseudo-inverse. With Problem.Z instead of Y it
// solves the mirror problem on S, min ‖Kᵀ E − Z‖² + λ tr(Eᵀ G_T E).
func SolveP1Dense(p *Problem, o Options) (*P1Model, Report, error) {
	start := time.Now()
	d, err := p.validateP1()
	if err != nil {
		return nil, Report{}, err
	}
	if err := checkLambda(o.Lambda); err != nil {
		return nil, Report{}, err
	}
	sp, err := newSpace(p, d, o.Threads)
	if err != nil {
		return nil, Report{}, err
	}
	kop, gop, y, gname := sp.p1Sides(p)
	n, m, np := kop.Rows(), kop.Cols(), p.P
	kd := denseOf(kop)
	K := mat.NewDense(n, m, kd)

	var rep Report
	var G *mat.SymDense
	if o.Regularizer != RegTikhonov {
		G = denseSym(m, gop.Dense())
	}
	rep.Regularizer, rep.Reason, err = chooseP1Norm(o.Regularizer, gname, G)
	if err != nil {
		return nil, Report{}, err
	}
	// A = KᵀK + λ G, B = Kᵀ Y.
	A := mat.NewSymDense(m, nil)
	A.SymOuterK(1, K.T())
	if rep.Regularizer == RegRKBS {
		A.AddSym(A, scaledSym(o.Lambda, G))
	} else {
		for j := range m {
			A.SetSym(j, j, A.At(j, j)+o.Lambda)
		}
	}
	Y := mat.NewDense(n, np, f64(y))
	var B mat.Dense
	B.Mul(K.T(), Y)

	C := mat.NewDense(m, np, nil)
	var ch mat.Cholesky
	if ch.Factorize(A) {
		if err := ch.SolveTo(C, &B); err != nil {
			return nil, Report{}, fmt.Errorf("bkm: SolveP1Dense: %v", err)
		}
		rep.Method = "dense-cholesky"
		rep.Cond = ch.Cond()
	} else {
		cond, err := pinvSolve(A, &B, C)
		if err != nil {
			return nil, Report{}, err
		}
		rep.Method = "dense-eig"
		rep.Cond = cond
	}
	var res mat.Dense
	res.Mul(A, C)
	res.Sub(&res, &B)
	rep.Residual = mat.Norm(&res, 2) / math.Max(mat.Norm(&B, 2), math.SmallestNonzeroFloat64)
	rep.Converged = true
	rep.Time = time.Since(start)
	return newP1Model(sp, p, C.RawMatrix().Data), rep, nil
}

// pinvSolve solves A X = B for symmetric PSD A by its eigendecomposition, dropping
// eigenvalues below 1e-12·λ_max; it returns the condition number of the kept part.
func pinvSolve(A *mat.SymDense, B, X *mat.Dense) (float64, error) {
	var es mat.EigenSym
	if !es.Factorize(A, true) {
		return 0, fmt.Errorf("bkm: symmetric eigendecomposition did not converge")
	}
	vals := es.Values(nil)
	var V mat.Dense
	es.VectorsTo(&V)
	hi := vals[len(vals)-1]
	cut := 1e-12 * math.Abs(hi)
	var W mat.Dense
	W.Mul(V.T(), B)
	lo := math.Inf(1)
	r, c := W.Dims()
	for i := range r {
		s := 0.0
		if vals[i] > cut {
			s = 1 / vals[i]
			lo = math.Min(lo, vals[i])
		}
		for j := range c {
			W.Set(i, j, W.At(i, j)*s)
		}
	}
	X.Mul(&V, &W)
	return hi / lo, nil
}

func scaledSym(a float64, g *mat.SymDense) *mat.SymDense {
	var s mat.SymDense
	s.ScaleSym(a, g)
	return &s
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
		n, m := o.op.Rows(), o.op.Cols()
		d := o.op.Dense()
		t := make([]float64, n*m)
		for i := range n {
			for j := range m {
				t[j*n+i] = d[i*m+j]
			}
		}
		return t
	}
	panic("bkm: denseOf: unknown operator")
}

// genEig returns U and the eigenvalues of the generalized symmetric problem
// P U = G U Λ, Uᵀ G U = I, through the Cholesky factor G = L Lᵀ and the ordinary
// eigendecomposition of L⁻¹ P L⁻ᵀ; with G = nil (Tikhonov) it is P's own.
func genEig(P *mat.SymDense, chol *mat.Cholesky) (*mat.Dense, []float64, error) {
	n := P.SymmetricDim()
	S := P
	var L mat.TriDense
	if chol != nil {
		chol.LTo(&L)
		X := mat.DenseCopyOf(P)
		lr := L.RawTriangular()
		xr := X.RawMatrix()
		// X ← L⁻¹ P L⁻ᵀ
		blas64.Trsm(blas.Left, blas.NoTrans, 1, lr, xr)
		blas64.Trsm(blas.Right, blas.Trans, 1, lr, xr)
		S = denseSym(n, xr.Data)
	}
	var es mat.EigenSym
	if !es.Factorize(S, true) {
		return nil, nil, fmt.Errorf("bkm: symmetric eigendecomposition did not converge")
	}
	vals := es.Values(nil)
	U := mat.NewDense(n, n, nil)
	es.VectorsTo(U)
	if chol != nil {
		// U ← L⁻ᵀ W
		blas64.Trsm(blas.Left, blas.Trans, 1, L.RawTriangular(), U.RawMatrix())
	}
	return U, vals, nil
}

// SolveP2Dense solves P2 with every pair observed,
//
//	Kᵀ K A K Kᵀ + λ G_S A G_T = Kᵀ R Kᵀ,
//
// exactly: with P = KᵀK = G_S U Λ Uᵀ G_S-orthonormal (Uᵀ G_S U = I) and
// Q = KKᵀ = G_T V M Vᵀ likewise, A = U X Vᵀ with X_ab = (Uᵀ B V)_ab / (Λ_a M_b + λ).
// The two generalized symmetric eigenproblems are reduced to ordinary ones by the
// Cholesky factors of G_S and G_T (gonum's EigenSym). A partial mask is an error here;
// use SolveP2CG.
func SolveP2Dense(p *Problem, o Options) (*P2Model, Report, error) {
	start := time.Now()
	d, err := p.validateP2()
	if err != nil {
		return nil, Report{}, err
	}
	if err := checkLambda(o.Lambda); err != nil {
		return nil, Report{}, err
	}
	for _, b := range p.Mask {
		if !b {
			return nil, Report{}, fmt.Errorf("%w: SolveP2Dense needs every pair observed; use SolveP2CG for a partial mask", ErrShape)
		}
	}
	sp, err := newSpace(p, d, o.Threads)
	if err != nil {
		return nil, Report{}, err
	}
	n, m := p.N, p.M
	K := mat.NewDense(n, m, sp.cross().Dense())
	var rep Report
	var cS, cT *mat.Cholesky
	rep.Regularizer = RegTikhonov
	rep.Reason = "forced"
	if o.Regularizer != RegTikhonov {
		gs := denseSym(m, sp.gramS().Dense())
		gt := denseSym(n, sp.gramT().Dense())
		cS, cT = new(mat.Cholesky), new(mat.Cholesky)
		okS, okT := cS.Factorize(gs), cT.Factorize(gt)
		switch {
		case okS && okT:
			rep.Regularizer = RegRKBS
			rep.Reason = "auto: G_S and G_T positive definite (Cholesky)"
			if o.Regularizer == RegRKBS {
				rep.Reason = "forced"
			}
		case o.Regularizer == RegRKBS:
			return nil, Report{}, fmt.Errorf("%w: Cholesky of %s failed (singular or indefinite); use RegTikhonov", ErrNotPD, which(okS, okT))
		default:
			cS, cT = nil, nil
			rep.Reason = fmt.Sprintf("auto: Cholesky of %s failed (singular or indefinite), using Tikhonov", which(okS, okT))
		}
	}
	P := mat.NewSymDense(m, nil)
	P.SymOuterK(1, K.T())
	Q := mat.NewSymDense(n, nil)
	Q.SymOuterK(1, K)
	U, lam, err := genEig(P, cS)
	if err != nil {
		return nil, Report{}, err
	}
	V, mu, err := genEig(Q, cT)
	if err != nil {
		return nil, Report{}, err
	}
	R := mat.NewDense(n, m, f64(p.R))
	var B, tmp, X mat.Dense
	tmp.Mul(K.T(), R)  // m×m
	B.Mul(&tmp, K.T()) // m×n
	tmp.Reset()
	tmp.Mul(U.T(), &B)
	X.Mul(&tmp, V) // m×n
	lo, hi := math.Inf(1), 0.0
	for a := range m {
		for b := range n {
			den := lam[a]*mu[b] + o.Lambda
			lo, hi = math.Min(lo, den), math.Max(hi, den)
			X.Set(a, b, X.At(a, b)/den)
		}
	}
	tmp.Reset()
	tmp.Mul(U, &X)
	A := mat.NewDense(m, n, nil)
	A.Mul(&tmp, V.T())
	rep.Method = "dense-geneig"
	rep.Cond = hi / lo
	rep.Converged = true

	// Residual of the Sylvester equation, with the Grams rebuilt from the factors.
	var lhs, t2 mat.Dense
	t2.Mul(P, A)
	lhs.Mul(&t2, Q)
	if cS != nil {
		var gs, gt mat.SymDense
		cS.ToSym(&gs)
		cT.ToSym(&gt)
		t2.Reset()
		t2.Mul(&gs, A)
		var t3 mat.Dense
		t3.Mul(&t2, &gt)
		t3.Scale(o.Lambda, &t3)
		lhs.Add(&lhs, &t3)
	} else {
		var t3 mat.Dense
		t3.Scale(o.Lambda, A)
		lhs.Add(&lhs, &t3)
	}
	lhs.Sub(&lhs, &B)
	rep.Residual = mat.Norm(&lhs, 2) / math.Max(mat.Norm(&B, 2), math.SmallestNonzeroFloat64)
	rep.Time = time.Since(start)
	return newP2Model(sp, p, A.RawMatrix().Data), rep, nil
}

func which(okS, okT bool) string {
	switch {
	case !okS && !okT:
		return "G_S and G_T"
	case !okS:
		return "G_S"
	}
	return "G_T"
}
