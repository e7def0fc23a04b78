package bkm

import (
	"fmt"
	"math"
	"time"
)

// cgResult is what a CG run returns.
type cgResult struct {
	x         []float64
	iters     int
	residual  float64 // true relative residual ‖b − A x‖_F / ‖b‖_F of the returned x
	converged bool
}

// report records the solve in rep (CG estimates no condition number) and returns
// ErrNotConverged when it stopped before reaching tol.
func (res cgResult) report(rep *Report, start time.Time, tol float64) error {
	rep.Iterations, rep.Residual, rep.Converged = res.iters, res.residual, res.converged
	rep.Cond = math.NaN()
	rep.Time = time.Since(start)
	if !res.converged {
		return fmt.Errorf("%w: %s stopped after %d iterations at relative residual %.3g > tol %.3g; returning the best iterate",
			ErrNotConverged, rep.Method, res.iters, res.residual, tol)
	}
	return nil
}

// cgSolve runs conjugate gradients on A X = B for a symmetric positive-definite A
// given by apply, on ncol right-hand sides at once (rows×ncol row-major, one set of CG
// scalars per column, converged columns frozen). diag, when non-nil, is the diagonal
// of A for Jacobi preconditioning. A column converges when its recurrence residual
// satisfies ‖r_c‖ ≤ tol·‖b_c‖. If the cap is reached first, the iterate with the
// smallest total residual is returned. The reported residual is the true one,
// ‖b − A x‖/‖b‖, recomputed at the end: with float32 kernel products it bottoms out
// near 1e-7·cond(A), which can exceed tol for ill-conditioned systems.
func cgSolve(apply func(dst, x []float64), b []float64, rows, ncol int, diag []float64, tol float64, maxIter int) cgResult {
	size := rows * ncol
	x := make([]float64, size)
	r := append([]float64(nil), b...)
	z := make([]float64, size)
	p := make([]float64, size)
	q := make([]float64, size)
	best := make([]float64, size)
	precond := func(dst, src []float64) {
		if diag == nil {
			copy(dst, src)
			return
		}
		for i := range rows {
			s := 1 / diag[i]
			for c := range ncol {
				dst[i*ncol+c] = src[i*ncol+c] * s
			}
		}
	}
	colDot := func(out []float64, u, v []float64) {
		clear(out)
		for i := range rows {
			for c := range ncol {
				out[c] += u[i*ncol+c] * v[i*ncol+c]
			}
		}
	}
	bn := make([]float64, ncol)
	colDot(bn, b, b)
	bTotal := 0.0
	done := make([]bool, ncol)
	allDone := true
	for c := range ncol {
		bTotal += bn[c]
		bn[c] = math.Sqrt(bn[c])
		done[c] = bn[c] == 0
		allDone = allDone && done[c]
	}
	bTotal = math.Sqrt(bTotal)
	if allDone {
		return cgResult{x: x, converged: true}
	}
	precond(z, r)
	copy(p, z)
	rz := make([]float64, ncol)
	colDot(rz, r, z)
	pq := make([]float64, ncol)
	rn := make([]float64, ncol)
	alpha := make([]float64, ncol)
	bestRes := math.Inf(1)
	it := 0
	for it < maxIter {
		it++
		apply(q, p)
		colDot(pq, p, q)
		for c := range ncol {
			alpha[c] = 0
			if !done[c] && pq[c] > 0 {
				alpha[c] = rz[c] / pq[c]
			}
		}
		for i := range rows {
			for c := range ncol {
				x[i*ncol+c] += alpha[c] * p[i*ncol+c]
				r[i*ncol+c] -= alpha[c] * q[i*ncol+c]
			}
		}
		colDot(rn, r, r)
		total := 0.0
		allDone = true
		for c := range ncol {
			total += rn[c]
			if !done[c] && (math.Sqrt(rn[c]) <= tol*bn[c] || pq[c] <= 0) {
				done[c] = true
			}
			allDone = allDone && done[c]
		}
		if total < bestRes {
			bestRes = total
			copy(best, x)
		}
		if allDone {
			break
		}
		precond(z, r)
		for c := range ncol {
			if done[c] {
				continue
			}
			var num float64
			for i := range rows {
				num += r[i*ncol+c] * z[i*ncol+c]
			}
			beta := num / rz[c]
			rz[c] = num
			for i := range rows {
				p[i*ncol+c] = z[i*ncol+c] + beta*p[i*ncol+c]
			}
		}
		for c := range ncol {
			if done[c] {
				for i := range rows {
					p[i*ncol+c] = 0
				}
			}
		}
	}
	// The true residual of the returned iterate (the recurrence drifts in long runs).
	out := best
	if allDone {
		out = x
	}
	apply(q, out)
	res := 0.0
	for i := range q {
		d := b[i] - q[i]
		res += d * d
	}
	res = math.Sqrt(res) / bTotal
	return cgResult{x: out, iters: it, residual: res, converged: allDone}
}

