package train

import (
	"math"

	"github.com/kernelmachines/bkm/internal/par"
	"github.com/kernelmachines/bkm/simd"
)

// Row-parallel loops for the elementwise layers (GELU, layer norm, dropout, AdamW) on
// the shared worker pool (internal/par). A job and its rowSplit are held by the model,
// so handing them to the pool allocates nothing. Each job writes disjoint rows or
// elements and does no cross-row reduction, so results are bit-identical whatever the
// thread count.

type parJob interface{ run(lo, hi int) }

// parMinWork is the smallest number of elements worth a second goroutine.
const parMinWork = 1 << 15

// chunksPerWorker is how many chunks per goroutine a row-parallel loop is cut into
// (when each still has parMinWork). The pool's goroutines claim chunks one at a time,
// so when one starts late — woken from parking, or its CPU held by another process —
// the others take its chunks instead of waiting for its one half: the call then loses
// about half the delay instead of all of it.
const chunksPerWorker = 4

// parTasks is a par.Job of a function of the task index, for loops off the hot paths
// (it allocates its closure).
type parTasks func(i int)

func (f parTasks) Task(_, i int) { f(i) }

// rowSplit runs a parJob over [0, n) in parts contiguous chunks, one pool task each.
type rowSplit struct {
	job      parJob
	n, parts int
	threads  int // goroutines a loop runs on; 0: simd.Threads()
}

func (s *rowSplit) Task(_, i int) { s.job.run(par.Chunk(i, s.parts, s.n)) }

// run runs job over [0, n) on up to s.threads (simd.Threads()) goroutines, the caller
// included. work is the total element count, used to keep small problems on one
// goroutine.
func (s *rowSplit) run(job parJob, n, work int) {
	chunks := max(1, work/parMinWork)
	threads := s.threads
	if threads == 0 {
		threads = simd.Threads()
	}
	nw := min(threads, n, chunks)
	if nw <= 1 {
		job.run(0, n)
		return
	}
	parts := min(n, chunks, nw*chunksPerWorker)
	s.job, s.n, s.parts = job, n, parts
	par.Run(parts, nw, s)
	s.job = nil
}

// geluFwdJob computes out = gelu(inp) over elements; with a bias b [c] it runs over
// rows of c and first adds b to each row of inp (in place: backward needs the biased
// pre-activation), a few rows at a time so that GELU reads them from L1.
type geluFwdJob struct {
	out, inp, b []float32
	c           int
}

func (j *geluFwdJob) run(lo, hi int) {
	if j.b == nil {
		geluForward(j.out[lo:hi], j.inp[lo:hi])
		return
	}
	c := j.c
	const rows = 8
	for r0 := lo; r0 < hi; r0 += rows {
		r1 := min(hi, r0+rows)
		for r := r0; r < r1; r++ {
			row := j.inp[r*c : (r+1)*c]
			simd.Add(row, row, j.b[:c])
		}
		geluForward(j.out[r0*c:r1*c], j.inp[r0*c:r1*c])
	}
}

// geluBwdJob accumulates dinp += gelu'(inp)·dout, or with set writes it (each chunk
// cleared just before, while it is in cache). With db (the bias gradient of the
// linear layer before GELU) it runs over a range of the c columns of [n, c], row by
// row, and adds each row's dinp into db while it is in L1: the serial sum of
// biasGradJob (each column's rows in order) bit for bit, without its pass over dinp.
type geluBwdJob struct {
	dinp, dout, inp []float32
	set             bool
	db              []float32
	n, c            int
}

func (j *geluBwdJob) run(lo, hi int) {
	if j.db == nil {
		j.rows(lo, hi)
		return
	}
	for o := 0; o < j.n*j.c; o += j.c {
		j.rows(o+lo, o+hi)
		simd.Add(j.db[lo:hi], j.db[lo:hi], j.dinp[o+lo:o+hi])
	}
}

// rows computes elements lo..hi-1.
func (j *geluBwdJob) rows(lo, hi int) {
	if j.set {
		clear(j.dinp[lo:hi])
	}
	geluBackward(j.dinp[lo:hi], j.dout[lo:hi], j.inp[lo:hi])
}

// vecJob is dst = x + y (mul false) or dst = x ⊙ y (mul true).
type vecJob struct {
	dst, x, y []float32
	mul       bool
}

func (j *vecJob) run(lo, hi int) {
	if j.mul {
		simd.Mul(j.dst[lo:hi], j.x[lo:hi], j.y[lo:hi])
		return
	}
	simd.Add(j.dst[lo:hi], j.x[lo:hi], j.y[lo:hi])
}

// xentBwdJob is crossEntropyBackward over a range of rows.
type xentBwdJob struct {
	dlogits, logp []float32
	targets       []int32
	ignore        int32
	eps, scale    float32
	v             int
}

func (j *xentBwdJob) run(lo, hi int) {
	v := j.v
	crossEntropyBackward(j.dlogits[lo*v:hi*v], j.logp[lo*v:hi*v], j.targets[lo:hi], j.ignore, j.eps, j.scale, hi-lo, v)
}

