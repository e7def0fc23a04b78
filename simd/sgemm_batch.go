package simd

import (
	"fmt"

	"github.com/kernelmachines/bkm/internal/par"
)

// SgemmBatchStrided computes batch products of one shape, C_i = alpha·op(A_i)·op(B_i) +
// beta·C_i for i < batch, where A_i starts at a[i*strideA:], B_i at b[i*strideB:] and
// C_i at c[i*strideC:] (the argument order of MKL's cblas_sgemm_batch_strided, row
// major). Each product follows Sgemm's rules (BLAS semantics for alpha and beta). A
// stride of 0 for A or B reuses one operand for every product; the C_i must not
// overlap (strideC ≥ (m-1)·ldc + n when batch > 1). The products are spread over
// Threads() goroutines, each taking whole products; small ones run on Sgemm's small
// path. Steady-state calls do not allocate. Bad dimensions, strides or lengths panic
// with a message naming the argument.
func SgemmBatchStrided(transA, transB bool, m, n, k int, alpha float32, a []float32, lda, strideA int, b []float32, ldb, strideB int, beta float32, c []float32, ldc, strideC int, batch int) {
	checkBatch(transA, transB, m, n, k, a, lda, strideA, b, ldb, strideB, c, ldc, strideC, batch)
	if m == 0 || n == 0 || batch == 0 {
		return
	}
	job := batchJobs.Get()
	if job == nil {
		job = new(batchJob)
	}
	*job = batchJob{
		im: active, s: smallFor(active), transA: transA, transB: transB, m: m, n: n, k: k,
		alpha: alpha, beta: beta, a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc,
		strideA: strideA, strideB: strideB, strideC: strideC, batch: batch,
	}
	if job.s != nil && takesSmall(m, n, k) {
		// The one-call kernel Sgemm takes for this shape, so a batch of products costs
		// no more per product than a loop of Sgemm calls.
		job.tile = job.s.oneTile(transB, m, n)
	}
	bytes := 4 * (m*k + k*n + m*n)
	small := bytes <= batchPrefetchMaxBytes
	if s := job.s; s != nil && !transA && !transB && alpha != 0 && k > 0 && takesSmall(m, n, k) {
		switch {
		case s.panel != nil && m%s.mr == 0 && n%s.nr == 0:
			job.panel, job.panelNR, job.panelAhead = s.panel, s.nr, 1
		case s.tallBatch != nil && small && m%s.tallMR == 0 && n%s.narrowNR == 0:
			job.batchKernel, job.panelNR = s.tallBatch, s.narrowNR
			job.panelAhead = min(max(batchPanelL1Bytes/bytes, batchPrefetchAhead), batchPanelMaxAhead)
			job.perCall = 1
			if n == s.narrowNR {
				job.perCall = max(1, batchCallWork/(m*n*k))
			}
			job.stream = beta == 0 && batch*bytes >= batchStreamBytes
		}
	}
	if job.s != nil && job.s.prefetch != nil && small {
		job.ahead = batchPrefetchAhead
	}
	workers := Threads()
	if batch*m*n*max(k, 1) < parallelMinWork/4 {
		workers = 1
	}
	// A few chunks per worker balance products that take unequal time (a worker
	// descheduled on the shared machine) without a task per product. One worker runs
	// one chunk: each chunk starts by prefetching its first products, and four chunks
	// cost a batch of 64 products of 16³ ~10 ns a product (55 ns against 46 for the
	// kernel's own calls, in cache).
	tasks := 1
	if workers > 1 {
		tasks = min(batch, 4*workers)
	}
	job.chunk = (batch + tasks - 1) / tasks
	par.Run((batch+job.chunk-1)/job.chunk, workers, job)
	*job = batchJob{} // idle jobs hold no reference to the caller's slices
	batchJobs.Put(job)
}

// batchJob is one SgemmBatchStrided call; task i runs products [i·chunk, (i+1)·chunk).
type batchJob struct {
	im                        *impl
	s                         *smallGemm
	tile                      smallTileFunc // non-nil: every product is one call of it
	transA, transB            bool
	m, n, k                   int
	alpha, beta               float32
	a, b, c                   []float32
	lda, ldb, ldc             int
	strideA, strideB, strideC int
	batch, chunk              int
	// ahead > 0: product i+ahead's operands are prefetched before product i runs.
	ahead int
	// panel, if set: every product is n/panelNR calls of it, which prefetch the
	// operands of the product panelAhead on while they compute.
	panel               smallPanelFunc
	panelNR, panelAhead int
	// batchKernel, if set: runs of up to perCall products are one call of it each
	// (per column block of panelNR), prefetching the product panelAhead on.
	batchKernel smallBatchFunc
	perCall     int
	stream      bool // batchKernel writes C past the caches (batchStreamBytes)
}

