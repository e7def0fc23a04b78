package simd

import (
	"sync/atomic"

	"github.com/kernelmachines/bkm/asm"
	"github.com/kernelmachines/bkm/internal/par"
)

// The small-product path of Sgemm: products too small to repay packing (see
// smallMaxWork) run here, on the caller's goroutine, with micro-kernels that read
// op(A) and op(B) in place and mask the right edge instead of copying edge tiles, and
// with GEMV kernels for one-row and one-column products. The per-call cost model
// behind it is in bench/RESULTS.md ("Per-call cost model").

// smallTileFunc computes a rows×cols tile (rows ≤ mr, cols ≤ nr) of C; element (i, p)
// of op(A) is a[i*rsA+p*csA], row p of op(B) is b[p*ldb:] (asm.SgemmSmallGeneric).
type smallTileFunc func(k int, a []float32, rsA, csA int, b []float32, ldb int, c []float32, ldc int, rows, cols int, alpha, beta float32)

// smallPanelFunc computes a rows×cols block of C = alpha·A·B + beta·C in whole tiles
// of its kernel, prefetching the lines nextA, nextB and nextC elements on from a, b
// and c (asm.SgemmSmallPanelGeneric).
type smallPanelFunc func(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, rows int, alpha, beta float32, nextA, nextB, nextC int)

// smallBatchFunc computes count products of a batch, each a rows×cols block of C =
// alpha·A·B + beta·C in whole tiles of its kernel, product q's operands q strides on,
// prefetching the lines of product q+ahead and, with stream, writing C past the caches
// where it can (asm.SgemmSmallBatchGeneric).
type smallBatchFunc func(count, k int, a []float32, lda, strideA int, b []float32, ldb, strideB int, c []float32, ldc, strideC int, rows int, alpha, beta float32, ahead int, stream bool)

// smallWideFunc computes a rows×nr block of C = alpha·A·B + beta·C, A row-major, in
// whole tiles of its kernel (asm.SgemmSmallWideGeneric).
type smallWideFunc func(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, rows int, alpha, beta float32)

// smallGemm is one implementation's set of small-product kernels (impl.small, set in
// the table literals of dispatch*.go).
type smallGemm struct {
	mr, nr int           // the tile of tile
	tile   smallTileFunc // mr×nr
	// narrowNR, narrow: a tile for right edges and products at most narrowNR wide (nil:
	// tile serves them).
	narrowNR int
	narrow   smallTileFunc `dispatch:"optional"`
	// staticNarrow: narrow is asm.SgemmSmall8x16AVX512, and Sgemm calls it by name
	// (callNarrow) for the products it computes in one call.
	staticNarrow bool
	// tall, if set, computes full tallMR-row tiles at most narrowNR wide (16×16 on
	// avx512): one call instead of tallMR/mr, and enough independent accumulators to
	// keep both FMA pipes busy on short products.
	tallMR int
	tall   smallTileFunc `dispatch:"optional"`
	// direct, if set, computes full mr×nr tiles when op(A) = A (the tiled path's
	// direct kernel, impl.gemmDirect, for the same tile): no masks, unrolled by four;
	// on products whose operands are not cached (a batch of fresh 64³ products) it ran
	// 1.3× faster than tile.
	direct func(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32) `dispatch:"optional"`
	// panel, if set, computes rows×nr blocks of A·B (rows a multiple of mr, op(A) = A,
	// op(B) = B) as rows/mr direct tiles in one call, prefetching into L2 the same
	// lines of the next product of a batch (asm.SgemmSmallPanelGeneric):
	// SgemmBatchStrided's products from memory, and smallTiles' full-width blocks
	// (with nothing to prefetch).
	panel smallPanelFunc `dispatch:"optional"`
	// tallBatch, if set, computes a run of a batch's products, each a rows×narrowNR
	// block of A·B in tallMR×narrowNR tiles, in one call, prefetching into L1 the
	// product some strides on (products of a few KiB; asm.SgemmSmallBatchGeneric).
	tallBatch smallBatchFunc `dispatch:"optional"`
	// wide, if set, computes rows×wideNR blocks of A·B (any rows, op(A) = A, op(B) =
	// B) in wideMR×wideNR tiles, a last tile of at most wideShortMR rows computing only
	// those (asm.SgemmSmallWideGeneric): Sgemm's products of whole wideNR-column blocks
	// whose rows it tiles without waste (wideFits), 64³ on avx512. Its tile is
	// libxsmm's for 64³ (6×64: 24 FMAs for 10 loads, where the 8×32 panel issues 16
	// for 10 and two prefetches): on a quiet core both run at the FMA ceiling, but
	// when the core is contended (the VM's slow phases) the panel's extra
	// instructions made 64³ 0.81–0.83× libxsmm (bench/RESULTS.md).
	wideMR, wideShortMR, wideNR int
	wide                        smallWideFunc `dispatch:"optional"`
	// row computes y = alpha·xᵀ·B + beta·y over at most rowNR columns
	// (asm.SgemvRowGeneric); dot computes y = alpha·A·x + beta·y over at most dotMR rows
	// (asm.SgemvDotGeneric).
	// transpose writes op(B) = Bᵀ (stored n×k, stride ldb) row-major into the k×n
	// scratch the tiles then read (asm.TransposeGeneric); transposeMaxLd bounds ldb
	// (its gather indices are int32: 15·ldb < 2³¹), beyond which the generic loop runs.
	transpose func(k int, b []float32, ldb int, dst []float32, n int)
	rowNR     int
	row       func(k int, x []float32, incx int, b []float32, ldb int, y []float32, cols int, alpha, beta float32)
	dotMR     int
	dot       func(k int, a []float32, lda int, x, y []float32, incy, rows int, alpha, beta float32)
	// prefetch brings rows×cols elements (ld apart) into L1 (asm.PrefetchRows); nil:
	// SgemmBatchStrided prefetches nothing.
	prefetch func(a []float32, rows, cols, ld int) `dispatch:"optional"`
}

