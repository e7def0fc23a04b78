//go:build !purego

package asm

// The small-product micro-kernels: one tile of C from operands read in place, no
// packing, the right edge masked (AVX-512 opmask, AVX2 VMASKMOVPS) instead of copied
// into a scratch tile. rows < mr re-reads the last row of op(A) and stores only rows
// rows; the masked lanes of B and C are never touched. Each kernel is one call per
// tile (k steps): the Go caller loops over the tiles.

// SgemmSmall8x32AVX512 computes a rows×cols tile of C (rows ≤ 8, cols ≤ 32) with
// AVX-512F: sixteen ZMM accumulators, two masked loads of a row of op(B) and eight
// broadcasts of op(A) per step of k. Reference loop (SgemmSmallGeneric):
//
//	for i := 0; i < rows; i++ {
//		for j := 0; j < cols; j++ {
//			var acc float32
//			for p := 0; p < k; p++ {
//				acc = fma(a[i*rsA+p*csA], b[p*ldb+j], acc)
//			}
//			if beta == 0 {
//				c[i*ldc+j] = alpha * acc // C's old contents are ignored, NaN included
//			} else {
//				c[i*ldc+j] = fma(beta, c[i*ldc+j], alpha*acc)
//			}
//		}
//	}
//
// 1 ≤ rows ≤ 8, 1 ≤ cols ≤ 32, and every element the loop reads or writes must lie in
// its slice (unchecked). The CPU must have AVX-512F and BMI2.
//
//go:noescape
func SgemmSmall8x32AVX512(k int, a []float32, rsA, csA int, b []float32, ldb int, c []float32, ldc int, rows, cols int, alpha, beta float32)

// SgemmSmallPanel8x32AVX512 computes a rows×32 block of C (rows a multiple of 8) as
// rows/8 full 8×32 tiles of A·B, top to bottom, in one call: the loop of
// SgemmSmall8x32AVX512 unrolled by four, without masks. While it computes, it
// prefetches into L2 the same lines of the next product of a batch, nextA, nextB and
// nextC elements on from a, b and c (a prefetch never faults; it reads and writes
// nothing there), so that the next call finds its operands out of memory. Reference
// loop (SgemmSmallPanelGeneric with nr = 32):
//
//	for i := 0; i < rows; i++ {
//		for j := 0; j < 32; j++ {
//			var acc float32
//			for p := 0; p < k; p++ {
//				acc = fma(a[i*lda+p], b[p*ldb+j], acc)
//			}
//			if beta == 0 {
//				c[i*ldc+j] = alpha * acc // C's old contents are ignored, NaN included
//			} else {
//				c[i*ldc+j] = fma(beta, c[i*ldc+j], alpha*acc)
//			}
//		}
//	}
//
// rows is a multiple of 8, and every element the loop reads or writes must lie in its
// slice (unchecked). The CPU must have AVX-512F.
//
//go:noescape
func SgemmSmallPanel8x32AVX512(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, rows int, alpha, beta float32, nextA, nextB, nextC int)

// SgemmSmallBatch16x16AVX512 computes count products of a batch, each a rows×16 block
// of C = alpha·A·B + beta·C (rows a multiple of 16) as rows/16 full 16×16 tiles (those
// of SgemmSmall16x16AVX512, without masks), product i's operands strideA, strideB and
// strideC elements on from product i−1's. One call runs the whole run of products, so
// a product costs no Go loop, call or set-up. While it computes product i it
// prefetches into L1 the same lines of A and B of product i+ahead (a prefetch never
// faults: it reads and writes nothing there; ahead = 0 prefetches the lines it reads
// anyway). C is left to the hardware prefetcher: prefetching product i+ahead's C
// tile too, one or two lines a row, made a product of 16³ 6–10 ns slower in cache and
// from memory (bench/RESULTS.md, "Batched GEMM: one call a run of products"). With
// stream, the tiles of products with beta = 0 whose rows are 64-byte aligned (C's
// base, ldc and strideC) are written with non-temporal stores, past the caches,
// without first reading C's lines (a third less memory traffic on a batch streamed
// from memory), and the call ends with a store fence; results are the same bits.
// Reference loop (SgemmSmallBatchGeneric with nr = 16):
//
//	for q := 0; q < count; q++ {
//		a, b, c := a[q*strideA:], b[q*strideB:], c[q*strideC:]
//		for i := 0; i < rows; i++ {
//			for j := 0; j < 16; j++ {
//				var acc float32
//				for p := 0; p < k; p++ {
//					acc = fma(a[i*lda+p], b[p*ldb+j], acc)
//				}
//				if beta == 0 {
//					c[i*ldc+j] = alpha * acc // C's old contents are ignored, NaN included
//				} else {
//					c[i*ldc+j] = fma(beta, c[i*ldc+j], alpha*acc)
//				}
//			}
//		}
//	}
//
// rows is a multiple of 16, and every element the loop reads or writes must lie in its
// slice (unchecked). The CPU must have AVX-512F.
//
//go:noescape
func SgemmSmallBatch16x16AVX512(count, k int, a []float32, lda, strideA int, b []float32, ldb, strideB int, c []float32, ldc, strideC int, rows int, alpha, beta float32, ahead int, stream bool)