// sampledNorm chooses the regularizer for the iterative solvers from the Gram of up
// to 256 of the coefficient-side points (the full Gram is never formed).
func (sp *space) sampledNorm(reg Regularizer, ps *pointSet, name string) (Regularizer, string, error) {
	if reg == RegTikhonov {
		return RegTikhonov, "forced", nil
	}
	k := min(ps.n, 256)
	sub := ps.subset(k)
	g := denseSym(k, newOperator(sp.k, sub, sub, 1).Dense())
	return chooseP1Norm(reg, fmt.Sprintf("%s (first %d points)", name, k), g)
}

func ones(n int) []float64 {
	o := make([]float64, n)
	for i := range o {
		o[i] = 1
	}
	return o
}

// SolveP1CG solves P1 by conjugate gradients on the normal equations
// (KᵀK + λ G_S) C = Kᵀ Y with matrix-free products (K, Kᵀ and G_S are never formed),
// optionally Jacobi-preconditioned by diag(KᵀK) + λ diag(G_S). With Problem.Z it
// solves the mirror problem on S. If the iteration cap is reached first it returns
// the best iterate, its report, and an error wrapping ErrNotConverged.
func SolveP1CG(p *Problem, o Options) (*P1Model, Report, error) {
	return SolveP1CGDistributed(p, o, alone{})
}

// SolveP2CG solves P2 with an observation mask M by conjugate gradients on the
// normal equations
//
//	Kᵀ (M ⊙ (K A K)) Kᵀ + λ G_S A G_T = Kᵀ (M ⊙ R) Kᵀ
//
// using only matrix-free products with K, Kᵀ (and G_S, G_T) — the generalized vec
// trick: the nm×nm operator K⊗K is never formed. Jacobi preconditioning uses the
// exact diagonal (K∘K)ᵀ M (K∘K)ᵀ + λ diag(G_S) diag(G_T)ᵀ. A nil mask observes every
// pair. Non-convergence returns the best iterate with an ErrNotConverged error.
func SolveP2CG(p *Problem, o Options) (*P2Model, Report, error) {
	return SolveP2CGDistributed(p, o, alone{})
}