// smallFor returns im's small-product kernels (its table's small entry), or nil.
func smallFor(im *impl) *smallGemm { return im.small }

// smallMaxWork is the largest m·n·k the small path takes, and smallMaxK the deepest:
// past them packing pays (the unpacked panels of B fall out of L1) and parallel
// products need the tiled path.
const (
	smallMaxWork = 64 * 64 * 64
	smallMaxK    = 256
)

// takesSmall reports whether a product of this shape runs on the small path.
func takesSmall(m, n, k int) bool {
	return k <= smallMaxK && (m*n*k <= smallMaxWork || m == 1 || n == 1)
}

// transposeFree keeps the scratch that holds op(B) = Bᵀ copied row-major (and a
// GEMV's strided vector or C column, see sgemmSmall): a free
// list rather than a sync.Pool, so that steady-state calls never allocate (not even
// under -race, which makes a pool drop objects); at most 16 buffers of 64 KiB.
var transposeFree = par.NewFreeList[[smallMaxWork / 4]float32](16)

// transposeHot holds one more scratch in front of transposeFree: taking and returning
// it are two atomic swaps, where the free list's channel costs two lock round trips
// (BenchmarkSgemmSmallCall/8x8x8/sgemmNT: 100–117 ns a call with the channel alone,
// 78–86 with this slot in front).
var transposeHot atomic.Pointer[[smallMaxWork / 4]float32]

func getTranspose() *[smallMaxWork / 4]float32 {
	if bt := transposeHot.Swap(nil); bt != nil {
		return bt
	}
	if bt := transposeFree.Get(); bt != nil {
		return bt
	}
	return new([smallMaxWork / 4]float32)
}

func putTranspose(bt *[smallMaxWork / 4]float32) {
	if !transposeHot.CompareAndSwap(nil, bt) {
		transposeFree.Put(bt)
	}
}

