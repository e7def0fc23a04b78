package bkm

import (
	"github.com/kernelmachines/bkm/simd"
)

// pointSet is one set of projected points prepared for kernel blocks: the rows that
// enter the logits GEMM (projected points, or their explicit features for kernels
// evaluated through a feature map) and an optional per-point logit term.
type pointSet struct {
	n, d int
	x    []float32 // n×d row-major
	aux  []float32 // n per-point additive logit term, nil if the kernel has none
}

// row returns point i.
func (p *pointSet) row(i int) []float32 { return p.x[i*p.d : i*p.d+p.d] }

// blockKernel is what bkm's solvers need from a base kernel k0: blocks
// dst[i][j] = k0(a_i, b_j) for row ranges of two prepared point sets. It is bkm's
// internal view of a kernel; kernels from package attention are adapted to it.
type blockKernel interface {
	name() string
	// prepare turns n projected points (n×d) into the form block consumes. It
	// allocates and is called once per point set.
	prepare(x []float32, n, d int) *pointSet
	// block writes k0(a_i, b_j) for i in [i0, i1), j in [j0, j1) into dst with
	// leading dimension ldd. It does not allocate; scratch holds at least
	// blockScratch(j1−j0) floats.
	block(dst []float32, ldd int, a *pointSet, i0, i1 int, b *pointSet, j0, j1 int, scratch []float32)
	// blockScratch is the scratch length block needs for a block of the given width.
	blockScratch(cols int) int
}

// gemmLogits writes alpha·a_i·b_j for the block into dst: the logits GEMM.
func gemmLogits(dst []float32, ldd int, alpha float32, a *pointSet, i0, i1 int, b *pointSet, j0, j1 int) {
	rows, cols := i1-i0, j1-j0
	if rows == 0 || cols == 0 {
		return
	}
	simd.Sgemm(false, true, rows, cols, a.d, alpha, a.x[i0*a.d:], a.d, b.x[j0*b.d:], b.d, 0, dst, ldd)
}

// addAux adds the per-point terms to the block: dst_ij += a.aux_i + b.aux_j. The two
// terms are summed first so that the block of a set with itself is exactly symmetric
// (IEEE addition commutes; a different association would not).
func addAux(dst []float32, ldd int, a *pointSet, i0, i1 int, b *pointSet, j0, j1 int) {
	cols := j1 - j0
	for i := i0; i < i1; i++ {
		row := dst[(i-i0)*ldd : (i-i0)*ldd+cols]
		var ai float32
		if a.aux != nil {
			ai = a.aux[i]
		}
		if b.aux == nil {
			fillAdd(row, ai)
			continue
		}
		bj := b.aux[j0:j1]
		for j := range row {
			row[j] += ai + bj[j]
		}
	}
}

func fillAdd(x []float32, c float32) {
	for j := range x {
		x[j] += c
	}
}

// expBlock exponentiates the block in place.
func expBlock(dst []float32, ldd, rows, cols int) {
	for i := 0; i < rows; i++ {
		row := dst[i*ldd : i*ldd+cols]
		simd.Exp(row, row)
	}
}
