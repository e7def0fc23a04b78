package bkm

import (
	"fmt"

	"github.com/kernelmachines/bkm/internal/par"
	"github.com/kernelmachines/bkm/simd"
)

// Tile sizes of the matrix-free products: a tileRows×(≤ tileCols) kernel block (at
// most 128 KiB of float32) stays in L2 while it is formed by the logits GEMM, passed
// through the kernel's map (exp) and multiplied into the right-hand side. The width
// is cut so that one logits GEMM stays below gemmSerialWork multiply-adds: simd.Sgemm
// splits larger calls over its own goroutines, and the operator already runs one
// worker per thread over its tiles.
const (
	tileRows       = 128
	tileCols       = 512
	gemmSerialWork = 1<<21 - 1
)

// tileWidth is the column-tile width for inner dimension d.
func tileWidth(d int) int {
	w := gemmSerialWork / (tileRows * max(d, 1))
	return max(64, min(tileCols, w/16*16))
}

// Operator is the matrix-free kernel matrix K_ij = k0(a_i, b_j) between two prepared
// point sets (n = a.n rows, m = b.n columns). Products with K and Kᵀ recompute the
// kernel blocks on the fly from the projected points — a logits GEMM, the kernel's
// elementwise map (exp for the exp family), then the product with the right-hand
// side — so the n×m matrix is never held. Row tiles (for K·X) or column tiles (for
// Kᵀ·Y) are spread over Threads workers of the shared pool (internal/par); kernel
// values and the block products are float32, and the sums across tiles accumulate in
// float64. After the first call with a given number of right-hand sides a product does
// not allocate.
//
// An Operator is not safe for concurrent use.
type Operator struct {
	k      blockKernel
	a, b   *pointSet
	ti, tj int
	ws     []opWorker // one per thread

	// arguments of the product in flight
	in      []float32 // right-hand side converted to float32
	p       int
	out     []float64
	square  bool
	mulJob  mulJob
	mulTJob mulTJob
}

// mulJob's tasks are the row tiles of K·x, mulTJob's the column tiles of Kᵀ·y (kept in
// the Operator, so handing them to the pool allocates nothing).
type (
	mulJob  struct{ op *Operator }
	mulTJob struct{ op *Operator }
)

func (j *mulJob) Task(w, t int)  { j.op.mulTile(&j.op.ws[w], t*j.op.ti) }
func (j *mulTJob) Task(w, t int) { j.op.mulTTile(&j.op.ws[w], t*j.op.tj) }

type opWorker struct {
	blk []float32 // ti×tj kernel block
	tmp []float32 // max(ti, tj)×p product of one block
}

func newOperator(k blockKernel, a, b *pointSet, threads int) *Operator {
	if threads <= 0 {
		threads = simd.Threads()
	}
	op := &Operator{k: k, a: a, b: b, ti: tileRows, tj: tileWidth(a.d)}
	op.ws = make([]opWorker, threads)
	for w := range op.ws {
		op.ws[w].blk = make([]float32, op.ti*op.tj)
	}
	op.mulJob.op, op.mulTJob.op = op, op
	return op
}

// Rows and Cols are n and m.
func (op *Operator) Rows() int { return op.a.n }
func (op *Operator) Cols() int { return op.b.n }

// Threads is the number of workers the products run on.
func (op *Operator) Threads() int { return len(op.ws) }

func (op *Operator) setup(in []float64, p int, out []float64, square bool) {
	if cap(op.in) < len(in) {
		op.in = make([]float32, len(in))
	}
	op.in = op.in[:len(in)]
	for i, v := range in {
		op.in[i] = float32(v)
	}
	if p != op.p || len(op.ws[0].tmp) < max(op.ti, op.tj)*p {
		for w := range op.ws {
			if len(op.ws[w].tmp) < max(op.ti, op.tj)*p {
				op.ws[w].tmp = make([]float32, max(op.ti, op.tj)*p)
			}
		}
	}
	op.p, op.out, op.square = p, out, square
}

// Mul computes dst = K·x for x (m×p) and dst (n×p), row-major float64.
func (op *Operator) Mul(dst, x []float64, p int) { op.mul(dst, x, p, false) }

// MulT computes dst = Kᵀ·y for y (n×p) and dst (m×p).
func (op *Operator) MulT(dst, y []float64, p int) { op.mulT(dst, y, p, false) }

// MulSquared computes dst = (K∘K)·x, the product with the elementwise square (used
// for diagonal preconditioners).
func (op *Operator) MulSquared(dst, x []float64, p int) { op.mul(dst, x, p, true) }

// MulTSquared computes dst = (K∘K)ᵀ·y.
func (op *Operator) MulTSquared(dst, y []float64, p int) { op.mulT(dst, y, p, true) }