// oneTile returns the kernel that computes an m×n product with op(B) = B in one call
// (8×8×8, 7×13×5 on avx512), or nil: Sgemm calls it straight, without sgemmSmall's
// and smallTiles' loops around a single call, which cost ~6 ns of an 8×8×8
// product's ~30 (BenchmarkSgemmSmallCall). One-row and one-column products keep
// their GEMV kernels.
func (s *smallGemm) oneTile(transB bool, m, n int) smallTileFunc {
	if transB || m <= 1 || n <= 1 {
		return nil
	}
	if m > s.mr {
		if m == s.tallMR && n <= s.narrowNR {
			return s.tall
		}
		return nil
	}
	if n <= s.narrowNR {
		return s.narrow
	}
	if n <= s.nr {
		return s.tile
	}
	return nil
}

// wholePanels reports whether an m×n product with op(A) = A and op(B) = B is whole
// column blocks of whole tiles of the panel kernel (32³, 64³ on avx512): Sgemm then
// calls the panel kernel once a block, without sgemmSmall's and smallTiles' frames
// around it: at 32³ the panel kernel called alone took 300 ns, through smallTiles
// 308, through sgemmSmall 316 (minima of 300 paired rounds in one process; bench/
// RESULTS.md, "Small shapes, paired rounds"). mr and nr are powers of two.
func (s *smallGemm) wholePanels(transA, transB bool, m, n int) bool {
	return !transA && !transB && s.panel != nil && m&(s.mr-1) == 0 && n&(s.nr-1) == 0
}

// widePanels reports whether an m×n product with op(A) = A and op(B) = B is whole
// column blocks of the wide kernel, whose tiles cover its m rows without computing
// rows that are not there: m a multiple of wideMR, or wideShortMR rows past one
// (64 = 6·10 + 4 on avx512).
func (s *smallGemm) widePanels(transA, transB bool, m, n int) bool {
	return !transA && !transB && s.wide != nil && n%s.wideNR == 0 &&
		(m%s.wideMR == 0 || m%s.wideMR == s.wideShortMR)
}