// batchStreamBytes: a batch whose products' operands add up to this much is written
// with non-temporal stores where the batch kernel can (beta = 0, C's rows 64-byte
// aligned): C's lines are not read first, a third less memory traffic, and the batch's
// own stream would evict them before the caller reads them anyway (32 MiB of L3 here).
// 10,000 products of 16³ (30 MiB), paired rounds, busy machine: libxsmm's time ÷
// bkm's 1.26, 1.28 → 1.49, 1.31; a loop of Sgemm calls' 1.59, 1.56 → 2.07, 2.07.
const batchStreamBytes = 16 << 20

// batchCallWork bounds the multiply-adds (m·n·k a product) of one batch-kernel call:
// 32 products of 16³, ~2 µs, so that a call stays short (assembly is not preemptible).
const batchCallWork = 1 << 17

// A batch prefetches the operands of the product two ahead into L1 when a product's
// A, B and C fit in 16 KiB (three in flight stay within L1). Measured on 10,000
// products of 16³ (3 KiB each, from memory), min of 60 interleaved batches on the
// busy machine: no prefetch 1.02–1.09 ms, one ahead 0.99–1.02, two ahead 0.90–0.91.
// 64³ products (48 KiB) ran 10–20% slower with the next product prefetched into L1 or
// L2 in one burst before each product (4.0 ms without, 4.4–4.9 with): 768 prefetches
// at once stall the current product's loads. The panel kernels spread the prefetch of
// the next product over its computation instead (a line or two per step of k): 1,000
// products of 64³ went from 3.4–4.4 to 2.7–3.0 ms (bench/RESULTS.md, "Batched GEMM:
// panel kernels"). Larger products without a panel kernel prefetch nothing.
const (
	batchPrefetchAhead    = 2
	batchPrefetchMaxBytes = 16 << 10
)

// The 16-wide batch kernel prefetches into L1 as many products ahead as fit in half
// of it (24 KiB), at least batchPrefetchAhead and at most batchPanelMaxAhead: 10,000
// products of 16³ (3 KiB), min of 30 batches, 3 alternating rounds on the busy
// machine: two ahead 0.84–1.08 ms, three 0.70–0.80, four 0.73–0.79.
const (
	batchPanelL1Bytes  = 24 << 10
	batchPanelMaxAhead = 4
)

// batchJobs keeps job objects so that calls do not allocate (a free list, not a
// sync.Pool, for the reason given at gemmFree).
var batchJobs = par.NewFreeList[batchJob](16)

func (j *batchJob) Task(_, t int) {
	lo, hi := t*j.chunk, min(j.batch, (t+1)*j.chunk)
	if j.batchKernel != nil || j.panel != nil {
		for i := lo; j.ahead > 0 && i < min(hi, lo+j.panelAhead); i++ {
			j.prefetchProduct(i) // the kernels prefetch from product lo+panelAhead on
		}
		if j.batchKernel != nil {
			// The last panelAhead products prefetch nothing past hi (ahead 0).
			j.batchRun(lo, max(lo, hi-j.panelAhead), j.panelAhead)
			j.batchRun(max(lo, hi-j.panelAhead), hi, 0)
			return
		}
		for i := lo; i < hi; i++ {
			j.panelProduct(i, i+j.panelAhead < hi)
		}
		return
	}
	if j.ahead == 0 {
		for i := lo; i < hi; i++ {
			j.product(i)
		}
		return
	}
	for i := lo; i < min(hi, lo+j.ahead); i++ {
		j.prefetchProduct(i)
	}
	for i := lo; i < hi; i++ {
		if i+j.ahead < hi {
			j.prefetchProduct(i + j.ahead)
		}
		j.product(i)
	}
}

// prefetchProduct asks for the operands of product i: those of a batch come from
// memory, and a product's kernel otherwise waits on each line of them in turn.
func (j *batchJob) prefetchProduct(i int) {
	pf := j.s.prefetch
	if j.strideA != 0 { // a shared operand stays cached
		rows, cols := j.m, j.k
		if j.transA {
			rows, cols = cols, rows
		}
		prefetchOperand(pf, j.a[i*j.strideA:], rows, cols, j.lda)
	}
	if j.strideB != 0 {
		rows, cols := j.k, j.n
		if j.transB {
			rows, cols = cols, rows
		}
		prefetchOperand(pf, j.b[i*j.strideB:], rows, cols, j.ldb)
	}
	prefetchOperand(pf, j.c[i*j.strideC:], j.m, j.n, j.ldc)
}

// prefetchOperand prefetches a rows×cols operand with leading dimension ld, as one
// run of lines when it is dense.
func prefetchOperand(pf func([]float32, int, int, int), a []float32, rows, cols, ld int) {
	if ld == cols {
		rows, cols = 1, rows*cols
	}
	pf(a, rows, cols, ld)
}

