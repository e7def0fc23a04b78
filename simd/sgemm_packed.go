package simd

import (
	"fmt"

	"github.com/kernelmachines/bkm/internal/par"
)

// PackedB is the right operand op(B) of many products, k×n, copied once into the
// layout the micro-kernels read (the way a BLAS's packed-matrix API or a framework's
// weight reorder does it): a model's weight matrix, multiplied by a new activation at
// every step, is then never transposed or packed again. Build it with NewPackedB; it
// is read-only afterwards, so any number of goroutines may use it at once.
//
// Layout: op(B) cut into blocks of kc rows (the implementation's depth block), each
// block into panels of w columns (a multiple of the small-product tile width, and as
// wide as the one-row kernel), a panel stored row-major (stride w) and zero-padded
// past column n. A PackedB is laid out for the implementation in use when it was
// built and must be used with it (only tests switch implementations).
type PackedB struct {
	k, n  int
	w, kc int       // panel width and block depth
	data  []float32 // k × roundUp(n, w); block pc starts at pc·roundUp(n, w)
	im    *impl
}

// K returns the number of rows of op(B), N its number of columns.
func (p *PackedB) K() int { return p.k }

// N returns the number of columns of op(B).
func (p *PackedB) N() int { return p.n }

// NewPackedB packs op(B) (k×n) for SgemmPacked: B is stored k×n with ldb ≥ n
// (transB = false) or n×k with ldb ≥ k (transB = true), as in Sgemm. It allocates the
// packed copy (k·n floats, n rounded up to the panel width); later changes to b are
// not seen. Bad dimensions, strides or lengths panic with a message naming the argument.
func NewPackedB(transB bool, k, n int, b []float32, ldb int) *PackedB {
	if k < 0 || n < 0 {
		panic(fmt.Sprintf("simd: NewPackedB: k = %d, n = %d: must be ≥ 0", k, n))
	}
	rows, cols := k, n // B as stored
	if transB {
		rows, cols = n, k
	}
	if ldb < max(1, cols) {
		panic(fmt.Sprintf("simd: NewPackedB: ldb = %d < max(1, %d)", ldb, cols))
	}
	if rows > 0 && cols > 0 && len(b) < (rows-1)*ldb+cols {
		panic(fmt.Sprintf("simd: NewPackedB: len(b) = %d < %d needed for a %d×%d matrix with ldb = %d",
			len(b), (rows-1)*ldb+cols, rows, cols, ldb))
	}
	return packFor(active, transB, k, n, b, ldb)
}

// packFor packs op(B) for the implementation im. Without small-product kernels
// (im.small == nil) the one panel is all of op(B), row-major, for the tiled path.
func packFor(im *impl, transB bool, k, n int, b []float32, ldb int) *PackedB {
	p := &PackedB{k: k, n: n, im: im, w: max(1, n), kc: max(1, k)}
	if s := im.small; s != nil {
		p.w, p.kc = max(s.nr, s.rowNR), im.kc
		if p.w%s.nr != 0 {
			panic(fmt.Sprintf("simd: %s: the one-row kernel's width %d is not a multiple of the tile width %d", im.name, s.rowNR, s.nr))
		}
	}
	ldp := roundUp(n, p.w)
	p.data = make([]float32, k*ldp)
	for pc := 0; pc < k; pc += p.kc {
		kb := min(p.kc, k-pc)
		for j0 := 0; j0 < n; j0 += p.w {
			panel := p.data[pc*ldp+j0*kb:][:kb*p.w]
			for j := j0; j < min(n, j0+p.w); j++ {
				for q := 0; q < kb; q++ {
					if transB {
						panel[q*p.w+j-j0] = b[j*ldb+pc+q]
					} else {
						panel[q*p.w+j-j0] = b[(pc+q)*ldb+j]
					}
				}
			}
		}
	}
	return p
}

