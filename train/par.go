package train

import (
	"sync"

	"github.com/kernelmachines/bkm/simd"
)

// Row-parallel loops for the elementwise layers (GELU, layer norm, AdamW). A job is a
// pointer to a struct held by the model, so handing it to a worker allocates nothing.
// Each job writes disjoint rows or elements and does no cross-row reduction, so results
// are bit-identical whatever the thread count.

type parJob interface{ run(lo, hi int) }

type parTask struct {
	job    parJob
	lo, hi int
	wg     *sync.WaitGroup
}

var (
	parMu      sync.Mutex
	parWorkers int
	parTasks   = make(chan parTask, 64)
)

func parWorker() {
	for t := range parTasks {
		t.job.run(t.lo, t.hi)
		t.wg.Done()
	}
}

// parMinWork is the smallest number of elements worth a second goroutine.
const parMinWork = 1 << 15

// parallelFor runs job over [0, n) in contiguous chunks on up to simd.Threads()
// goroutines (the caller runs the first chunk). work is the total element count, used to
// keep small problems on one goroutine.
func parallelFor(wg *sync.WaitGroup, job parJob, n, work int) {
	nw := min(simd.Threads(), n, max(1, work/parMinWork))
	if nw <= 1 {
		job.run(0, n)
		return
	}
	parMu.Lock()
	for ; parWorkers < nw-1; parWorkers++ {
		go parWorker()
	}
	parMu.Unlock()
	wg.Add(nw - 1)
	for i := 1; i < nw; i++ {
		parTasks <- parTask{job, i * n / nw, (i + 1) * n / nw, wg}
	}
	job.run(0, n/nw)
	wg.Wait()
}

type geluFwdJob struct{ out, inp []float32 }

func (j *geluFwdJob) run(lo, hi int) { geluForward(j.out[lo:hi], j.inp[lo:hi]) }

type geluBwdJob struct{ dinp, dout, inp []float32 }

func (j *geluBwdJob) run(lo, hi int) { geluBackward(j.dinp[lo:hi], j.dout[lo:hi], j.inp[lo:hi]) }

type lnFwdJob struct {
	out, mean, rstd, inp, w, b []float32
	c                          int
}

func (j *lnFwdJob) run(lo, hi int) {
	c := j.c
	layerNormForward(j.out[lo*c:hi*c], j.mean[lo:hi], j.rstd[lo:hi], j.inp[lo*c:hi*c], j.w, j.b, hi-lo, c)
}

type lnBwdJob struct {
	dinp, dout, inp, w, mean, rstd []float32
	c                              int
}

func (j *lnBwdJob) run(lo, hi int) {
	c := j.c
	layerNormBackwardInput(j.dinp[lo*c:hi*c], j.dout[lo*c:hi*c], j.inp[lo*c:hi*c], j.w, j.mean[lo:hi], j.rstd[lo:hi], hi-lo, c)
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

// par holds the job structs of one model, reused call after call.
type par struct {
	wg    sync.WaitGroup
	geluF geluFwdJob
	geluB geluBwdJob
	lnF   lnFwdJob
	lnB   lnBwdJob
	drop  dropJob
}

func (p *par) gelu(out, inp []float32) {
	p.geluF = geluFwdJob{out, inp}
	parallelFor(&p.wg, &p.geluF, len(inp), 8*len(inp))
}

func (p *par) geluBackward(dinp, dout, inp []float32) {
	p.geluB = geluBwdJob{dinp, dout, inp}
	parallelFor(&p.wg, &p.geluB, len(inp), 8*len(inp)) // recomputes the tanh: as much work as forward
}

func (p *par) layerNorm(out, mean, rstd, inp, w, b []float32, n, c int) {
	p.lnF = lnFwdJob{out, mean, rstd, inp, w, b, c}
	parallelFor(&p.wg, &p.lnF, n, 4*n*c)
}

// layerNormBackward: dinp rows in parallel, then dw and db in one ordered pass.
func (p *par) layerNormBackward(dinp, dw, db, dout, inp, w, mean, rstd []float32, n, c int) {
	p.lnB = lnBwdJob{dinp, dout, inp, w, mean, rstd, c}
	parallelFor(&p.wg, &p.lnB, n, 4*n*c)
	layerNormBackwardParams(dw, db, dout, inp, mean, rstd, n, c)
}

func (p *par) dropout(out, mask, inp []float32, prob float32, seed, step uint64, site int) {
	p.drop = dropJob{out, mask, inp, prob, seed, step, site}
	parallelFor(&p.wg, &p.drop, dropChunks(len(mask)), 4*len(mask))
}
