package bkm

import (
	"github.com/kernelmachines/bkm/simd"
)

// pointSet is one set of projected points prepared for kernel blocks: the rows that
// enter the logits GEMM — projected points, or their explicit features for kernels
// evaluated through a feature map.
type pointSet struct {
	n, d int
	x    []float32 // n×d row-major
}

// row returns point i.
func (p *pointSet) row(i int) []float32 { return p.x[i*p.d : i*p.d+p.d] }

// subset returns the first k points (sharing storage).
func (p *pointSet) subset(k int) *pointSet { return &pointSet{n: k, d: p.d, x: p.x[:k*p.d]} }

// blockKernel is what bkm's solvers need from a base kernel k0: blocks
// dst[i][j] = k0(a_i, b_j) for row ranges of two prepared point sets. It is bkm's
// internal view of a kernel; Kernels are adapted to it by adapt.
type blockKernel interface {
	name() string
	// prepare turns n projected points (n×d) into the form block consumes. It may
	// allocate and is called once per point set.
	prepare(x []float32, n, d int) *pointSet
	// block writes k0(a_i, b_j) for i in [i0, i1), j in [j0, j1) into dst with
	// leading dimension ldd. It does not allocate.
	block(dst []float32, ldd int, a *pointSet, i0, i1 int, b *pointSet, j0, j1 int)
}

// gemmLogits writes alpha·a_i·b_j for the block into dst: the logits GEMM.
func gemmLogits(dst []float32, ldd int, alpha float32, a *pointSet, i0, i1 int, b *pointSet, j0, j1 int) {
	rows, cols := i1-i0, j1-j0
	if rows == 0 || cols == 0 {
		return
	}
	simd.Sgemm(false, true, rows, cols, a.d, alpha, a.x[i0*a.d:], a.d, b.x[j0*b.d:], b.d, 0, dst, ldd)
}