type lnFwdJob struct {
	out, mean, rstd, inp, w, b []float32
	c                          int
}

func (j *lnFwdJob) run(lo, hi int) {
	c := j.c
	layerNormForward(j.out[lo*c:hi*c], j.mean[lo:hi], j.rstd[lo:hi], j.inp[lo*c:hi*c], j.w, j.b, hi-lo, c)
}

// lnBwdJob writes dinp = res + the input gradient of a layer norm (res nil: 0).
type lnBwdJob struct {
	dinp, res, dout, inp, w, mean, rstd []float32
	c                                   int
}

func (j *lnBwdJob) resRows(lo, hi int) []float32 {
	if j.res == nil {
		return nil
	}
	return j.res[lo*j.c : hi*j.c]
}

func (j *lnBwdJob) run(lo, hi int) {
	c := j.c
	layerNormBackwardInput(j.dinp[lo*c:hi*c], j.resRows(lo, hi), j.dout[lo*c:hi*c], j.inp[lo*c:hi*c], j.w, j.mean[lo:hi], j.rstd[lo:hi], hi-lo, c)
}

// biasDropResJob is biasDropResidualChunk over a range of chunks.
type biasDropResJob struct {
	out, mask, x, f, bias []float32
	cols                  int
	p                     float32
	seed, step            uint64
	site                  int
}

func (j *biasDropResJob) run(lo, hi int) {
	for c := lo; c < hi; c++ {
		biasDropResidualChunk(j.out, j.mask, j.x, j.f, j.bias, j.cols, j.p, j.seed, j.step, j.site, c)
	}
}

type dropJob struct {
	out, mask, inp []float32
	p              float32
	seed, step     uint64
	site           int
}

func (j *dropJob) run(lo, hi int) {
	for c := lo; c < hi; c++ {
		dropoutChunk(j.out, j.mask, j.inp, j.p, j.seed, j.step, j.site, c)
	}
}

// lnParamsJob accumulates a layer norm's dw and db for a range of columns.
type lnParamsJob struct {
	dw, db, dout, inp, mean, rstd []float32
	n, c                          int
}

func (j *lnParamsJob) run(lo, hi int) {
	layerNormBackwardParams(j.dw, j.db, j.dout, j.inp, j.mean, j.rstd, j.n, j.c, lo, hi)
}

// copyJob copies src into dst (clears dst when src is nil) in chunks.
type copyJob struct{ dst, src []float32 }

func (j *copyJob) run(lo, hi int) {
	if j.src == nil {
		clear(j.dst[lo:hi])
		return
	}
	copy(j.dst[lo:hi], j.src[lo:hi])
}

// biasJob broadcasts the bias b [c] to rows of out [n, c].
type biasJob struct {
	out, b []float32
	c      int
}

func (j *biasJob) run(lo, hi int) {
	for r := lo; r < hi; r++ {
		copy(j.out[r*j.c:(r+1)*j.c], j.b[:j.c])
	}
}

// biasGradJob adds the rows of dout [n, c] into db [c] for a range of columns, each
// column's rows in order (the serial sum bit for bit).
type biasGradJob struct {
	db, dout []float32
	n, c     int
}

func (j *biasGradJob) run(lo, hi int) {
	for r := 0; r < j.n; r++ {
		simd.Add(j.db[lo:hi], j.db[lo:hi], j.dout[r*j.c+lo:r*j.c+hi])
	}
}

// normJob computes the sums of squares of a range of GradNorm's chunks.
type normJob struct {
	g    []float32
	part []float64
}

func (j *normJob) run(lo, hi int) {
	for c := lo; c < hi; c++ {
		j.part[c] = sumSquares(j.g[c*normChunk : min((c+1)*normChunk, len(j.g))])
	}
}

// rowPar holds the job structs of one model, reused call after call.
type rowPar struct {
	split rowSplit
	geluF geluFwdJob
	geluB geluBwdJob
	lnF   lnFwdJob
	lnB   lnBwdJob
	lnP   lnParamsJob
	cp    copyJob
	bias  biasJob
	biasG biasGradJob
	norm  normJob
	drop  dropJob
	bdr   biasDropResJob
	vec   vecJob
	xent  xentBwdJob
}

func (p *rowPar) gelu(out, inp []float32) {
	p.geluF = geluFwdJob{out: out, inp: inp}
	p.split.run(&p.geluF, len(inp), 8*len(inp))
}

// geluBias adds the bias b [c] to every row of inp [n, c] (in place) and writes
// out = gelu(inp): the bias of the linear layer before it, added in GELU's pass rather
// than broadcast into the GEMM's output first.
func (p *rowPar) geluBias(out, inp, b []float32, n, c int) {
	if b == nil {
		p.gelu(out[:n*c], inp[:n*c])
		return
	}
	p.geluF = geluFwdJob{out, inp, b, c}
	p.split.run(&p.geluF, n, 8*n*c)
}