func (op *Operator) mul(dst, x []float64, p int, square bool) {
	n, m := op.a.n, op.b.n
	op.product("Mul", dst, "n", n, x, "x", "m", m, p, square, (n+op.ti-1)/op.ti, &op.mulJob)
}

func (op *Operator) mulT(dst, y []float64, p int, square bool) {
	n, m := op.a.n, op.b.n
	op.product("MulT", dst, "m", m, y, "y", "n", n, p, square, (m+op.tj-1)/op.tj, &op.mulTJob)
}

// product checks the arguments of method — dst (dstRows×p, rows named dstDim) and src
// (srcRows×p) — and runs job's tiles on the pool.
func (op *Operator) product(method string, dst []float64, dstDim string, dstRows int,
	src []float64, srcArg, srcDim string, srcRows, p int, square bool, tiles int, job par.Job) {
	if p < 1 {
		panic(fmt.Sprintf("bkm: Operator.%s: p = %d < 1", method, p))
	}
	if len(src) != srcRows*p {
		panic(fmt.Sprintf("bkm: Operator.%s: len(%s) = %d != %s·p = %d·%d", method, srcArg, len(src), srcDim, srcRows, p))
	}
	if len(dst) != dstRows*p {
		panic(fmt.Sprintf("bkm: Operator.%s: len(dst) = %d != %s·p = %d·%d", method, len(dst), dstDim, dstRows, p))
	}
	op.setup(src, p, dst, square)
	par.Run(tiles, len(op.ws), job)
	op.out, op.square = nil, false
}

// block forms the kernel block of rows [i0, i1) and columns [j0, j1) in the worker's
// buffer (leading dimension j1−j0), squared elementwise if requested.
func (op *Operator) block(w *opWorker, i0, i1, j0, j1 int) []float32 {
	cols := j1 - j0
	blk := w.blk[:(i1-i0)*cols]
	op.k.block(blk, cols, op.a, i0, i1, op.b, j0, j1)
	if op.square {
		simd.Mul(blk, blk, blk)
	}
	return blk
}

// mulTile computes the row tile at i0 of K·x with worker w's buffers; each tile owns
// its rows of the output.
func (op *Operator) mulTile(w *opWorker, i0 int) {
	n, m, p := op.a.n, op.b.n, op.p
	i1 := min(i0+op.ti, n)
	out := op.out[i0*p : i1*p]
	clear(out)
	for j0 := 0; j0 < m; j0 += op.tj {
		j1 := min(j0+op.tj, m)
		cols := j1 - j0
		blk := op.block(w, i0, i1, j0, j1)
		if p == 1 {
			x := op.in[j0:j1]
			for i := range i1 - i0 {
				out[i] += float64(simd.Dot(blk[i*cols:i*cols+cols], x))
			}
			continue
		}
		tmp := w.tmp[:(i1-i0)*p]
		simd.Sgemm(false, false, i1-i0, p, cols, 1, blk, cols, op.in[j0*p:], p, 0, tmp, p)
		for i, v := range tmp {
			out[i] += float64(v)
		}
	}
}

// mulTTile computes the column tile at j0 of Kᵀ·y with worker w's buffers; each tile
// owns its rows of Kᵀ·y.
func (op *Operator) mulTTile(w *opWorker, j0 int) {
	n, m, p := op.a.n, op.b.n, op.p
	j1 := min(j0+op.tj, m)
	cols := j1 - j0
	out := op.out[j0*p : j1*p]
	clear(out)
	for i0 := 0; i0 < n; i0 += op.ti {
		i1 := min(i0+op.ti, n)
		blk := op.block(w, i0, i1, j0, j1)
		tmp := w.tmp[:cols*p]
		if p == 1 {
			clear(tmp)
			for i := range i1 - i0 {
				simd.Axpy(op.in[i0+i], blk[i*cols:i*cols+cols], tmp)
			}
		} else {
			simd.Sgemm(true, false, cols, p, i1-i0, 1, blk, cols, op.in[i0*p:], p, 0, tmp, p)
		}
		for j, v := range tmp {
			out[j] += float64(v)
		}
	}
}

// Dense materializes K as a float64 n×m row-major matrix (for the dense solvers and
// tests; the matrix-free paths never call it).
func (op *Operator) Dense() []float64 {
	n, m := op.a.n, op.b.n
	out := make([]float64, n*m)
	w := &op.ws[0]
	for i0 := 0; i0 < n; i0 += op.ti {
		i1 := min(i0+op.ti, n)
		for j0 := 0; j0 < m; j0 += op.tj {
			j1 := min(j0+op.tj, m)
			cols := j1 - j0
			blk := op.block(w, i0, i1, j0, j1)
			for i := i0; i < i1; i++ {
				row := blk[(i-i0)*cols : (i-i0+1)*cols]
				for j, v := range row {
					out[i*m+j0+j] = float64(v)
				}
			}
		}
	}
	return out
}
