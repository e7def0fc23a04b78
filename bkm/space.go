package bkm

import (
	"fmt"

	"github.com/kernelmachines/bkm/simd"
)

// linOp is a matrix-free linear map with its transpose; *Operator is one, and
// transposed swaps the roles.
type linOp interface {
	Rows() int
	Cols() int
	Mul(dst, x []float64, p int)
	MulT(dst, y []float64, p int)
	MulSquared(dst, x []float64, p int)
	MulTSquared(dst, y []float64, p int)
}

type transposed struct{ op *Operator }

func (t transposed) Rows() int                           { return t.op.Cols() }
func (t transposed) Cols() int                           { return t.op.Rows() }
func (t transposed) Mul(dst, x []float64, p int)         { t.op.MulT(dst, x, p) }
func (t transposed) MulT(dst, y []float64, p int)        { t.op.Mul(dst, y, p) }
func (t transposed) MulSquared(dst, x []float64, p int)  { t.op.MulTSquared(dst, x, p) }
func (t transposed) MulTSquared(dst, y []float64, p int) { t.op.MulSquared(dst, y, p) }

// space is a problem's kernel and projections with the training points projected and
// prepared once.
type space struct {
	kern    Kernel
	gamma   float32
	k       blockKernel
	tRaw    []float32 // W_Q t_i (n×d), before the kernel's preparation
	sRaw    []float32 // W_K s_j (m×d)
	d       int
	dt, ds  int
	wq, wk  []float32
	tq, sk  *pointSet // prepared W_Q t_i and W_K s_j
	threads int
}

// MaxThreads bounds Options.Threads (and the threads of NewP1Model, NewP2Model,
// NewOperator): each thread is a goroutine with its own kernel-block buffers. It is
// simd's bound, so one limit holds for every parallel routine of the module.
const MaxThreads = simd.MaxThreads

func newSpace(p *Problem, d, threads int) (*space, error) {
	if threads > MaxThreads {
		return nil, fmt.Errorf("%w: %d threads, more than MaxThreads = %d", ErrLimit, threads, MaxThreads)
	}
	k, err := adapt(p.Kernel, p.gamma(d), d)
	if err != nil {
		return nil, err
	}
	sp := &space{kern: p.Kernel, gamma: p.gamma(d), k: k, d: d, dt: p.DT, ds: p.DS, threads: threads}
	if p.WQ != nil {
		sp.wq = append([]float32(nil), p.WQ...)
	}
	if p.WK != nil {
		sp.wk = append([]float32(nil), p.WK...)
	}
	sp.tRaw = project(p.T, p.N, sp.dt, sp.wq, d)
	sp.sRaw = project(p.S, p.M, sp.ds, sp.wk, d)
	sp.tq = sp.k.prepare(sp.tRaw, p.N, d)
	sp.sk = sp.k.prepare(sp.sRaw, p.M, d)
	return sp, nil
}

func (sp *space) prepT(t []float32, n int) *pointSet {
	return sp.k.prepare(project(t, n, sp.dt, sp.wq, sp.d), n, sp.d)
}

func (sp *space) prepS(s []float32, n int) *pointSet {
	return sp.k.prepare(project(s, n, sp.ds, sp.wk, sp.d), n, sp.d)
}

// cross is K (n×m), gramS is G_S (m×m), gramT is G_T (n×n).
func (sp *space) cross() *Operator { return newOperator(sp.k, sp.tq, sp.sk, sp.threads) }
func (sp *space) gramS() *Operator { return newOperator(sp.k, sp.sk, sp.sk, sp.threads) }
func (sp *space) gramT() *Operator { return newOperator(sp.k, sp.tq, sp.tq, sp.threads) }

// diag returns k0(x_i, x_i) for a prepared point set.
func (sp *space) diag(ps *pointSet) []float64 {
	out := make([]float64, ps.n)
	var v [1]float32
	for i := range ps.n {
		sp.k.block(v[:], 1, ps, i, i+1, ps, i, i+1)
		out[i] = float64(v[0])
	}
	return out
}

// checkPoints validates new points for prediction.
func checkPoints(name string, x []float32, n, dim int) error {
	if n <= 0 || !hasLen(x, n, dim) {
		return fmt.Errorf("%w: %s has %d values, want n·%d with n = %d > 0", ErrShape, name, len(x), dim, n)
	}
	return checkFinite(name, x, dim)
}

// NewOperator builds the matrix-free cross-kernel operator K (n×m) of a problem's
// points, for callers that want K·x and Kᵀ·y themselves (benchmarks, custom solvers).
// Responses are not needed. threads ≤ 0 means simd.Threads().
func NewOperator(p *Problem, threads int) (*Operator, error) {
	d, err := p.validate()
	if err != nil {
		return nil, err
	}
	sp, err := newSpace(p, d, threads)
	if err != nil {
		return nil, err
	}
	return sp.cross(), nil
}
