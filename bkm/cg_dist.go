package bkm

import (
	"fmt"
	"time"
)

// Comm is what the distributed solvers need from a group of processes (ranks) that
// run the same solve together: who this rank is, and an in-place elementwise sum over
// all ranks that leaves every rank the same result (MPI_Allreduce). cluster.World
// satisfies it; bkm does not import cgo.
type Comm interface {
	Rank() int
	Size() int
	AllReduceSumFloat64(buf []float64) error
}

// alone is the Comm of one process: SolveP1CG.
type alone struct{}

// Alone is the Comm of a process that solves by itself: FitDistributed(p, o, Alone) is Fit.
var Alone Comm = alone{}

func (alone) Rank() int                           { return 0 }
func (alone) Size() int                           { return 1 }
func (alone) AllReduceSumFloat64([]float64) error { return nil }

// reducer sums buffers over the ranks and keeps the first error, naming the rank:
// after an error it does nothing, and the solve returns the error.
type reducer struct {
	comm Comm
	err  error
}

func (r *reducer) sum(buf []float64) {
	if r.err == nil {
		if err := r.comm.AllReduceSumFloat64(buf); err != nil {
			r.err = fmt.Errorf("bkm: distributed CG on rank %d of %d: %w", r.comm.Rank(), r.comm.Size(), err)
		}
	}
}

// finishApply ends a rank's operator product: it sums dst, this rank's share of
// the product, over the ranks, and adds lam·x when the regularizer is the plain
// ridge (addRidge). After an error dst is zero, so p·Ap = 0 ends the iteration and
// the solve returns the error.
func (r *reducer) finishApply(dst, x []float64, lam float64, addRidge bool) {
	r.sum(dst)
	if r.err != nil {
		clear(dst)
		return
	}
	if addRidge {
		for i := range dst {
			dst[i] += lam * x[i]
		}
	}
}

// rankBlock is rank's contiguous share [lo, hi) of n rows split over size ranks in
// whole tiles of align rows: the ranks' operators then form the same float32 kernel
// blocks and block products as one operator over all rows, and the ranks' results
// differ from a single process's only by the order of the float64 sums.
func rankBlock(n, align, rank, size int) (lo, hi int) {
	tiles := (n + align - 1) / align
	return min(n, align*(tiles*rank/size)), min(n, align*(tiles*(rank+1)/size))
}

// rows is points [i0, i1) of a prepared set (sharing storage).
func (p *pointSet) rows(i0, i1 int) *pointSet {
	return &pointSet{n: i1 - i0, d: p.d, x: p.x[i0*p.d : i1*p.d]}
}