// geluBackward accumulates dinp += gelu'(inp)·dout, or with set overwrites dinp with it.
func (p *rowPar) geluBackward(dinp, dout, inp []float32, set bool) {
	p.geluB = geluBwdJob{dinp: dinp, dout: dout, inp: inp, set: set}
	p.split.run(&p.geluB, len(inp), 8*len(inp)) // recomputes the exp: as much work as forward
}

// geluBackwardBias is geluBackward over [n, c] that also accumulates db [c] += Σ_rows
// dinp, the bias gradient of the linear layer before GELU (biasGrad's sums, bit for bit).
func (p *rowPar) geluBackwardBias(dinp, dout, inp, db []float32, n, c int, set bool) {
	p.geluB = geluBwdJob{dinp, dout, inp, set, db, n, c}
	p.split.run(&p.geluB, c, 9*n*c)
}

func (p *rowPar) layerNorm(out, mean, rstd, inp, w, b []float32, n, c int) {
	p.lnF = lnFwdJob{out, mean, rstd, inp, w, b, c}
	p.split.run(&p.lnF, n, 4*n*c)
}

// layerNormBackward writes dinp = res + the input gradient (res nil: 0; res = dinp
// accumulates), rows in parallel, then accumulates dw and db with the columns in
// parallel (each column's rows in order).
func (p *rowPar) layerNormBackward(dinp, res, dw, db, dout, inp, w, mean, rstd []float32, n, c int) {
	p.lnB = lnBwdJob{dinp, res, dout, inp, w, mean, rstd, c}
	p.split.run(&p.lnB, n, 4*n*c)
	p.lnP = lnParamsJob{dw, db, dout, inp, mean, rstd, n, c}
	p.split.run(&p.lnP, c, 2*n*c)
}

// copy copies src into dst (clears dst for a nil src) in parallel chunks.
func (p *rowPar) copy(dst, src []float32) {
	if src != nil && len(src) != len(dst) {
		panic("train: rowPar.copy: lengths differ")
	}
	p.cp = copyJob{dst, src}
	p.split.run(&p.cp, len(dst), len(dst)/4) // memory-bound: worth a thread only when large
}

// broadcastBias sets every row of out [n, c] to b, rows in parallel.
func (p *rowPar) broadcastBias(out, b []float32, n, c int) {
	p.bias = biasJob{out, b, c}
	p.split.run(&p.bias, n, n*c/4)
}

// biasGrad adds the n rows of dout [n, c] into db, columns in parallel.
func (p *rowPar) biasGrad(db, dout []float32, n, c int) {
	p.biasG = biasGradJob{db, dout, n, c}
	p.split.run(&p.biasG, c, n*c)
}

// gradNorm is GradNorm(g) bit for bit, its chunks in parallel; part holds at least
// normChunks(len(g)) partial sums.
func (p *rowPar) gradNorm(g []float32, part []float64) float64 {
	return math.Sqrt(p.gradSquares(g, part))
}

// gradSquares is gradNorm's sum of squares, before the square root: a rank of a
// data-parallel group sums it over its shard of the gradient (aligned to normChunk,
// so its chunks are one process's) and the ranks add their sums.
func (p *rowPar) gradSquares(g []float32, part []float64) float64 {
	nc := normChunks(len(g))
	p.norm = normJob{g, part[:nc]}
	p.split.run(&p.norm, nc, len(g))
	var s float64
	for _, v := range part[:nc] {
		s += v
	}
	return s
}

func (p *rowPar) dropout(out, mask, inp []float32, prob float32, seed, step uint64, site int) {
	p.drop = dropJob{out, mask, inp, prob, seed, step, site}
	p.split.run(&p.drop, dropChunks(len(mask)), 4*len(mask))
}

// biasDropResidual writes out = x + (f + bias) ⊙ mask over [n, cols] (see
// biasDropResidualChunk; p = 0: no dropout, mask unused), chunks in parallel.
func (p *rowPar) biasDropResidual(out, mask, x, f, bias []float32, cols int, prob float32, seed, step uint64, site int) {
	p.bdr = biasDropResJob{out, mask, x, f, bias, cols, prob, seed, step, site}
	p.split.run(&p.bdr, dropChunks(len(f)), 2*len(f))
	p.bdr = biasDropResJob{}
}

// add writes dst = x + y in parallel chunks.
func (p *rowPar) add(dst, x, y []float32) {
	p.vec = vecJob{dst, x, y, false}
	p.split.run(&p.vec, len(dst), len(dst)/4) // memory-bound, like copy
}

// mul writes dst = x ⊙ y in parallel chunks.
func (p *rowPar) mul(dst, x, y []float32) {
	p.vec = vecJob{dst, x, y, true}
	p.split.run(&p.vec, len(dst), len(dst)/4)
}

// crossEntropyBackward is crossEntropyBackward with the rows in parallel.
func (p *rowPar) crossEntropyBackward(dlogits, logp []float32, targets []int32, ignore int32, eps, scale float32, n, v int) {
	p.xent = xentBwdJob{dlogits, logp, targets, ignore, eps, scale, v}
	p.split.run(&p.xent, n, 2*n*v)
}