// SgemmSmall8x16AVX512 is SgemmSmall8x32AVX512 for tiles at most 16 wide (cols ≤ 16):
// eight ZMM accumulators, one masked load of op(B) and eight FMAs with a broadcast
// operand of op(A) per step of k. Same reference loop (SgemmSmallGeneric).
//
//go:noescape
func SgemmSmall8x16AVX512(k int, a []float32, rsA, csA int, b []float32, ldb int, c []float32, ldc int, rows, cols int, alpha, beta float32)

// SgemmSmall16x16AVX512 is SgemmSmall8x16AVX512 for full sixteen-row tiles (rows =
// 16, cols ≤ 16): sixteen ZMM accumulators, so one call computes a 16×16 product and
// its sixteen FMA chains keep both FMA pipes busy where one eight-row call leaves them
// waiting on the chains. Same reference loop (SgemmSmallGeneric) with rows = 16.
//
//go:noescape
func SgemmSmall16x16AVX512(k int, a []float32, rsA, csA int, b []float32, ldb int, c []float32, ldc int, rows, cols int, alpha, beta float32)

// SgemmSmall4x16AVX2 is the AVX2+FMA small-product kernel: a rows×cols tile (rows ≤ 4,
// cols ≤ 16) in eight YMM accumulators, op(B) and C masked with VMASKMOVPS. Same
// reference loop (SgemmSmallGeneric).
//
//go:noescape
func SgemmSmall4x16AVX2(k int, a []float32, rsA, csA int, b []float32, ldb int, c []float32, ldc int, rows, cols int, alpha, beta float32)

// SgemvRow64AVX512 computes y = alpha·xᵀ·B + beta·y over the first cols ≤ 64 columns
// of B (k rows, stride ldb) with AVX-512F: four masked ZMM accumulators, one
// broadcast of x (stride incx) per step. Reference loop (SgemvRowGeneric):
//
//	for j := 0; j < cols; j++ {
//		var acc float32
//		for p := 0; p < k; p++ {
//			acc = fma(x[p*incx], b[p*ldb+j], acc)
//		}
//		if beta == 0 {
//			y[j] = alpha * acc
//		} else {
//			y[j] = fma(beta, y[j], alpha*acc)
//		}
//	}
//
// 1 ≤ cols ≤ 64, and every element the loop reads or writes must lie in its slice
// (unchecked). The CPU must have AVX-512F and BMI2.
//
//go:noescape
func SgemvRow64AVX512(k int, x []float32, incx int, b []float32, ldb int, y []float32, cols int, alpha, beta float32)

// SgemvDot8AVX512 computes y = alpha·A·x + beta·y for up to eight rows of A (rows ≤ 8,
// stride lda, k columns) with AVX-512F: the rows' dot products with x (contiguous) run
// in 16-lane partial sums, the tail masked, then reduced pairwise; y has stride incy.
// Eight rows give eight independent FMA chains: four left the FMA pipes waiting on
// the chains' latency (256×1×256, bench/RESULTS.md: 2.54 µs a product with four rows
// a call, 1.94 µs with eight; min of 5, cpu-ns).
// Reference loop (SgemvDotGeneric with lanes = 16):
//
//	for i := 0; i < rows; i++ {
//		var s [16]float32
//		for p := 0; p < k; p++ {
//			s[p%16] = fma(a[i*lda+p], x[p], s[p%16])
//		}
//		for w := 8; w > 0; w /= 2 {
//			for l := 0; l < w; l++ {
//				s[l] += s[l+w]
//			}
//		}
//		if beta == 0 {
//			y[i*incy] = alpha * s[0]
//		} else {
//			y[i*incy] = fma(beta, y[i*incy], alpha*s[0])
//		}
//	}
//
// 1 ≤ rows ≤ 8, and every element the loop reads or writes must lie in its slice
// (unchecked). The CPU must have AVX-512F.
//
//go:noescape
func SgemvDot8AVX512(k int, a []float32, lda int, x, y []float32, incy, rows int, alpha, beta float32)