// SolveP1CGDistributed is SolveP1CG run by comm.Size() processes together, each
// calling it with the same Problem and Options. The rows of the loss side (the points
// carrying responses: T, or S for Problem.Z) are split into contiguous blocks of whole
// operator tiles, one per rank, and so are the rows of the Gram G for the RKBS norm: each rank forms only the
// kernel blocks of its rows, K_r·x and its partial sum K_rᵀ(K_r·x) + λ (G·x)_r, and one
// all-reduce per iteration adds the partial sums into (KᵀK + λG)·x on every rank;
// Kᵀ Y and the Jacobi diagonal are all-reduced once. The coefficients (m×P) and the CG
// vectors are small and kept whole on every rank, so their dot products need no
// communication and every rank takes the same steps (the all-reduce leaves the same
// bits everywhere). The kernel work per iteration is divided by the number of ranks
// (in whole tiles: 128 rows of K, so the split needs a few hundred points a rank); the
// traffic is one m×P float64 vector. The result equals SolveP1CG's up to the order of
// float64 sums, amplified by the system's conditioning.
//
// Every rank returns the same model; a failing all-reduce ends the solve with its error.
func SolveP1CGDistributed(p *Problem, o Options, comm Comm) (*P1Model, Report, error) {
	start := time.Now()
	sp, err := prepare(p, o, p.validateP1)
	if err != nil {
		return nil, Report{}, err
	}
	// Loss side (rows of K, with responses y) and coefficient side.
	loss, coef, y, gname := sp.tq, sp.sk, p.Y, "G_S"
	if p.Y == nil {
		loss, coef, y, gname = sp.sk, sp.tq, p.Z, "G_T"
	}
	rep := Report{Method: o.cgMethod()}
	rep.Regularizer, rep.Reason, err = sp.sampledNorm(o.Regularizer, coef, gname)
	if err != nil {
		return nil, Report{}, err
	}
	n, m, np := loss.n, coef.n, p.P
	lam := o.Lambda
	rkbs := rep.Regularizer == RegRKBS
	rank, size := comm.Rank(), comm.Size()
	align := tileRows // the loss side's points are K's rows...
	if p.Y == nil {
		align = tileWidth(coef.d) // ...or, mirrored, its columns
	}
	lo, hi := rankBlock(n, align, rank, size)
	glo, ghi := rankBlock(m, tileRows, rank, size)
	var kop linOp // this rank's rows of K; nil when it has none
	if hi > lo {
		kop = newOperator(sp.k, loss.rows(lo, hi), coef, sp.threads)
		if p.Y == nil {
			kop = transposed{newOperator(sp.k, coef, loss.rows(lo, hi), sp.threads)}
		}
	}
	var gop *Operator // this rank's rows of the Gram
	if rkbs && ghi > glo {
		gop = newOperator(sp.k, coef.rows(glo, ghi), coef, sp.threads)
	}
	red := reducer{comm: comm}
	allReduce := red.sum

	b := make([]float64, m*np)
	if kop != nil {
		kop.MulT(b, f64(y[lo*np:hi*np]), np)
	}
	allReduce(b)
	if red.err != nil {
		return nil, Report{}, red.err
	}
	if err := checkKernelFinite(b, "Kᵀ Y"); err != nil {
		return nil, Report{}, err
	}
	tmpN := make([]float64, (hi-lo)*np)
	tmpG := make([]float64, (ghi-glo)*np)
	apply := func(dst, x []float64) {
		if kop != nil {
			kop.Mul(tmpN, x, np)
			kop.MulT(dst, tmpN, np)
		} else {
			clear(dst)
		}
		if gop != nil {
			gop.Mul(tmpG, x, np)
			part := dst[glo*np : ghi*np]
			for i := range part {
				part[i] += lam * tmpG[i]
			}
		}
		red.finishApply(dst, x, lam, !rkbs)
	}
	var diag []float64
	if o.Precondition {
		diag = make([]float64, m)
		if kop != nil {
			kop.MulTSquared(diag, ones(hi-lo), 1)
		}
		allReduce(diag)
		gd := ones(m)
		if rkbs {
			gd = sp.diag(coef)
		}
		for j := range diag {
			diag[j] += lam * gd[j]
		}
	}
	if red.err != nil {
		return nil, Report{}, red.err
	}
	res := cgSolve(apply, b, m, np, diag, o.tol(), o.maxIter())
	if red.err != nil {
		return nil, Report{}, red.err
	}
	err = res.report(&rep, start, o.tol())
	return newP1Model(sp, p, res.x), rep, err
}

