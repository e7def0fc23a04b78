//go:build !purego

package asm

// SgemmKernel6x16AVX2 computes one 6×16 tile of C from packed panels with AVX2+FMA:
// twelve YMM accumulators hold the tile, each step of k broadcasts six values of A
// and loads two YMM rows of B. Reference loop (SgemmKernelGeneric with mr=6, nr=16):
//
//	for i := 0; i < 6; i++ {
//		for j := 0; j < 16; j++ {
//			var acc float32
//			for p := 0; p < k; p++ {
//				acc = fma(a[p*6+i], b[p*16+j], acc)
//			}
//			if beta == 0 {
//				c[i*ldc+j] = alpha * acc // C's old contents are ignored, NaN included
//			} else {
//				c[i*ldc+j] = fma(beta, c[i*ldc+j], alpha*acc)
//			}
//		}
//	}
//
// len(a) ≥ 6k, len(b) ≥ 16k, len(c) ≥ 5·ldc + 16 (unchecked).
//
//go:noescape
func SgemmKernel6x16AVX2(k int, a, b, c []float32, ldc int, alpha, beta float32)

// SgemmDirect6x16AVX2 is SgemmKernel6x16AVX2 on unpacked operands: it broadcasts A
// from six rows (stride lda) and loads B rows (stride ldb) in place, for problems
// small enough that packing would cost more than it saves. Reference loop
// (SgemmDirectGeneric with mr=6, nr=16):
//
//	for i := 0; i < 6; i++ {
//		for j := 0; j < 16; j++ {
//			var acc float32
//			for p := 0; p < k; p++ {
//				acc = fma(a[i*lda+p], b[p*ldb+j], acc)
//			}
//			if beta == 0 {
//				c[i*ldc+j] = alpha * acc
//			} else {
//				c[i*ldc+j] = fma(beta, c[i*ldc+j], alpha*acc)
//			}
//		}
//	}
//
// len(a) ≥ 5·lda + k, len(b) ≥ (k-1)·ldb + 16, len(c) ≥ 5·ldc + 16 (unchecked).
//
//go:noescape
func SgemmDirect6x16AVX2(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32)

// SgemmDirectCopy6x16AVX2 is SgemmDirect6x16AVX2 that also copies rows rows of 16
// values at src (stride lds) into the dense panel dst, interleaved with the FMAs: the
// direct path packs the next column panel of B this way while it computes with the
// current one. Reference loop (SgemmDirectCopyGeneric with mr=6, nr=16): the loop of
// SgemmDirect6x16AVX2, then
//
//	for p := 0; p < rows; p++ {
//		for j := 0; j < 16; j++ {
//			dst[p*16+j] = src[p*lds+j]
//		}
//	}
//
// The lengths of SgemmDirect6x16AVX2, and len(src) ≥ (rows-1)·lds + 16, len(dst) ≥
// 16·rows when rows > 0 (unchecked). dst must not overlap a, b or c.
//
//go:noescape
func SgemmDirectCopy6x16AVX2(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, src []float32, lds, rows int, dst []float32)

// SgemmKernel8x32AVX512 computes one 8×32 tile of C from packed panels with
// AVX-512F: sixteen ZMM accumulators hold the tile, each step of k broadcasts eight
// values of A and loads two ZMM rows of B. Reference loop (SgemmKernelGeneric with
// mr=8, nr=32):
//
//	for i := 0; i < 8; i++ {
//		for j := 0; j < 32; j++ {
//			var acc float32
//			for p := 0; p < k; p++ {
//				acc = fma(a[p*8+i], b[p*32+j], acc)
//			}
//			if beta == 0 {
//				c[i*ldc+j] = alpha * acc // C's old contents are ignored, NaN included
//			} else {
//				c[i*ldc+j] = fma(beta, c[i*ldc+j], alpha*acc)
//			}
//		}
//	}
//
// len(a) ≥ 8k, len(b) ≥ 32k, len(c) ≥ 7·ldc + 32 (unchecked). The CPU must have
// AVX-512F with OS support for the ZMM state.
//
//go:noescape
func SgemmKernel8x32AVX512(k int, a, b, c []float32, ldc int, alpha, beta float32)

// SgemmDirect8x32AVX512 is SgemmKernel8x32AVX512 on unpacked operands: it broadcasts
// A from eight rows (stride lda) and loads B rows (stride ldb) in place. Reference
// loop (SgemmDirectGeneric with mr=8, nr=32):
//
//	for i := 0; i < 8; i++ {
//		for j := 0; j < 32; j++ {
//			var acc float32
//			for p := 0; p < k; p++ {
//				acc = fma(a[i*lda+p], b[p*ldb+j], acc)
//			}
//			if beta == 0 {
//				c[i*ldc+j] = alpha * acc
//			} else {
//				c[i*ldc+j] = fma(beta, c[i*ldc+j], alpha*acc)
//			}
//		}
//	}
//
// len(a) ≥ 7·lda + k, len(b) ≥ (k-1)·ldb + 32, len(c) ≥ 7·ldc + 32 (unchecked). The
// CPU must have AVX-512F with OS support for the ZMM state.
//
//go:noescape
func SgemmDirect8x32AVX512(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32)

// SgemmDirectCopy8x32AVX512 is SgemmDirect8x32AVX512 that also copies rows rows of 32
// values at src (stride lds) into the dense panel dst, interleaved with the FMAs (see
// SgemmDirectCopy6x16AVX2). Reference loop (SgemmDirectCopyGeneric with mr=8, nr=32):
// the loop of SgemmDirect8x32AVX512, then
//
//	for p := 0; p < rows; p++ {
//		for j := 0; j < 32; j++ {
//			dst[p*32+j] = src[p*lds+j]
//		}
//	}
//
// The lengths of SgemmDirect8x32AVX512, and len(src) ≥ (rows-1)·lds + 32, len(dst) ≥
// 32·rows when rows > 0 (unchecked). dst must not overlap a, b or c. The CPU must have
// AVX-512F with OS support for the ZMM state.
//
//go:noescape
func SgemmDirectCopy8x32AVX512(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, src []float32, lds, rows int, dst []float32)
