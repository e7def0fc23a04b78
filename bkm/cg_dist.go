package bkm

import (
	"fmt"
	"math"
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

func (alone) Rank() int                           { return 0 }
func (alone) Size() int                           { return 1 }
func (alone) AllReduceSumFloat64([]float64) error { return nil }

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
	var rep Report
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
	var commErr error
	allReduce := func(buf []float64) {
		if commErr == nil {
			if err := comm.AllReduceSumFloat64(buf); err != nil {
				commErr = fmt.Errorf("bkm: distributed CG on rank %d of %d: %w", rank, size, err)
			}
		}
	}

	b := make([]float64, m*np)
	if kop != nil {
		kop.MulT(b, f64(y[lo*np:hi*np]), np)
	}
	allReduce(b)
	if commErr != nil {
		return nil, Report{}, commErr
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
		allReduce(dst)
		if commErr != nil {
			clear(dst) // p·Ap = 0 ends the iteration; the error is returned below
			return
		}
		if !rkbs {
			for i := range dst {
				dst[i] += lam * x[i]
			}
		}
	}
	var diag []float64
	rep.Method = "cg"
	if o.Precondition {
		rep.Method = "cg-jacobi"
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
	if commErr != nil {
		return nil, Report{}, commErr
	}
	res := cgSolve(apply, b, m, np, diag, o.tol(), o.maxIter())
	if commErr != nil {
		return nil, Report{}, commErr
	}
	rep.Iterations, rep.Residual, rep.Converged = res.iters, res.residual, res.converged
	rep.Cond = math.NaN()
	rep.Time = time.Since(start)
	md := newP1Model(sp, p, res.x)
	if !res.converged {
		return md, rep, fmt.Errorf("%w: %s stopped after %d iterations at relative residual %.3g > tol %.3g; returning the best iterate",
			ErrNotConverged, rep.Method, res.iters, res.residual, o.tol())
	}
	return md, rep, nil
}