// SgemmPacked computes C = alpha·A·op(B) + beta·C with op(B) packed in pb (k×n): A is
// m×k (row-major, lda ≥ k), C is m×n (ldc ≥ n), with Sgemm's BLAS semantics (beta = 0
// ignores C; alpha = 0 or k = 0 only scales C). It does not allocate.
//
// Every row of C is computed by the same kernels and in the same order whatever m,
// whatever rows lie beside it and however many threads run — a row's bits do not
// depend on the call it is in — and they are the bits Sgemm gives the same product,
// except where Sgemm takes its one-row GEMV path (m = 1 with B transposed and k ≤ 256),
// which sums in another order. Large products run on up to Threads() goroutines.
// Bad arguments panic with a message naming the argument; so does a C that overlaps A.
func SgemmPacked(m int, alpha float32, a []float32, lda int, pb *PackedB, beta float32, c []float32, ldc int) {
	if pb == nil {
		panic("simd: SgemmPacked: pb is nil")
	}
	k, n := pb.k, pb.n
	if m < 0 {
		panic(fmt.Sprintf("simd: SgemmPacked: m = %d < 0", m))
	}
	if lda < max(1, k) {
		panic(fmt.Sprintf("simd: SgemmPacked: lda = %d < max(1, %d)", lda, k))
	}
	if ldc < max(1, n) {
		panic(fmt.Sprintf("simd: SgemmPacked: ldc = %d < max(1, %d)", ldc, n))
	}
	if m == 0 || n == 0 {
		return
	}
	if k > 0 && len(a) < (m-1)*lda+k {
		panic(fmt.Sprintf("simd: SgemmPacked: len(a) = %d < %d needed for a %d×%d matrix with lda = %d", len(a), (m-1)*lda+k, m, k, lda))
	}
	if len(c) < (m-1)*ldc+n {
		panic(fmt.Sprintf("simd: SgemmPacked: len(c) = %d < %d needed for a %d×%d matrix with ldc = %d", len(c), (m-1)*ldc+n, m, n, ldc))
	}
	if k > 0 && !disjoint(a, (m-1)*lda+k, c, (m-1)*ldc+n) && sharesElement(a, lda, false, m, k, c, ldc, m, n) {
		panic("simd: SgemmPacked: c aliases a (C shares elements with the part of A the product reads)")
	}
	if alpha == 0 || k == 0 {
		scaleMatrix(m, n, beta, c, ldc)
		return
	}
	s := pb.im.small
	if s == nil {
		sgemm(pb.im, Threads(), false, false, m, n, k, alpha, a, lda, pb.data, n, beta, c, ldc)
		return
	}
	parts, byRows := splitTiles(Threads(), m, n, k, s.mr, s.nr)
	if parts <= 1 {
		packedSerial(pb, 0, n, m, alpha, a, lda, beta, c, ldc)
		return
	}
	call := packedCalls.Get()
	if call == nil {
		call = new(packedCall)
	}
	*call = packedCall{pb: pb, byRows: byRows, parts: parts, m: m, alpha: alpha, beta: beta, a: a, lda: lda, c: c, ldc: ldc}
	par.Run(parts, parts, call)
	*call = packedCall{}
	packedCalls.Put(call)
}

// packedCall holds the arguments of one parallel SgemmPacked; its tasks are bands of
// whole tiles of C's rows or columns. Calls are kept on a free list so that handing
// one to the pool allocates nothing.
type packedCall struct {
	pb          *PackedB
	byRows      bool
	parts, m    int
	alpha, beta float32
	a, c        []float32
	lda, ldc    int
}

var packedCalls = par.NewFreeList[packedCall](16)

// Task computes part p: a band of whole tiles of C's rows or columns.
func (g *packedCall) Task(_, p int) {
	s := g.pb.im.small
	if g.byRows {
		i0, i1 := tileBand(p, g.parts, g.m, s.mr)
		if i0 < i1 {
			packedSerial(g.pb, 0, g.pb.n, i1-i0, g.alpha, g.a[i0*g.lda:], g.lda, g.beta, g.c[i0*g.ldc:], g.ldc)
		}
		return
	}
	j0, j1 := tileBand(p, g.parts, g.pb.n, s.nr)
	if j0 < j1 {
		packedSerial(g.pb, j0, j1, g.m, g.alpha, g.a, g.lda, g.beta, g.c, g.ldc)
	}
}

// packedSerial computes columns [j0, j1) of C (j0 a multiple of the tile width) on
// the caller's goroutine, block of kc rows of op(B) after block (the first with beta,
// the others adding to C, as Sgemm's tiled path does). Within a block, each tile-wide
// column strip of a panel stays in L1 while the row tiles of A stream past it; one-row
// products take the one-row kernel over whole panels instead.
func packedSerial(pb *PackedB, j0, j1, m int, alpha float32, a []float32, lda int, beta float32, c []float32, ldc int) {
	s, w := pb.im.small, pb.w
	ldp := roundUp(pb.n, w)
	for pc := 0; pc < pb.k; pc += pb.kc {
		kb := min(pb.kc, pb.k-pc)
		blk := pb.data[pc*ldp:]
		betaEff := beta
		if pc > 0 {
			betaEff = 1
		}
		ap := a[pc:]
		if m == 1 {
			for j := j0; j < j1; {
				cols := min(s.rowNR, j1-j, w-j%w) // within one panel
				s.row(kb, ap, 1, blk[j/w*w*kb+j%w:], w, c[j:], cols, alpha, betaEff)
				j += cols
			}
			continue
		}
		for j := j0; j < j1; j += s.nr {
			panel := blk[j/w*w*kb+j%w:]
			cols := min(s.nr, j1-j)
			tile := s.tile
			if s.narrow != nil && cols <= s.narrowNR {
				tile = s.narrow
			}
			i := 0
			if s.direct != nil && cols == s.nr {
				for ; i+s.mr <= m; i += s.mr {
					s.direct(kb, ap[i*lda:], lda, panel, w, c[i*ldc+j:], ldc, alpha, betaEff)
				}
			}
			for ; i < m; i += s.mr {
				tile(kb, ap[i*lda:], lda, 1, panel, w, c[i*ldc+j:], ldc, min(s.mr, m-i), cols, alpha, betaEff)
			}
		}
	}
}