// SgemvRow32AVX2 is SgemvRow64AVX512 on AVX2+FMA for cols ≤ 32: four YMM accumulators,
// B and y masked with VMASKMOVPS. Same reference loop (SgemvRowGeneric).
//
//go:noescape
func SgemvRow32AVX2(k int, x []float32, incx int, b []float32, ldb int, y []float32, cols int, alpha, beta float32)

// SgemvDot4AVX2 is SgemvDot8AVX512 on AVX2+FMA for rows ≤ 4: 8-lane partial sums, the tail masked
// with VMASKMOVPS. Reference loop: SgemvDotGeneric with lanes = 8.
//
//go:noescape
func SgemvDot4AVX2(k int, a []float32, lda int, x, y []float32, incy, rows int, alpha, beta float32)

// TransposeGatherAVX512 writes the n×k matrix b (stride ldb) transposed into dst (k×n,
// dense): op(B) = Bᵀ for the small-product kernels, which read op(B) by rows. Each row
// p of dst is a masked sixteen-lane gather of column p of sixteen rows of b. Reference
// loop (TransposeGeneric):
//
//	for j := 0; j < n; j++ {
//		for p := 0; p < k; p++ {
//			dst[p*n+j] = b[j*ldb+p]
//		}
//	}
//
// k, n ≥ 1, 15·ldb < 2³¹, and every element the loop reads or writes must lie in its
// slice (unchecked). The CPU must have AVX-512F and BMI2.
//
//go:noescape
func TransposeGatherAVX512(k int, b []float32, ldb int, dst []float32, n int)

// TransposeGatherAVX2 is TransposeGatherAVX512 on AVX2: eight-lane gathers, the
// stores masked with VMASKMOVPS. Same reference loop (TransposeGeneric); 7·ldb < 2³¹.
//
//go:noescape
func TransposeGatherAVX2(k int, b []float32, ldb int, dst []float32, n int)

// PrefetchRows asks the CPU to bring the first cols elements of rows rows of a (ld
// apart) into L1: a batch of products prefetches the operands of a product ahead
// while it computes the current one. It reads and writes nothing (a prefetch never
// faults, and rows past a's end are allowed), so it has no twin: tables without it
// prefetch nothing. Reference loop (in effect):
//
//	for i := 0; i < rows; i++ {
//		for each 64-byte line holding a[i*ld : i*ld+cols] { prefetch the line }
//	}
//
//go:noescape
func PrefetchRows(a []float32, rows, cols, ld int)

// SgemmSmallWide6x64AVX512 computes a rows×64 block of C = alpha·A·B + beta·C (A
// row-major, stride lda) in 6×64 tiles, top to bottom, in one call: 24 ZMM
// accumulators, four loads of a row of B and six broadcasts of A per step of k — 24
// FMAs for 10 loads where the 8×32 tile issues 16 for 10. The last tile may have fewer
// than six rows (any rows ≥ 1): it re-reads its last row of A for the rest and stores
// only its own. Reference loop (SgemmSmallWideGeneric with nr = 64):
//
//	for i := 0; i < rows; i++ {
//		for j := 0; j < 64; j++ {
//			var acc float32
//			for p := 0; p < k; p++ {
//				acc = fma(a[i*lda+p], b[p*ldb+j], acc)
//			}
//			if beta == 0 {
//				c[i*ldc+j] = alpha * acc // C's old contents are ignored, NaN included
//			} else {
//				c[i*ldc+j] = fma(beta, c[i*ldc+j], alpha*acc)
//			}
//		}
//	}
//
// Every element the loop reads or writes must lie in its slice (unchecked). The CPU
// must have AVX-512F.
//
//go:noescape
func SgemmSmallWide6x64AVX512(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, rows int, alpha, beta float32)