// SolveP2CGDistributed is SolveP2CG run by comm.Size() processes together, each
// calling it with the same Problem and Options, as SolveP1CGDistributed is: the
// observations (the rows of R and of the mask, one per T point) are split into
// contiguous blocks of whole tiles, one per rank, and so are the rows of G_S for the
// RKBS norm. Each rank forms K_r (its rows of K) and computes its part
// K_rᵀ (M_r ⊙ (K_r A K)) Kᵀ of the operator — every product has the rank's rows as one
// of its dimensions, so the kernel work per iteration is divided by the number of
// ranks — and one all-reduce of the m×n iterate adds the parts on every rank; the
// right-hand side and the Jacobi diagonal are all-reduced once. The CG vectors are
// kept whole on every rank, so every rank takes the same steps and returns the same
// model; the result equals SolveP2CG's up to the order of float64 sums. On one rank it
// is SolveP2CG (which multiplies in the order cheapest for n > m). A failing
// all-reduce ends the solve with its error.
func SolveP2CGDistributed(p *Problem, o Options, comm Comm) (*P2Model, Report, error) {
	start := time.Now()
	sp, err := prepare(p, o, p.validateP2)
	if err != nil {
		return nil, Report{}, err
	}
	rep := Report{Method: o.cgMethod()}
	rep.Regularizer, rep.Reason, err = sp.sampledNorm(o.Regularizer, sp.sk, "G_S")
	if err != nil {
		return nil, Report{}, err
	}
	if rep.Regularizer == RegRKBS {
		r2, reason2, err := sp.sampledNorm(o.Regularizer, sp.tq, "G_T")
		if err != nil {
			return nil, Report{}, err
		}
		if r2 != RegRKBS {
			rep.Regularizer, rep.Reason = r2, reason2
		} else if o.Regularizer == RegAuto {
			rep.Reason += "; " + reason2
		}
	}
	if comm.Size() > 1 {
		return solveP2Split(p, o, comm, sp, rep, start)
	}
	n, m := p.N, p.M
	lam := o.Lambda
	rkbs := rep.Regularizer == RegRKBS
	K := sp.cross()
	var gs, gt *Operator
	if rkbs {
		gs, gt = sp.gramS(), sp.gramT()
	}
	mask := make([]float64, n*m) // M as 0/1, n×m
	for i := range mask {
		if p.Mask == nil || p.Mask[i] {
			mask[i] = 1
		}
	}
	// Workspace for one operator application.
	var (
		z   = make([]float64, n*n) // K A
		zt  = make([]float64, n*n)
		ht  = make([]float64, m*n) // (K A K)ᵀ
		e   = make([]float64, n*m) // M ⊙ (K A K)
		w   = make([]float64, m*m) // Kᵀ E
		wt  = make([]float64, m*m)
		o2  = make([]float64, n*m) // K Wᵀ = (Kᵀ E Kᵀ)ᵀ
		ga  = make([]float64, m*n) // G_S A
		gat = make([]float64, n*m)
		g2  = make([]float64, n*m) // G_T (G_S A)ᵀ
	)
	// maskedBack computes dst (m×n) = Kᵀ E Kᵀ for E (n×m).
	maskedBack := func(dst, e []float64) {
		K.MulT(w, e, m) // W = Kᵀ E, m×m
		transposeTo(wt, w, m, m)
		K.Mul(o2, wt, m) // K Wᵀ = (W Kᵀ)ᵀ, n×m
		transposeTo(dst, o2, n, m)
	}
	apply := func(dst, a []float64) {
		K.Mul(z, a, n) // Z = K A, n×n
		transposeTo(zt, z, n, n)
		K.MulT(ht, zt, n) // Kᵀ Zᵀ = (Z K)ᵀ, m×n
		for i := range n {
			for j := range m {
				e[i*m+j] = mask[i*m+j] * ht[j*n+i]
			}
		}
		maskedBack(dst, e)
		if rkbs {
			addRKBSRidge(dst, a, gs, gt, ga, gat, g2, 0, m, n, lam)
		} else {
			for i := range dst {
				dst[i] += lam * a[i]
			}
		}
	}
	b := make([]float64, m*n)
	for i := range e {
		e[i] = 0 // unobserved responses are never read (they may be NaN)
		if mask[i] != 0 {
			e[i] = float64(p.R[i])
		}
	}
	maskedBack(b, e)
	if err := checkKernelFinite(b, "Kᵀ (M ⊙ R) Kᵀ"); err != nil {
		return nil, Report{}, err
	}

	var diag []float64
	if o.Precondition {
		K.MulTSquared(w, mask, m) // (K∘K)ᵀ M, m×m
		transposeTo(wt, w, m, m)
		K.MulSquared(o2, wt, m) // (K∘K) Wᵀ, n×m
		diag = transpose(o2, n, m)
		sp.addP2RidgeDiag(diag, lam, rkbs, m, n)
	}
	// The unknowns A (m×n) run as one CG over all entries.
	res := cgSolve(apply, b, m*n, 1, diag, o.tol(), o.maxIter())
	err = res.report(&rep, start, o.tol())
	return newP2Model(sp, p, res.x), rep, err
}

// addRKBSRidge adds λ·(G_S A G_T) to rows [lo, lo+rows) of dst (m×n), where gs holds
// those rows of G_S: ga (rows×n), gat and g2 (n×rows) are its workspace.
func addRKBSRidge(dst, a []float64, gs, gt *Operator, ga, gat, g2 []float64, lo, rows, n int, lam float64) {
	gs.Mul(ga, a, n) // G_S A
	transposeTo(gat, ga, rows, n)
	gt.Mul(g2, gat, rows) // G_T (G_S A)ᵀ = (G_S A G_T)ᵀ
	for i := range rows {
		for j := range n {
			dst[(lo+i)*n+j] += lam * g2[j*rows+i]
		}
	}
}

// addP2RidgeDiag adds the regularizer's part of P2's Jacobi diagonal to diag (m×n):
// λ·G_S[i,i]·G_T[j,j] under RKBS, λ under Tikhonov.
func (sp *space) addP2RidgeDiag(diag []float64, lam float64, rkbs bool, m, n int) {
	ds, dt := ones(m), ones(n)
	if rkbs {
		ds, dt = sp.diag(sp.sk), sp.diag(sp.tq)
	}
	for i := range m {
		for j := range n {
			diag[i*n+j] += lam * ds[i] * dt[j]
		}
	}
}