// sgemmSmall computes C = alpha·op(A)·op(B) + beta·C for m, n, k ≥ 1 and alpha ≠ 0 on
// the small path. The arguments have been checked.
//
// The kernel a product takes depends on m, n, k and the transposes only, never on the
// leading dimensions: the GEMV kernels sum in another order than the tiles (the dot
// kernel in lanes), so a one-column B stored with ldb > 1 (a strided view, as
// attention's ForwardStrided passes at D = 1) must give what the dense call gives.
// A strided column of op(B) is gathered into scratch for the dot kernel, and a strided
// C column of the row kernel goes through scratch (TestSgemmIndependentOfLeadingDimensions).
func sgemmSmall(s *smallGemm, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	rsA, csA := lda, 1
	if transA {
		rsA, csA = 1, lda
	}
	switch {
	case m == 1 && !transB:
		// y = x·B with x = row 0 of op(A).
		for j := 0; j < n; j += s.rowNR {
			s.row(k, a, csA, b[j:], ldb, c[j:], min(s.rowNR, n-j), alpha, beta)
		}
		return
	case m == 1 && !transA:
		// y[j] = x·(row j of B) with x = row 0 of A. (With op(A) = Aᵀ, x is strided
		// unless lda = 1: the tiles compute it, as they do the same row in a taller
		// call, for every lda.)
		for j := 0; j < n; j += s.dotMR {
			s.dot(k, b[j*ldb:], ldb, a, c[j:], 1, min(s.dotMR, n-j), alpha, beta)
		}
		return
	case n == 1 && !transA:
		// y[i] = (row i of A)·x with x = column 0 of op(B).
		incx := ldb
		if transB {
			incx = 1
		}
		var buf *[smallMaxWork / 4]float32
		if incx != 1 {
			buf = gather(k, b, incx)
			b = buf[:k]
		}
		for i := 0; i < m; i += s.dotMR {
			s.dot(k, a[i*lda:], lda, b, c[i*ldc:], ldc, min(s.dotMR, m-i), alpha, beta)
		}
		if buf != nil {
			putTranspose(buf)
		}
		return
	case n == 1:
		// y = x·A with x = column 0 of op(B) (stride ldb, or 1 if transposed).
		incx := ldb
		if transB {
			incx = 1
		}
		if ldc == 1 {
			for i := 0; i < m; i += s.rowNR {
				s.row(k, b, incx, a[i:], lda, c[i:], min(s.rowNR, m-i), alpha, beta)
			}
			return
		}
		// C's column is strided: compute it in scratch, a whole number of the
		// kernel's column blocks at a time, and scatter it.
		bt := getTranspose()
		chunk := len(bt) / s.rowNR * s.rowNR
		for i0 := 0; i0 < m; i0 += chunk {
			y := bt[:min(chunk, m-i0)]
			if beta != 0 {
				for i := range y {
					y[i] = c[(i0+i)*ldc]
				}
			}
			for i := 0; i < len(y); i += s.rowNR {
				s.row(k, b, incx, a[i0+i:], lda, y[i:], min(s.rowNR, len(y)-i), alpha, beta)
			}
			for i, v := range y {
				c[(i0+i)*ldc] = v
			}
		}
		putTranspose(bt)
		return
	}
	if transB {
		if k*n > smallMaxWork/4 {
			// Too wide for the scratch (only GEMV shapes get here): packing pays.
			sgemm(active, 1, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
			return
		}
		bt := getTranspose()
		if ldb < transposeMaxLd {
			s.transpose(k, b, ldb, bt[:k*n], n)
		} else {
			asm.TransposeGeneric(k, b, ldb, bt[:k*n], n)
		}
		smallTiles(s, m, n, k, alpha, a, rsA, csA, bt[:k*n], n, beta, c, ldc)
		putTranspose(bt)
		return
	}
	smallTiles(s, m, n, k, alpha, a, rsA, csA, b, ldb, beta, c, ldc)
}

// transposeMaxLd bounds the ldb of smallGemm.transpose: its gather indices (up to
// 15·ldb) are int32.
const transposeMaxLd = 1 << 27

// gather copies x[0], x[inc], …, x[(k-1)·inc] (k ≤ smallMaxK) into scratch, which
// the caller returns with putTranspose.
func gather(k int, x []float32, inc int) *[smallMaxWork / 4]float32 {
	buf := getTranspose()
	for p := range buf[:k] {
		buf[p] = x[p*inc]
	}
	return buf
}

// smallTiles walks C in column blocks of nr (narrowNR at the right edge when it fits)
// and, within each, row tiles of mr: the k×nr panel of op(B) stays in L1 while the
// row tiles of op(A) stream past it.
func smallTiles(s *smallGemm, m, n, k int, alpha float32, a []float32, rsA, csA int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	mr := s.mr
	for j := 0; j < n; j += s.nr {
		cols := min(s.nr, n-j)
		tile := s.tile
		i := 0
		if s.narrow != nil && cols <= s.narrowNR {
			tile = s.narrow
			if s.tall != nil {
				for ; i+s.tallMR <= m; i += s.tallMR {
					s.tall(k, a[i*rsA:], rsA, csA, b[j:], ldb, c[i*ldc+j:], ldc, s.tallMR, cols, alpha, beta)
				}
			}
		}
		if csA == 1 && cols == s.nr && m-i >= mr {
			if s.panel != nil {
				// All of the block's whole tiles left in one call (its prefetches of a
				// "next product" 0 elements on touch the lines it reads anyway): 32³ in
				// one call instead of four, 304 ns instead of 317 (min of 300 paired
				// rounds). The tall tiles above may have taken rows already (when
				// narrowNR ≥ nr), so the block starts at row i.
				rows := (m - i) &^ (mr - 1) // mr is a power of two (TestTablesComplete)
				s.panel(k, a[i*rsA:], rsA, b[j:], ldb, c[i*ldc+j:], ldc, rows, alpha, beta, 0, 0, 0)
				i += rows
			} else if s.direct != nil {
				for ; i+mr <= m; i += mr {
					s.direct(k, a[i*rsA:], rsA, b[j:], ldb, c[i*ldc+j:], ldc, alpha, beta)
				}
			}
		}
		for ; i < m; i += mr {
			tile(k, a[i*rsA:], rsA, csA, b[j:], ldb, c[i*ldc+j:], ldc, min(mr, m-i), cols, alpha, beta)
		}
	}
}