// solveP2Split is SolveP2CGDistributed on more than one rank, after the regularizer is
// chosen: this rank's rows [lo, hi) of the observations and [glo, ghi) of G_S.
func solveP2Split(p *Problem, o Options, comm Comm, sp *space, rep Report, start time.Time) (*P2Model, Report, error) {
	n, m := p.N, p.M
	lam := o.Lambda
	rkbs := rep.Regularizer == RegRKBS
	rank, size := comm.Rank(), comm.Size()
	lo, hi := rankBlock(n, tileRows, rank, size)
	glo, ghi := rankBlock(m, tileRows, rank, size)
	nr, gr := hi-lo, ghi-glo
	K := sp.cross() // all of K: the right-hand factors
	var kr *Operator
	if nr > 0 {
		kr = newOperator(sp.k, sp.tq.rows(lo, hi), sp.sk, sp.threads)
	}
	var gsr, gt *Operator
	if rkbs && gr > 0 {
		gsr, gt = newOperator(sp.k, sp.sk.rows(glo, ghi), sp.sk, sp.threads), sp.gramT()
	}
	observed := func(i int) bool { return p.Mask == nil || p.Mask[i] }
	red := reducer{comm: comm}
	allReduce := red.sum
	var (
		zr  = make([]float64, nr*n) // K_r A
		zrt = make([]float64, n*nr)
		ht  = make([]float64, m*nr) // (K_r A K)ᵀ
		er  = make([]float64, nr*m) // M_r ⊙ (K_r A K)
		ert = make([]float64, m*nr)
		o1  = make([]float64, n*nr) // K E_rᵀ = (E_r Kᵀ)ᵀ
		o1t = make([]float64, nr*n)
		ga  = make([]float64, gr*n) // G_S,r A
		gat = make([]float64, n*gr)
		g2  = make([]float64, n*gr) // (G_S,r A G_T)ᵀ
	)
	// back computes dst (m×n) = K_rᵀ E_r Kᵀ for this rank's E_r (nr×m): every product
	// has nr as a dimension. square uses K∘K instead of K (the Jacobi diagonal).
	back := func(dst, e []float64, square bool) {
		if kr == nil {
			clear(dst)
			return
		}
		transposeTo(ert, e, nr, m)
		if square {
			K.MulSquared(o1, ert, nr)
		} else {
			K.Mul(o1, ert, nr)
		}
		transposeTo(o1t, o1, n, nr)
		if square {
			kr.MulTSquared(dst, o1t, n)
		} else {
			kr.MulT(dst, o1t, n)
		}
	}
	apply := func(dst, a []float64) {
		if kr != nil {
			kr.Mul(zr, a, n)
			transposeTo(zrt, zr, nr, n)
			K.MulT(ht, zrt, nr)
			for i := range nr {
				for j := range m {
					er[i*m+j] = 0
					if observed((lo+i)*m + j) {
						er[i*m+j] = ht[j*nr+i]
					}
				}
			}
		}
		back(dst, er, false)
		if gsr != nil {
			addRKBSRidge(dst, a, gsr, gt, ga, gat, g2, glo, gr, n, lam)
		}
		red.finishApply(dst, a, lam, !rkbs)
	}
	b := make([]float64, m*n)
	for i := range nr {
		for j := range m {
			er[i*m+j] = 0 // unobserved responses are never read (they may be NaN)
			if observed((lo+i)*m + j) {
				er[i*m+j] = float64(p.R[(lo+i)*m+j])
			}
		}
	}
	back(b, er, false)
	allReduce(b)
	if red.err != nil {
		return nil, Report{}, red.err
	}
	if err := checkKernelFinite(b, "Kᵀ (M ⊙ R) Kᵀ"); err != nil {
		return nil, Report{}, err
	}
	var diag []float64
	if o.Precondition {
		for i := range nr {
			for j := range m {
				er[i*m+j] = 0
				if observed((lo+i)*m + j) {
					er[i*m+j] = 1
				}
			}
		}
		diag = make([]float64, m*n)
		back(diag, er, true)
		allReduce(diag)
		sp.addP2RidgeDiag(diag, lam, rkbs, m, n)
	}
	if red.err != nil {
		return nil, Report{}, red.err
	}
	res := cgSolve(apply, b, m*n, 1, diag, o.tol(), o.maxIter())
	if red.err != nil {
		return nil, Report{}, red.err
	}
	err := res.report(&rep, start, o.tol())
	return newP2Model(sp, p, res.x), rep, err
}