// panelProduct runs product i as column blocks of j.panel; with next, they prefetch
// the operands of product i+panelAhead (panelAhead strides on) while they compute.
func (j *batchJob) panelProduct(i int, next bool) {
	a, b, c := j.a[i*j.strideA:], j.b[i*j.strideB:], j.c[i*j.strideC:]
	var nextA, nextB, nextC int
	if next {
		nextA, nextB, nextC = j.panelAhead*j.strideA, j.panelAhead*j.strideB, j.panelAhead*j.strideC
	}
	for col := 0; col < j.n; col += j.panelNR {
		j.panel(j.k, a, j.lda, b[col:], j.ldb, c[col:], j.ldc, j.m, j.alpha, j.beta, nextA, nextB, nextC)
	}
}

// batchRun runs products [lo, hi) through j.batchKernel, perCall products a call,
// prefetching the product ahead strides on.
func (j *batchJob) batchRun(lo, hi, ahead int) {
	for i := lo; i < hi; i += j.perCall {
		count := min(j.perCall, hi-i)
		a, b, c := j.a[i*j.strideA:], j.b[i*j.strideB:], j.c[i*j.strideC:]
		for col := 0; col < j.n; col += j.panelNR {
			j.batchKernel(count, j.k, a, j.lda, j.strideA, b[col:], j.ldb, j.strideB, c[col:], j.ldc, j.strideC, j.m, j.alpha, j.beta, ahead, j.stream)
		}
	}
}

// product runs product i on the caller's goroutine.
func (j *batchJob) product(i int) {
	a, b, c := j.a[i*j.strideA:], j.b[i*j.strideB:], j.c[i*j.strideC:]
	switch {
	case j.alpha == 0 || j.k == 0:
		scaleMatrix(j.m, j.n, j.beta, c, j.ldc)
	case j.tile != nil && j.transA:
		j.tile(j.k, a, 1, j.lda, b, j.ldb, c, j.ldc, j.m, j.n, j.alpha, j.beta)
	case j.tile != nil:
		j.tile(j.k, a, j.lda, 1, b, j.ldb, c, j.ldc, j.m, j.n, j.alpha, j.beta)
	case j.s != nil && takesSmall(j.m, j.n, j.k):
		sgemmSmall(j.s, j.transA, j.transB, j.m, j.n, j.k, j.alpha, a, j.lda, b, j.ldb, j.beta, c, j.ldc)
	default:
		sgemm(j.im, 1, j.transA, j.transB, j.m, j.n, j.k, j.alpha, a, j.lda, b, j.ldb, j.beta, c, j.ldc)
	}
}

func checkBatch(transA, transB bool, m, n, k int, a []float32, lda, strideA int, b []float32, ldb, strideB int, c []float32, ldc, strideC int, batch int) {
	const fn = "SgemmBatchStrided"
	if batch < 0 {
		panic(fmt.Sprintf("simd: %s: batch = %d < 0", fn, batch))
	}
	checkDims(fn, m, n, k)
	needA := checkOperand(fn, "A", transA, m, k, lda, strideA, batch)
	needB := checkOperand(fn, "B", transB, k, n, ldb, strideB, batch)
	needC := checkOperand(fn, "C", false, m, n, ldc, strideC, batch)
	if batch > 1 && m > 0 && n > 0 && strideC < (m-1)*ldc+n {
		panic(fmt.Sprintf("simd: %s: strideC = %d < %d: the products' C matrices overlap", fn, strideC, (m-1)*ldc+n))
	}
	checkBatchLen(fn, "a", len(a), needA, batch)
	checkBatchLen(fn, "b", len(b), needB, batch)
	checkBatchLen(fn, "c", len(c), needC, batch)
}

func checkBatchLen(fn, name string, have, need, batch int) {
	if have < need {
		panic(fmt.Sprintf("simd: %s: len(%s) = %d < %d needed for %d products", fn, name, have, need, batch))
	}
}

// checkDims panics unless m, n, k ≥ 0.
func checkDims(fn string, m, n, k int) {
	if m < 0 {
		panic(fmt.Sprintf("simd: %s: m = %d < 0", fn, m))
	}
	if n < 0 {
		panic(fmt.Sprintf("simd: %s: n = %d < 0", fn, n))
	}
	if k < 0 {
		panic(fmt.Sprintf("simd: %s: k = %d < 0", fn, k))
	}
}

// checkOperand validates the leading dimension and stride of a rows×cols operand
// (stored transposed if trans) repeated batch times, and returns the length its slice
// needs.
func checkOperand(fn, name string, trans bool, rows, cols, ld, stride, batch int) int {
	if trans {
		rows, cols = cols, rows
	}
	if ld < max(1, cols) {
		panic(fmt.Sprintf("simd: %s: ld%s = %d < max(1, %d)", fn, lowerName(name), ld, cols))
	}
	if stride < 0 {
		panic(fmt.Sprintf("simd: %s: stride%s = %d < 0", fn, name, stride))
	}
	if rows == 0 || cols == 0 || batch == 0 {
		return 0 // nothing is read or written
	}
	return (batch-1)*stride + (rows-1)*ld + cols
}
